"""One sequence entry resolved for a compile: the pose used, its settings, and what it says.

Shared by the hold and flow styles, together with :class:`SessionState`, the little the compiler
remembers while it walks the sequence: where the listener's body is, which side they last held,
which cautions, poses and targets they have already heard.
"""

from __future__ import annotations

import re
from dataclasses import dataclass, field, replace
from typing import Any

from matcast.compiler.options import PACE_FACTOR, CompileOptions
from matcast.compiler.plan import HoldBlock, HoldSpec
from matcast.cues import Side, seconds_to_samples
from matcast.routine.enums import Guidance, Position
from matcast.routine.facts import Span, is_relaxation, level_lines, span
from matcast.routine.loader import LoadedRoutine
from matcast.routine.model import (
    BreathCues,
    Caution,
    Level,
    Pose,
    PoseRef,
    Routine,
    Step,
    StepSpec,
)

SWITCH_DEFAULT = "Switch sides. Now the {side} side."
"""Said between the two sides of a pose that names no switch cue of its own."""
LEVEL_HOLD: dict[Level, float] = {Level.gentle: 1.0, Level.beginner: 0.7, Level.all: 1.0,
                                  Level.advanced: 1.5}
"""Breath-counted holds (relaxations aside) last this many times as long at each level."""
MIN_COUNTED = 3
"""A counted hold keeps at least three breaths (or fewer if written so), however it is fitted,
unless its pose names its own ``min_breaths``."""
MAX_COUNTED = (2.0, 8)
"""A counted hold grows to at most twice its breaths, and at least to eight, however it is
fitted, unless its pose names its own ``max_breaths``."""

THIN_CHECKINS = 2
"""A thinned hold's check-ins come this many times further apart."""

TARGETS_SAID = ("This pose is for your {}.", "This one works on your {}.",
                "The focus here is your {}.")
"""Ways of saying a pose's targets, taken in turn so that no opening repeats pose after pose."""

_SENTENCE = re.compile(r"(?<=[.!?])\s+(?=[A-Z])")


def fill_sides(text: str, side: Side | None) -> str:
    """Put the side words into a line: {side} and {other}, capitalised as {Side} and {Other}."""
    if side is None:
        return text
    other = Side.left if side is Side.right else Side.right
    return (text.replace("{side}", side.value).replace("{other}", other.value)
            .replace("{Side}", side.value.capitalize())
            .replace("{Other}", other.value.capitalize()))


def sentences(text: str) -> list[str]:
    """A line cut into its sentences: in a hold, each can go into its own gap between counts."""
    return [s for s in _SENTENCE.split(text.strip()) if s]


def pick_pose(loaded: LoadedRoutine, ref: PoseRef, level: Level) -> tuple[str, Pose]:
    """The pose used for ``ref`` at ``level``: a variation, a gentler alternative, or itself."""
    if level in ref.variations:
        pose_id = ref.variations[level]
        return pose_id, loaded.poses[pose_id]
    pose = loaded.poses[ref.pose]
    if level is Level.gentle:
        for caution in pose.cautions:
            if isinstance(caution, Caution) and caution.alternative:
                return caution.alternative, loaded.poses[caution.alternative]
    return ref.pose, pose


def join_words(items: list[str]) -> str:
    """["a", "b", "c"] -> "a, b and c"."""
    return items[0] if len(items) == 1 else ", ".join(items[:-1]) + " and " + items[-1]


@dataclass(frozen=True)
class Pacing:
    """Breath and pause lengths in samples, at the chosen pace."""

    inhale: int
    exhale: int
    step_pause: int
    rest: int
    factor: float

    @property
    def breath(self) -> int:
        return self.inhale + self.exhale

    @classmethod
    def of(cls, routine: Routine, options: CompileOptions) -> Pacing:
        factor = PACE_FACTOR[options.pace]
        d = routine.defaults
        return cls(seconds_to_samples(d.breath.inhale * factor),
                   seconds_to_samples(d.breath.exhale * factor),
                   seconds_to_samples(d.step_pause * factor),
                   seconds_to_samples(d.rest * factor), factor)

    def pause(self, seconds: float | None) -> int:
        if seconds is None:
            return self.step_pause
        return seconds_to_samples(seconds * self.factor)


@dataclass
class SessionState:
    """What the compiler remembers while it walks the sequence."""

    body: Position | None = None
    """Where the listener is (None: not known)."""
    started: bool = False
    """Whether any pose has been guided yet (before it, the starting position is said)."""
    side: Side | None = None
    """The side of the last two-sided hold."""
    previous: Entry | None = None
    cautions: set[str] = field(default_factory=set)
    seen: set[str] = field(default_factory=set)
    """Poses already guided: a repeated pose is named as such, its targets not said again."""
    targets_said: int = 0


