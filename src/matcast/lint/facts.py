"""What the coaching rules share: findings, the facts about a session, its holds and counts.

The relaxation floor is the compiler's own (:mod:`matcast.compiler.fit`): what the compiler
keeps is exactly what the lint checks.
"""

from __future__ import annotations

import re
from collections.abc import Mapping
from dataclasses import dataclass, field

from matcast.compiler.fit import RELAXATION_FROM, RELAXATION_MIN, RELAXATION_SHARE
from matcast.cues import SAMPLE_RATE, CueScript, Event, EventKind, Side
from matcast.routine.enums import CueSounds, Guidance, Level, Prop

__all__ = [
    "ACTIVE_SILENCE", "BREATH_WORD", "FIRST_MINUTE", "NUMBERS", "PROP_WORDS", "QUIET_CHECKIN",
    "RELAXATION_FROM", "RELAXATION_MIN", "RELAXATION_SHARE", "REPEAT_WINDOW", "SIDE_NOUNS",
    "Finding", "HoldSpan", "LintContext", "PoseFacts", "count_number", "hold_spans",
    "is_breath_word",
]


@dataclass(frozen=True, slots=True)
class Finding:
    """One problem in a session."""

    rule: str
    """The rule's name, e.g. ``count-from-one``."""
    start: int
    """Where it is heard, in samples from the start of the session."""
    pose: str | None
    """The pose it belongs to (None in the introduction and closing)."""
    text: str | None
    """The line it is about, when there is one."""
    message: str
    """What is wrong, in a sentence."""


@dataclass(frozen=True, slots=True)
class PoseFacts:
    """What the rules need to know about one pose."""

    name: str
    props: frozenset[Prop] = frozenset()
    """Props the pose uses at the session's level."""
    relaxation: bool = False
    inversion: bool = False
    alternative_cautions: tuple[str, ...] = ()
    """Cautions that point to a gentler pose (the gentle version of the session)."""


@dataclass(frozen=True)
class LintContext:
    """The session's facts beyond its cue script."""

    poses: Mapping[str, PoseFacts] = field(default_factory=dict)
    breath: int | None = None
    """Samples in one breath at the session's pace (None: unknown)."""
    guidance: Guidance = Guidance.full
    cues: CueSounds = CueSounds.voice_and_chimes
    level: Level = Level.all
    gentle_published: bool = True
    """Whether the routine publishes a gentle version beside the main episode."""


FIRST_MINUTE = 60 * SAMPLE_RATE
ACTIVE_SILENCE = 60 * SAMPLE_RATE
"""Longest an active pose may go without a word."""
QUIET_CHECKIN = 180 * SAMPLE_RATE
"""Longest a quiet hold may go without a check-in."""
REPEAT_WINDOW = 30 * SAMPLE_RATE
"""The same line twice within this is a repetition."""

NUMBERS = ("one", "two", "three", "four", "five", "six", "seven", "eight", "nine", "ten",
            "eleven", "twelve", "thirteen", "fourteen", "fifteen", "sixteen", "seventeen",
            "eighteen", "nineteen", "twenty")
BREATH_WORD = re.compile(r"^(?:inhale|exhale)(?:, ([a-z]+|\d+))?\.$", re.IGNORECASE)
"""A breath prompt or count: "Inhale.", "Exhale.", "Exhale, three."."""

SIDE_NOUNS = frozenset({
    "side", "sides", "foot", "feet", "knee", "knees", "hand", "hands", "arm", "arms", "leg",
    "legs", "hip", "hips", "ankle", "ankles", "shoulder", "shoulders", "elbow", "elbows",
    "wrist", "wrists", "heel", "heels", "thigh", "thighs", "palm", "palms", "finger", "fingers",
    "fingertips", "toe", "toes", "shin", "shins", "calf", "calves", "ear", "ears", "rib", "ribs",
    "waist", "forearm", "forearms", "buttock", "sit", "glute", "glutes", "big", "half", "edge"})
"""Words that make "right" a side: "right knee", "right side"."""

PROP_WORDS: dict[Prop, tuple[str, ...]] = {
    Prop.blanket: ("blanket", "towel"),
    Prop.bolster: ("bolster", "pillow", "cushion"),
    Prop.block: ("block",),
    Prop.strap: ("strap", "belt"),
    Prop.chair: ("chair",),
    Prop.wall: ("wall",),
}
"""How each prop may be named when spoken."""


def count_number(text: str | None) -> int | None:
    """The breath count in a line ("Exhale, three." -> 3), or None."""
    match = BREATH_WORD.match(text or "")
    if match is None or match.group(1) is None:
        return None
    word = match.group(1).lower()
    if word.isdigit():
        return int(word)
    return NUMBERS.index(word) + 1 if word in NUMBERS else None


def is_breath_word(text: str | None) -> bool:
    return bool(BREATH_WORD.match(text or ""))


@dataclass
class HoldSpan:
    """One timed hold: consecutive hold events of one pose and side."""

    pose: str | None
    side: Side | None
    events: list[Event]

    @property
    def start(self) -> int:
        return self.events[0].start

    @property
    def end(self) -> int:
        return self.events[-1].end

    def counts(self) -> list[tuple[Event, int]]:
        found = ((e, count_number(e.text)) for e in self.events if e.kind is EventKind.speech)
        return [(e, n) for e, n in found if n is not None]

    @property
    def quiet(self) -> bool:
        """No breath is guided in it: a quiet hold such as a relaxation."""
        return not any(is_breath_word(e.text) for e in self.events)


def hold_spans(script: CueScript) -> list[HoldSpan]:
    spans: list[HoldSpan] = []
    previous: Event | None = None
    for event in script.events:
        if event.hold:
            if (previous is not None and previous.hold and spans
                    and (spans[-1].pose, spans[-1].side) == (event.pose, event.side)):
                spans[-1].events.append(event)
            else:
                spans.append(HoldSpan(event.pose, event.side, [event]))
        previous = event
    return spans
