"""The local engine shares the synthesis with a forked child: the music and its measured
loudness are what one process rendering everything alone gets."""

from __future__ import annotations

from pathlib import Path

import numpy as np
import pytest

from game_music._fork import FORK
from game_music.analysis.result import HOP_S, Analysis, Cut
from game_music.backends import _local_engine as engine
from game_music.mix import LevelMeter
from game_music.music import compose_music
from game_music.request import MusicRequest


def _analysis(seconds: float) -> Analysis:
    n = int(np.ceil(seconds / HOP_S))
    t = np.arange(n) * HOP_S
    energy = (0.5 + 0.4 * np.sin(2 * np.pi * t / 9.0)).astype(np.float32)
    return Analysis(seconds, HOP_S, energy, np.zeros(n, np.float32), energy,
                    (Cut(8.0, 0.9), Cut(17.0, 0.8)), 0.5, True)


def _render(tmp: Path, fork: bool, monkeypatch: pytest.MonkeyPatch) -> tuple[bytes, float]:
    monkeypatch.setattr(engine, "can_fork", lambda: fork)
    seconds, sr = 25.0, 48000
    comp = compose_music(_analysis(seconds), MusicRequest(style="chiptune"), duration=seconds,
                         seed=3, sample_rate=sr)
    levels = LevelMeter(None, sr, hop=HOP_S, game=False)
    pcm = tmp / f"music-{fork}.f32"
    seen: list[float] = []
    engine._synthesize(comp, 0, comp.num_samples, 10 * sr, pcm, levels, seen.append)
    assert seen and seen[-1] == pytest.approx(1.0) and seen == sorted(seen)
    return pcm.read_bytes(), levels.levels().music_lufs


@pytest.mark.skipif(not FORK, reason="the split needs fork")
def test_split_synthesis_equals_one_process(tmp_path: Path,
                                            monkeypatch: pytest.MonkeyPatch) -> None:
    alone, alone_lufs = _render(tmp_path, False, monkeypatch)
    split, split_lufs = _render(tmp_path, True, monkeypatch)
    assert len(alone) == 25 * 48000 * 8
    assert split == alone  # sample for sample
    assert split_lufs == pytest.approx(alone_lufs, abs=1e-9)
