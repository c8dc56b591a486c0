"""Scene cuts on real captured gameplay (Freedoom's attract loop, see tests/data/gameplay).

Ground truth, read off the frames (10 per second around each change): the title screen melts
into the first demo level, the level melts into a text screen, the text screen melts into
another level. Times are where the melt wipe starts. Everything else in the clips is fast
first-person motion, red damage flashes and the player standing still, none of them a cut.
"""

from __future__ import annotations

from pathlib import Path

import pytest

from game_music.analysis.cuts import analyse_video
from game_music.analysis.result import hop_count
from game_music.media.probe import probe

DATA = Path(__file__).resolve().parents[1] / "data" / "gameplay"
# The two captures are separate runs of the same loop, about 0.3 s apart.
TRUTH = {
    "doom_music.mp4": (3.6, 48.5, 55.3),
    "doom_sfx.mp4": (3.3, 48.2, 55.0),
}
TOLERANCE_S = 0.5


@pytest.mark.parametrize("name", sorted(TRUTH))
def test_cuts_are_the_real_scene_changes(name: str) -> None:
    info = probe(DATA / name)
    found = [c.time for c in analyse_video(info, hop_count(info.duration)).cuts]
    truth = TRUTH[name]
    assert len(found) == len(truth), (found, truth)
    for f, t in zip(found, truth, strict=True):
        assert abs(f - t) <= TOLERANCE_S, (found, truth)
