"""The channel map: which note-table channel plays which instrument, for every style.

Channels 0..3 are the chip's four voices, which every style's composer writes to; the band
styles add instruments on the channels above. One leaf module, so the composer, the
arrangements and the synths read the same numbers.
"""

from __future__ import annotations

# The composer's four voices (the NES names; other styles map their instruments onto them).
PULSE1, PULSE2, TRIANGLE, NOISE = 0, 1, 2, 3

# Orchestral: a four-part string section, timpani, the melody in violins, a celli ostinato.
CH_STRINGS = (4, 5, 6, 7)
CH_TIMPANI, CH_VIOLINS, CH_CELLI = 8, 9, 10
# ... and the brass section's chords (swells into big downbeats, marcato stabs).
CH_BRASS = 15
# Lo-fi: four e-piano voices.
CH_KEYS = (4, 5, 6, 7)
# Ambient: four pads, a drone, an echo pair for the bells (CH_ECHO and CH_ECHO + 1).
CH_PADS = (4, 5, 6, 7)
CH_DRONE, CH_ECHO = 8, 9
# Rock: double-tracked rhythm guitars, a second hat and a second kick.
CH_GTR_L, CH_GTR_R, CH_HAT2, CH_KICK2 = 11, 12, 13, 14
