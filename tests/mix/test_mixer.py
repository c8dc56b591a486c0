"""mix_tracks / Mixer: ducking depth, envelope shape, levels, span and fades, blockwise."""

from __future__ import annotations

from itertools import pairwise

import numpy as np
import pyloudnorm
import pytest
from mix_signals import HOP, SR, game, music, span_mask, voice

from game_music._errors import UsageError
from game_music.mix import Mixer, mix_tracks
from game_music.request import MusicRequest

SECONDS = 12.0
SPANS = [(2.0, 5.0), (8.0, 10.5)]


def _lufs(x: np.ndarray) -> float:
    return float(pyloudnorm.Meter(SR).integrated_loudness(x.astype(np.float64)))


@pytest.fixture(scope="module")
def tracks() -> dict[str, np.ndarray]:
    vo, curve = voice(SECONDS, SPANS)
    return {"music": music(SECONDS), "game": game(SECONDS), "voice": vo, "speech": curve}


@pytest.mark.parametrize("separate_voice", [True, False])
@pytest.mark.parametrize(
    "request_",
    [MusicRequest(), MusicRequest(music_volume=1.0), MusicRequest(game_audio="duck"),
     MusicRequest(game_audio="mute", music_volume=0.8)],
    ids=["default", "loud-music", "game-duck", "game-mute"],
)
def test_music_sits_18_db_under_the_voice_while_talking(
    tracks: dict[str, np.ndarray], separate_voice: bool, request_: MusicRequest
) -> None:
    vo = tracks["voice"]
    gm = tracks["game"] if separate_voice else tracks["game"] + vo
    result = mix_tracks(tracks["music"], gm, tracks["speech"], request_, SR,
                        voice=vo if separate_voice else None)
    talking = span_mask(SPANS, len(vo))
    gap = _lufs(vo[talking]) - _lufs(result.music_stem[talking])
    assert gap >= 18.0, result.summary()
    # ...and the music is still there between the talk.
    quiet = ~span_mask([(a - 1.0, b + 1.5) for a, b in SPANS], len(vo))
    assert _lufs(result.music_stem[quiet]) > _lufs(result.music_stem[talking]) + 6.0


def test_no_pumping_between_words_and_ducked_before_the_first_word(
    tracks: dict[str, np.ndarray]
) -> None:
    result = mix_tracks(tracks["music"], tracks["game"], tracks["speech"], MusicRequest(), SR,
                        voice=tracks["voice"])
    g = result.gain_curve
    for a, b in SPANS:
        inside = g[int(a / HOP) : int(b / HOP)]
        # Fully down at the first word (look-ahead attack) and flat through the pauses.
        assert inside.max() - inside.min() < 0.01
        before = g[int((a - 1.0) / HOP)]
        assert before - inside.max() >= 8.0
        # Released slowly after the talk: not back up within 200 ms, back within 1.5 s.
        assert g[int((b + 0.2) / HOP)] < before - 3.0
        assert g[int((b + 1.5) / HOP)] == pytest.approx(before, abs=0.01)


def test_duck_voice_off_keeps_the_bed_steady(tracks: dict[str, np.ndarray]) -> None:
    result = mix_tracks(tracks["music"], tracks["game"], tracks["speech"],
                        MusicRequest(duck_voice=False), SR, voice=tracks["voice"])
    assert np.ptp(result.gain_curve) == 0.0


def test_music_volume_is_an_amplitude_ratio(tracks: dict[str, np.ndarray]) -> None:
    silent = np.zeros_like(tracks["speech"])
    loud = mix_tracks(tracks["music"], tracks["game"], silent, MusicRequest(music_volume=1.0), SR)
    soft = mix_tracks(tracks["music"], tracks["game"], silent, MusicRequest(music_volume=0.25), SR)
    default = mix_tracks(tracks["music"], tracks["game"], silent, MusicRequest(), SR)
    assert np.allclose(soft.music_stem, loud.music_stem * 0.25, atol=1e-6)
    assert np.allclose(default.music_stem, loud.music_stem * 10 ** (-6 / 20), atol=1e-6)
    # 100 % means as loud as the game audio.
    assert _lufs(loud.music_stem[SR : -3 * SR]) == pytest.approx(_lufs(tracks["game"]), abs=1.0)


