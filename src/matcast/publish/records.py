"""What the publishing writers (feed, show notes, library page) know about each episode.

The batch build turns its manifest, the routines and the cue-script sidecars into these records;
the writers read nothing else, so they can be tested with records made up on the spot.
"""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass

from matcast.cues import CueScript


@dataclass(frozen=True)
class PoseNote:
    """One pose of an episode, for its show notes."""

    pose: str
    """Pose id."""
    name: str
    """English name."""
    sanskrit: str | None
    targets: tuple[str, ...]
    tips: tuple[str, ...]
    cautions: tuple[str, ...]
    start: float
    """Seconds into the episode where the pose's chapter starts."""


@dataclass(frozen=True)
class EpisodeRecord:
    """One published episode: a routine built with one variant's options."""

    slug: str
    """Base name of its files: ``<slug>.mp3``, ``.cues.json``, ``.vtt``, ``.chapters.json``,
    ``.html``."""
    title: str
    """Episode title (routine title plus the variant, e.g. "Post-run yoga (20 min, flow)")."""
    routine: str
    """The routine's slug."""
    description: str
    """Plain-text summary."""
    focus: tuple[str, ...]
    author: str
    number: int
    """Episode number: stable, in order of first publication."""
    guid: str
    """Globally unique, never changes for this slug."""
    published: dt.datetime
    """When the episode was first built (UTC); stays the same on rebuilds."""
    mp3_bytes: int
    """Size of the MP3 (the enclosure length)."""
    duration: float
    """Seconds."""
    script: CueScript
    """The final cue script (chapters, events)."""
    poses: tuple[PoseNote, ...]
    """The poses in order, with tips and cautions."""
    style: str
    level: str
    minutes: float | None