@dataclass(frozen=True)
class Entry:
    """One sequence entry resolved: the pose used and its effective settings."""

    index: int
    ref: PoseRef
    pose_id: str
    pose: Pose
    routine: Routine
    options: CompileOptions
    last: bool
    thin: bool = False
    """Tips and check-ins thinned to fit a shorter session: the first tip only, no targets
    line, check-ins half as often."""
    round: int = 1
    """Which round of the sequence this entry is in (a longer session may do it again): tips
    are said in the first round only."""

    def get(self, name: str) -> Any:
        """A pose field, overridden by the routine entry. Text overrides belong to the pose they
        were written for, so they are ignored when a variation or alternative is used instead."""
        value = getattr(self.ref, name, None) if self.pose_id == self.ref.pose else None
        return value if value is not None else getattr(self.pose, name)

    @property
    def sides(self) -> tuple[Side | None, ...]:
        return (Side.right, Side.left) if self.pose.sides == "both" else (None,)

    @property
    def span(self) -> Span | None:
        found = span(self.pose)
        if found is not None and self.ref.ends_in and self.pose_id == self.ref.pose:
            found = replace(found, end=self.ref.ends_in)
        return found

    @property
    def relaxation(self) -> bool:
        """Whether this entry is the session's final relaxation."""
        return self.last and is_relaxation(self.pose, self.routine.defaults.breath_cues)

    @property
    def cautions(self) -> list[str]:
        return [c if isinstance(c, str) else c.say for c in self.pose.cautions]

    @property
    def by_clock(self) -> bool:
        hold = self.ref.hold or self.pose.hold or self.routine.defaults.hold
        return hold.breaths is None

    def steps(self, which: str) -> list[StepSpec]:
        """Entry or exit steps as mappings."""
        items: list[Step] = self.get(which)
        return [StepSpec(say=s) if isinstance(s, str) else s for s in items]

    def hold_spec(self, pacing: Pacing) -> HoldSpec:
        hold = self.ref.hold or self.pose.hold or self.routine.defaults.hold
        key = str(self.index)
        if hold.breaths is not None:
            breaths = hold.breaths
            if not self.relaxation:
                scaled = round(breaths * LEVEL_HOLD[self.options.level])
                breaths = max(min(breaths, MIN_COUNTED), scaled)
            least, most = self.breath_range(breaths)
            return HoldSpec(key, breaths * pacing.breath, pacing.breath,
                            least * pacing.breath, self.relaxation,
                            ceiling=most * pacing.breath)
        seconds = hold.seconds if hold.seconds is not None else (hold.minutes or 0) * 60
        return HoldSpec(key, seconds_to_samples(seconds), None, 0, self.relaxation)

    def breath_range(self, breaths: int) -> tuple[int, int]:
        """The fewest and most breaths a counted hold of ``breaths`` may be fitted to."""
        least = self.pose.min_breaths or MIN_COUNTED
        most = self.pose.max_breaths or max(round(breaths * MAX_COUNTED[0]), MAX_COUNTED[1])
        return min(least, breaths), max(most, breaths)

    def name_line(self, state: SessionState, flow: bool = False) -> str:
        """The pose's name as announced: in hold style with its Sanskrit name, in flow style with
        what leads on the first side; "once more" when it comes again."""
        pose = self.pose
        again = self.pose_id in state.seen
        name = f"Once more, {pose.name[0].lower()}{pose.name[1:]}" if again else pose.name
        side = self.sides[0]
        if flow and side is not None:
            lead = self.get("lead") or "{side} side"
            return f"{name}, {fill_sides(lead, side)}."
        if again:
            return f"{name}."
        if flow or not pose.sanskrit:
            return f"{pose.name}."
        return f"{pose.name}, {pose.sanskrit}."

    def targets_line(self, turn: int = 0) -> str | None:
        """Where the pose works, said once per session; ``turn`` varies the wording."""
        targets = [t.spoken for t in self.pose.targets]
        if not targets:
            return None
        return TARGETS_SAID[turn % len(TARGETS_SAID)].format(join_words(targets))

    def hold_block(self, spec: HoldSpec, side: Side | None, pacing: Pacing,
                   state: SessionState, first_side: bool, quiet: bool = False) -> HoldBlock:
        """The timed hold of one side. Tips and targets are said once, on the first side; a
        ``quiet`` hold (chimes-in-holds, or quiet guidance) says nothing at all."""
        guidance = self.options.guidance
        if quiet or guidance is Guidance.quiet:
            return HoldBlock(spec, self.pose_id, side, (), None)
        defaults = self.routine.defaults
        cues = self.ref.breath_cues or self.pose.breath_cues or defaults.breath_cues
        every = self.ref.checkin_every or self.pose.checkin_every or defaults.checkin_every
        lines = [*self.get("hold_cues"), *level_lines(self.pose, self.options.level)]
        if guidance is Guidance.full and first_side and self.round == 1:
            tips = self.get("tips")
            lines += tips[:1] if self.thin else tips
            targets = self.targets_line(state.targets_said)
            if targets and self.pose_id not in state.seen and not self.thin:
                lines.append(targets)
                state.targets_said += 1
        counted = cues is BreathCues.count
        return HoldBlock(
            spec, self.pose_id, side,
            tuple(s for line in lines for s in sentences(fill_sides(line, side))),
            (pacing.inhale, pacing.exhale) if counted else None,
            tuple(fill_sides(t, side) for t in self.get("checkins")),
            seconds_to_samples(every * (THIN_CHECKINS if self.thin else 1)),
            count=counted, prompts=counted and guidance is Guidance.full)