def test_game_audio_duck_and_mute(tracks: dict[str, np.ndarray]) -> None:
    vo, gm, speech = tracks["voice"], tracks["game"], tracks["speech"]
    embedded = gm + vo
    ducked = mix_tracks(tracks["music"], embedded, speech, MusicRequest(game_audio="duck"), SR)
    game_part = ducked.mix - ducked.music_stem
    quiet = ~span_mask([(a - 1.0, b + 1.5) for a, b in SPANS], len(vo))
    talking = span_mask(SPANS, len(vo))
    assert _lufs(embedded[quiet]) - _lufs(game_part[quiet]) == pytest.approx(12.0, abs=0.1)
    # While someone talks the track carrying the voice is back to full level.
    assert np.allclose(game_part[talking], embedded[talking], atol=1e-5)

    muted = mix_tracks(tracks["music"], gm, speech, MusicRequest(game_audio="mute"), SR, voice=vo)
    assert np.allclose(muted.mix, muted.music_stem + vo, atol=1e-6)


def test_span_and_fades(tracks: dict[str, np.ndarray]) -> None:
    silent = np.zeros_like(tracks["speech"])
    m = tracks["music"]
    last = mix_tracks(m, None, silent, MusicRequest(start_s=-3.0), SR).music_stem
    assert not last[: int(9.0 * SR)].any()
    assert np.abs(last[int(9.0 * SR) : int(9.02 * SR)]).max() < 0.05 * np.abs(m).max()
    assert np.abs(last[-10:]).max() < 1e-3 * np.abs(m).max()  # faded out at the end
    mid = mix_tracks(m, None, silent, MusicRequest(start_s=2.0, end_s=5.0, fade_in_s=0.5,
                                                    fade_out_s=0.5), SR).music_stem
    inside = slice(int(2.6 * SR), int(4.4 * SR))
    assert not mid[: 2 * SR].any() and not mid[5 * SR :].any()
    assert np.abs(mid[inside]).max() > 0.5 * np.abs(m[inside]).max()
    with pytest.raises(UsageError):
        mix_tracks(m, None, silent, MusicRequest(start_s=20.0), SR)


def test_exact_lengths_whatever_the_other_tracks_hold(tracks: dict[str, np.ndarray]) -> None:
    m = tracks["music"]
    short_game = tracks["game"][: -SR // 3]
    long_voice = np.concatenate([tracks["voice"], tracks["voice"][:777]])
    result = mix_tracks(m, short_game, tracks["speech"][:-7], MusicRequest(), SR, voice=long_voice)
    assert result.mix.shape == result.music_stem.shape == m.shape
    assert result.mix.dtype == np.float32


def test_blockwise_mixer_equals_whole_file(tracks: dict[str, np.ndarray]) -> None:
    vo, gm = tracks["voice"], tracks["game"] + tracks["voice"]
    req = MusicRequest(game_audio="duck", start_s=1.0, end_s=11.0)
    whole = mix_tracks(tracks["music"], gm, tracks["speech"], req, SR)
    mixer = Mixer(whole.plan)
    rng = np.random.default_rng(5)
    cuts = np.sort(rng.choice(np.arange(1, len(vo)), 9, replace=False))
    bounds = [0, *cuts.tolist(), len(vo)]
    blocks = [mixer.process(a, tracks["music"][a:b], gm[a:b]) for a, b in pairwise(bounds)]
    assert np.array_equal(np.concatenate([b.mix for b in blocks]), whole.mix)
    assert np.array_equal(np.concatenate([b.music for b in blocks]), whole.music_stem)


@pytest.mark.parametrize(
    "request_",
    [MusicRequest(), MusicRequest(game_audio="duck"), MusicRequest(game_audio="mute"),
     MusicRequest(music_volume=1.0, fade_in_s=3.0, fade_out_s=2.0)],
    ids=["default", "game-duck", "game-mute", "loud-faded"],
)
def test_predicted_loudness_is_the_mix_loudness(
    tracks: dict[str, np.ndarray], request_: MusicRequest
) -> None:
    """The engine masters from a prediction (no pass over the mix): independent tracks add
    in energy, so the mix's loudness follows from theirs and the plan's gains."""
    from game_music.mix import LevelMeter, plan_mix

    mu, gm, vo, speech = tracks["music"], tracks["game"], tracks["voice"], tracks["speech"]
    meter = LevelMeter(speech, SR, hop=HOP, game=True, voice=True)
    for a in range(0, len(mu), 5 * SR):  # streamed, as the engine feeds it
        meter.add(mu[a : a + 5 * SR], gm[a : a + 5 * SR], vo[a : a + 5 * SR])
    plan = plan_mix(meter.levels(), speech, request_, len(mu), SR, hop=HOP, has_game=True,
                    has_voice=True)
    mixer = Mixer(plan)
    predicted = mixer.predicted_lufs(*meter.sub_energies(), meter.sub_seconds)
    actual = _lufs(mixer.process(0, mu, gm, vo).mix)
    assert predicted == pytest.approx(actual, abs=0.05)
