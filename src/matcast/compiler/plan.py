"""The untimed plan: what the session says and does, before any time is assigned.

Expanding a routine gives a flat tuple of segments. Speech lengths are not known here; holds know
their intended length but not yet their final one (``--minutes`` may scale them). Scheduling turns a
plan plus speech lengths plus hold lengths into a :class:`~matcast.cues.CueScript`.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from matcast.cues import ChimeKind, Side


@dataclass(frozen=True, slots=True)
class Say:
    """A spoken line, then ``pause`` samples of quiet."""

    text: str
    pause: int
    pose: str | None
    side: Side | None


@dataclass(frozen=True, slots=True)
class Rest:
    """Quiet between poses; ``flexible`` rests stretch or shrink a little to fit ``--minutes``."""

    samples: int
    pose: str | None
    flexible: bool = True


@dataclass(frozen=True, slots=True)
class Bell:
    """A chime."""

    kind: ChimeKind
    pose: str | None
    side: Side | None


@dataclass(frozen=True, slots=True)
class HoldSpec:
    """The intended length of a hold. Both sides of a pose share one spec, hence one length."""

    key: str
    """Identifies the hold across sides: its final length is looked up by this key."""
    base: int
    """Intended length in samples (before --minutes scaling)."""
    quantum: int | None
    """Breath length when the hold counts breaths: its length stays a whole number of breaths."""


@dataclass(frozen=True, slots=True)
class HoldBlock:
    """A clock-anchored hold: lasts exactly its length, whatever is said inside."""

    spec: HoldSpec
    pose: str
    side: Side | None
    lines: tuple[str, ...]
    """Spoken one after another from the start of the hold; the hold is never shorter."""
    breath: tuple[int, int] | None
    """(inhale, exhale) samples when each breath is guided, else None."""
    checkins: tuple[str, ...]
    """Spoken in turn every ``checkin_every`` samples, where they fit."""
    checkin_every: int


@dataclass(frozen=True, slots=True)
class ChapterMark:
    """A chapter starts here."""

    title: str
    pose: str | None


Segment = Say | Rest | Bell | HoldBlock | ChapterMark


@dataclass(frozen=True, slots=True)
class Plan:
    """A routine expanded for one style, level and pace."""

    routine: str
    title: str
    segments: tuple[Segment, ...]
    options: dict[str, Any]
    target: int | None
    """Session length to fit, in samples, or None to keep the intended holds."""
    allowed: tuple[int, int] | None
    """The routine's own bounds on the session length in samples, when it declares them."""
