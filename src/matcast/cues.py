"""The cue script: the timed intermediate form every stage after the compiler reads.

The compiler produces a :class:`CueScript`; the renderer turns its events into audio one by one;
the sidecar writers serialise it. Times are integer sample counts at :data:`SAMPLE_RATE`, so two
equal holds are exactly equal and nothing drifts; the JSON form gives them in seconds.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from enum import StrEnum
from typing import Any

SAMPLE_RATE = 44_100
"""Samples per second of every timing and of the rendered audio."""


def seconds_to_samples(seconds: float) -> int:
    """Round a length in seconds to whole samples."""
    return round(seconds * SAMPLE_RATE)


def samples_to_seconds(samples: int) -> float:
    """A sample count in seconds, rounded to the microsecond (exact enough to round-trip)."""
    return round(samples / SAMPLE_RATE, 6)


class EventKind(StrEnum):
    """What fills an event's span of time."""

    speech = "speech"
    silence = "silence"
    chime = "chime"


class ChimeKind(StrEnum):
    """The bells: each sounds different so a listener knows what happens without looking."""

    start = "start"
    transition = "transition"
    switch = "switch"
    end = "end"
    hold = "hold"
    """Marks the start and the end of a hold when holds are left to chimes alone."""


CHIME_SAMPLES: dict[ChimeKind, int] = {
    ChimeKind.start: seconds_to_samples(3.0),
    ChimeKind.transition: seconds_to_samples(2.0),
    ChimeKind.switch: seconds_to_samples(1.5),
    ChimeKind.end: seconds_to_samples(4.0),
    ChimeKind.hold: seconds_to_samples(1.2),
}
"""Length of each chime, bell ring-out included; the synthesiser renders exactly this many."""


class Side(StrEnum):
    """The side of a two-sided pose."""

    right = "right"
    left = "left"


@dataclass(frozen=True, slots=True)
class Event:
    """One span of the session's timeline; events tile the timeline in order without overlap."""

    start: int
    """First sample."""
    end: int
    """One past the last sample."""
    kind: EventKind
    """Speech, silence or a chime."""
    text: str | None = None
    """The words spoken (speech only)."""
    pose: str | None = None
    """The id of the pose this event belongs to (None for intro and closing)."""
    side: Side | None = None
    """Which side of a two-sided pose, else None."""
    hold: bool = False
    """True for events inside a timed hold."""
    chime: ChimeKind | None = None
    """Which bell (chime only)."""

    @property
    def length(self) -> int:
        """Length in samples."""
        return self.end - self.start

    def to_dict(self) -> dict[str, Any]:
        out: dict[str, Any] = {
            "start": samples_to_seconds(self.start),
            "end": samples_to_seconds(self.end),
            "kind": self.kind.value,
            "text": self.text,
            "pose": self.pose,
            "side": self.side.value if self.side else None,
            "hold": self.hold,
        }
        if self.chime is not None:
            out["chime"] = self.chime.value
        return out

    @classmethod
    def from_dict(cls, data: dict[str, Any]) -> Event:
        return cls(
            start=seconds_to_samples(data["start"]),
            end=seconds_to_samples(data["end"]),
            kind=EventKind(data["kind"]),
            text=data.get("text"),
            pose=data.get("pose"),
            side=Side(data["side"]) if data.get("side") else None,
            hold=bool(data.get("hold", False)),
            chime=ChimeKind(data["chime"]) if data.get("chime") else None,
        )


@dataclass(frozen=True, slots=True)
class Chapter:
    """A named stretch of the session: the intro, one pose (both sides), or the closing."""

    title: str
    """Shown in podcast apps."""
    start: int
    """First sample."""
    end: int
    """One past the last sample; the next chapter starts here."""
    pose: str | None = None
    """The pose id, for pose chapters."""

    def to_dict(self) -> dict[str, Any]:
        out: dict[str, Any] = {
            "title": self.title,
            "start": samples_to_seconds(self.start),
            "end": samples_to_seconds(self.end),
        }
        if self.pose is not None:
            out["pose"] = self.pose
        return out

    @classmethod
    def from_dict(cls, data: dict[str, Any]) -> Chapter:
        return cls(
            title=data["title"],
            start=seconds_to_samples(data["start"]),
            end=seconds_to_samples(data["end"]),
            pose=data.get("pose"),
        )


@dataclass(frozen=True, slots=True)
class CueScript:
    """A whole session: what happens when, in samples at :data:`SAMPLE_RATE`."""

    routine: str
    """The routine's slug."""
    title: str
    """The routine's title."""
    events: tuple[Event, ...]
    """The timeline, in order, tiling [0, duration)."""
    chapters: tuple[Chapter, ...]
    """Intro, one per pose, closing; in order, tiling [0, duration)."""
    options: dict[str, Any] = field(default_factory=dict)
    """The compile options it was made with (style, level, pace, minutes)."""

    @property
    def duration(self) -> int:
        """Length of the session in samples: the end of the last event."""
        return self.events[-1].end if self.events else 0

    @property
    def duration_seconds(self) -> float:
        return self.duration / SAMPLE_RATE

    def speech_texts(self) -> list[str]:
        """Every distinct spoken line, in order of first use."""
        return list(dict.fromkeys(e.text for e in self.events if e.kind is EventKind.speech
                                  and e.text))

    def to_dict(self) -> dict[str, Any]:
        return {
            "routine": self.routine,
            "title": self.title,
            "duration": samples_to_seconds(self.duration),
            "sample_rate": SAMPLE_RATE,
            "options": dict(self.options),
            "chapters": [c.to_dict() for c in self.chapters],
            "events": [e.to_dict() for e in self.events],
        }

    @classmethod
    def from_dict(cls, data: dict[str, Any]) -> CueScript:
        return cls(
            routine=data["routine"],
            title=data["title"],
            events=tuple(Event.from_dict(e) for e in data["events"]),
            chapters=tuple(Chapter.from_dict(c) for c in data["chapters"]),
            options=dict(data.get("options", {})),
        )
