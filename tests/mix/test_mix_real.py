"""The mix end to end on real captured gameplay, with a streamer talking at known times
(espeak-ng), on one mixed track and on two tracks: the figures issue 14 asks for.

Each render goes through the CLI with ``--stem``. From the MP4's audio and the stem:
the stem's least-squares gain inside the mix (0 dB: the stem is the music as it sits in the
mix), what is left is the game (and voice) as it came out, which gives the game track's
gain in versus out; the bed between sentences against the mix; the music under each
sentence against the voice.
"""

from __future__ import annotations

import json
import math
import subprocess
import sys
from dataclasses import dataclass
from pathlib import Path

import numpy as np
import pyloudnorm
import pytest
from scipy.io import wavfile

from game_music.media.ffmpeg import run_ffmpeg
from measure import decode_audio, loudness
from talk_media import GAMEPLAY, SR, TalkClip, game_track, make_talk_clip

pytestmark = pytest.mark.slow
PROMPT = "add retro chiptune background music"
_METER = pyloudnorm.Meter(SR)


@dataclass(frozen=True)
class Render:
    clip: TalkClip
    out: np.ndarray  # the MP4's audio
    stem: np.ndarray
    track_in: np.ndarray  # what the recording's game/mix track held
    summary: dict
    done: dict


def render(folder: Path, clip: TalkClip, prompt: str = PROMPT) -> Render:
    stem = folder / f"{clip.path.stem}.stem.wav"
    proc = subprocess.run(
        [sys.executable, "-m", "game_music", "add", str(clip.path), "-p", prompt, "--json",
         "--stem", str(stem), "-o", str(folder / f"{clip.path.stem}.out.mp4")],
        capture_output=True, text=True, check=False, timeout=600,
    )
    assert proc.returncode == 0, proc.stdout + proc.stderr
    done = json.loads(proc.stdout.splitlines()[-1])
    out = Path(done["output"])
    sidecar = json.loads(Path(str(out) + ".game-music.json").read_text())
    rate, s = wavfile.read(stem)
    s = s.astype(np.float64) / (2**31 if s.dtype == np.int32 else 1.0)
    o = decode_audio(out).astype(np.float64)
    n = min(len(o), len(s))
    track = clip.game + (0 if clip.two_tracks else clip.voice)
    return Render(clip, o[:n], s[:n], track[:n].astype(np.float64), sidecar["summary"], done)


def lufs(x: np.ndarray) -> float:
    return float(_METER.integrated_loudness(x)) if len(x) > SR // 2 else -math.inf


def gain_db(part: np.ndarray, whole: np.ndarray) -> float:
    """Least-squares gain of ``part`` inside ``whole``, in dB."""
    g = float(np.sum(part * whole) / max(np.sum(part * part), 1e-20))
    return 20 * math.log10(max(g, 1e-9))


def between(clip: TalkClip, n: int) -> list[slice]:
    """Stretches with nobody talking, clear of the ducking ramps."""
    edges = [0.0, *[x for span in clip.talk for x in span], n / SR]
    out = []
    for a, b in zip(edges[::2], edges[1::2], strict=True):
        a, b = a + 1.5, b - 0.5
        if b - a >= 1.0:
            out.append(slice(int(a * SR), int(b * SR)))
    return out


def bed_vs_mix_db(r: Render) -> list[float]:
    return [lufs(r.stem[s]) - lufs(r.out[s]) for s in between(r.clip, len(r.out))]


def depth_db(r: Render, game_gain: float) -> list[float]:
    """Voice minus music loudness over each sentence (its middle, where the dip holds)."""
    out = []
    for a, b in r.clip.talk:
        s = slice(int((a + 0.2) * SR), int((b - 0.1) * SR))
        out.append(lufs(r.clip.voice[s].astype(np.float64)) + game_gain - lufs(r.stem[s]))
    return out


@pytest.fixture(scope="module")
def renders(tmp_path_factory: pytest.TempPathFactory) -> dict[str, Render]:
    folder = tmp_path_factory.mktemp("mixreal")
    mixed = make_talk_clip(folder, "doom_music", two_tracks=False)
    (folder / "b").mkdir()
    two = make_talk_clip(folder / "b", "doom_sfx", two_tracks=True)
    return {"mixed": render(folder, mixed), "two": render(folder / "b", two)}


