"""The choices a routine and the command line share: level, style, pace, breath cues, sounds.

Kept apart from the models so that the command line can offer them without loading pydantic.
"""

from __future__ import annotations

from enum import StrEnum


class Level(StrEnum):
    """Who a routine is for, and which variation of a pose the compiler picks."""

    gentle = "gentle"
    beginner = "beginner"
    all = "all"
    advanced = "advanced"


class Style(StrEnum):
    """How the session moves: long holds, or one breath per movement."""

    hold = "hold"
    flow = "flow"


class Pace(StrEnum):
    """How fast breaths and pauses go."""

    slow = "slow"
    medium = "medium"
    fast = "fast"


class BreathCues(StrEnum):
    """What the voice says about the breath during a hold."""

    count = "count"
    """Guide every breath: "inhale" at each in-breath, "exhale, two" at each out-breath."""
    none = "none"
    """Say nothing about the breath: only the hold cues, tips and check-ins, else silence."""


class CueSounds(StrEnum):
    """What marks the session: voice and chimes, or fewer sounds for those who want quiet."""

    voice_and_chimes = "voice-and-chimes"
    """Everything: chimes between poses and sides, and the voice guiding every hold."""
    chimes_in_holds = "chimes-in-holds"
    """Holds have no words: a soft chime starts and ends each one; the way in is still spoken."""
    no_chimes = "no-chimes"
    """The voice alone: no bells at all."""


class Guidance(StrEnum):
    """How much the voice says (like an "instruction amount" setting)."""

    full = "full"
    """Everything: entry steps, hold cues, tips, targets, breath counts and prompts, check-ins."""
    light = "light"
    """No tips or targets, and no "Inhale." prompt on every breath: the counts stay."""
    quiet = "quiet"
    """Names, cautions, transitions and side switches only: holds are silent."""


class Position(StrEnum):
    """Where the body is on the mat: the compiler tracks it from pose to pose."""

    standing = "standing"
    kneeling = "kneeling"
    """Upright or sitting back on the heels, knees on the mat (also a kneeling lunge)."""
    all_fours = "all-fours"
    """Hands and knees (or hands and feet, as in downward dog)."""
    seated = "seated"
    """Sitting on the mat (also hips on the floor, as in pigeon)."""
    supine = "supine"
    """Lying on the back."""
    prone = "prone"
    """Lying on the front."""


class Prop(StrEnum):
    """Things a pose may ask the listener to have within reach."""

    blanket = "blanket"
    """A folded blanket or towel."""
    bolster = "bolster"
    """A bolster, a firm pillow or a cushion."""
    block = "block"
    """A yoga block or a thick book."""
    strap = "strap"
    """A strap or a belt."""
    chair = "chair"
    """A sturdy chair."""
    wall = "wall"
    """A clear stretch of wall."""
BED_NAMES = ("rain", "ocean", "none")
"""Generated beds, and 'none' to switch a bed off."""

AUDIO_SUFFIXES = (".wav", ".mp3", ".flac", ".ogg", ".m4a")
"""Sound-bed files matcast decodes with ffmpeg."""
