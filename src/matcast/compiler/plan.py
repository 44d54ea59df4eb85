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
    floor: int = 0
    """Fitting never makes the hold shorter than this (a counted hold: its least breaths)."""
    relaxation: bool = False
    """The session's final relaxation: fitting shrinks other holds first, and a session of 15
    minutes or more keeps it at 10% of its length and at least two minutes."""
    ceiling: int = 0
    """Fitting never makes a counted hold longer than this, its most breaths (0: four times
    its intended length)."""


@dataclass(frozen=True, slots=True)
class HoldBlock:
    """A clock-anchored hold: lasts exactly its length, whatever is said inside."""

    spec: HoldSpec
    pose: str
    side: Side | None
    lines: tuple[str, ...]
    """Guidance in the hold, in order: between the counts of a paced hold, one after another
    from the start of a quiet one. The hold is never shorter than they need."""
    breath: tuple[int, int] | None
    """(inhale, exhale) samples when the hold follows the breath, else None (a quiet hold)."""
    checkins: tuple[str, ...] = ()
    """Spoken in turn every ``checkin_every`` samples, where they fit."""
    checkin_every: int = 0
    count: bool = False
    """Count every breath on its exhale ("Exhale, one." ...) from one to the last breath."""
    prompts: bool = False
    """Say "Inhale." (and, when not counting, "Exhale.") at each breath where nothing else is
    said."""
    prompt_breaths: int | None = None
    """Prompt the first this many breaths, then one breath in every few (None: all of them)."""
    moves: tuple[tuple[str, str], ...] = ()
    """Flow movements on the first breath: ("inhale" or "exhale", text), said as that part of
    the breath starts."""


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