@pytest.mark.parametrize("name", ["mixed", "two"])
def test_stem_is_the_music_as_it_sits_in_the_mix(renders: dict[str, Render], name: str) -> None:
    r = renders[name]
    g = gain_db(r.stem, r.out)
    print(f"{name}: stem gain in the mix {g:+.2f} dB")
    assert abs(g) <= 1.0


@pytest.mark.parametrize("name", ["mixed", "two"])
def test_bed_between_sentences_is_clearly_audible(renders: dict[str, Render], name: str) -> None:
    bed = bed_vs_mix_db(renders[name])
    print(f"{name}: bed vs mix between sentences {np.round(bed, 1)} dB")
    assert all(-10.0 <= b <= 0.5 for b in bed)  # +: game near silent there


@pytest.mark.parametrize("name", ["mixed", "two"])
def test_music_under_each_sentence(renders: dict[str, Render], name: str) -> None:
    r = renders[name]
    game = gain_db(r.track_in, r.out - r.stem)
    depth = depth_db(r, game)
    print(f"{name}: voice minus music per sentence {np.round(depth, 1)} dB")
    assert all(18.0 <= d <= 28.0 for d in depth)


@pytest.mark.parametrize("name", ["mixed", "two"])
def test_game_track_keeps_its_level(renders: dict[str, Render], name: str) -> None:
    r = renders[name]
    rest = r.out - r.stem
    g = gain_db(r.track_in, rest)
    print(f"{name}: game track gain in -> out {g:+.2f} dB "
          f"({lufs(r.track_in):.1f} -> {lufs(rest):.1f} LUFS)")
    assert g <= 0.5


def test_quiet_game_track_is_not_lifted(tmp_path: Path) -> None:
    """A game track of -60 dBFS hiss: the music reaches the target on its own."""
    rng = np.random.default_rng(3)
    n = len(game_track("doom_sfx"))
    hiss = (10 ** (-60 / 20) * rng.standard_normal((n, 2))).astype(np.float32)
    wavfile.write(tmp_path / "hiss.wav", SR, hiss)
    src = tmp_path / "quiet.mkv"
    run_ffmpeg(["-i", str(GAMEPLAY / "doom_sfx.mp4"), "-i", str(tmp_path / "hiss.wav"),
                "-map", "0:v", "-map", "1:a", "-c:v", "copy", "-c:a", "aac", "-b:a", "192k",
                "-shortest", str(src)], what="quiet clip")
    clip = TalkClip(src, hiss, np.zeros_like(hiss), (), False)
    r = render(tmp_path, clip)
    rest = r.out - r.stem
    g = gain_db(r.track_in, rest)
    integrated, peak = loudness(Path(r.done["output"]))
    print(f"quiet: game track gain {g:+.2f} dB, stem gain {gain_db(r.stem, r.out):+.2f} dB, "
          f"mix {integrated:.1f} LUFS")
    assert g <= 0.5
    assert abs(gain_db(r.stem, r.out)) <= 1.0
    assert abs(integrated + 14) <= 1.0 and peak <= -1.0


@pytest.mark.parametrize(("name", "prompt", "expect_db"), [
    ("doom_music", PROMPT, -8.0),  # carries its own music: lowered by default
    ("doom_music", PROMPT + ", keep the game audio", 0.0),  # the prompt wins
    ("doom_sfx", PROMPT, 0.0),  # effects only: kept
])
def test_game_track_with_its_own_music_is_lowered(
    tmp_path: Path, name: str, prompt: str, expect_db: float
) -> None:
    src = tmp_path / f"{name}.mp4"
    src.symlink_to(GAMEPLAY / f"{name}.mp4")
    track = game_track(name)
    r = render(tmp_path, TalkClip(src, track, np.zeros_like(track), (), False), prompt)
    g = gain_db(r.track_in, r.out - r.stem)
    mix = r.summary["mix"]
    print(f"{name} [{prompt}]: game music share {r.summary['analysis']['game_music_share']}, "
          f"game track gain {g:+.2f} dB, note {r.done.get('note')!r}")
    master = r.summary["loudness"]["gain_db"]
    assert g == pytest.approx(expect_db + master, abs=0.7)
    assert r.summary["analysis"]["game_carries_music"] is (name == "doom_music")
    if expect_db:
        assert "own" in r.done["note"] and mix["game_audio"] == "duck"
        assert mix["game_audio_duck_db"] == -expect_db and not mix["game_audio_asked"]
    else:
        assert "note" not in r.done
