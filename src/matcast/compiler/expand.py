"""Expanding a routine into an untimed plan for one style, level and pace.

This pass decides what is said and in which order: which pose variation is used, the two sides of
a bilateral pose with the side words filled in, the switch cue, the chimes, what the hold style
says and what the flow style leaves out.
"""

from __future__ import annotations

from collections.abc import Iterator
from dataclasses import dataclass
from typing import Any

from matcast.compiler.options import PACE_FACTOR, CompileOptions
from matcast.compiler.plan import Bell, ChapterMark, HoldBlock, HoldSpec, Plan, Rest, Say, Segment
from matcast.cues import ChimeKind, Side, seconds_to_samples
from matcast.routine.enums import CueSounds
from matcast.routine.loader import LoadedRoutine
from matcast.routine.model import BreathCues, Caution, Level, Pose, PoseRef, Routine, Step, Style

SWITCH_DEFAULT = "Switch sides. Now the {side} side."
"""Said between the two sides of a pose that names no switch cue of its own."""
INTRO_TITLE = "Introduction"
CLOSING_TITLE = "Closing"


def fill_sides(text: str, side: Side | None) -> str:
    """Put the side words into a line: {side} and {other}, capitalised as {Side} and {Other}."""
    if side is None:
        return text
    other = Side.left if side is Side.right else Side.right
    return (text.replace("{side}", side.value).replace("{other}", other.value)
            .replace("{Side}", side.value.capitalize())
            .replace("{Other}", other.value.capitalize()))


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


@dataclass(frozen=True)
class _Pacing:
    """Breath and pause lengths in samples, at the chosen pace."""

    inhale: int
    exhale: int
    step_pause: int
    rest: int

    @property
    def breath(self) -> int:
        return self.inhale + self.exhale

    @classmethod
    def of(cls, routine: Routine, options: CompileOptions) -> _Pacing:
        factor = PACE_FACTOR[options.pace]
        d = routine.defaults
        return cls(seconds_to_samples(d.breath.inhale * factor),
                   seconds_to_samples(d.breath.exhale * factor),
                   seconds_to_samples(d.step_pause * factor),
                   seconds_to_samples(d.rest * factor))

    def pause(self, seconds: float | None, options: CompileOptions) -> int:
        if seconds is None:
            return self.step_pause
        return seconds_to_samples(seconds * PACE_FACTOR[options.pace])


@dataclass(frozen=True)
class _Entry:
    """One sequence entry resolved: the pose used and its effective settings."""

    index: int
    ref: PoseRef
    pose_id: str
    pose: Pose
    routine: Routine

    def get(self, name: str) -> Any:
        """A pose field, overridden by the routine entry. Text overrides belong to the pose they
        were written for, so they are ignored when a variation or alternative is used instead."""
        value = getattr(self.ref, name, None) if self.pose_id == self.ref.pose else None
        return value if value is not None else getattr(self.pose, name)

    @property
    def sides(self) -> tuple[Side | None, ...]:
        return (Side.right, Side.left) if self.pose.sides == "both" else (None,)

    @property
    def cautions(self) -> list[str]:
        return [c if isinstance(c, str) else c.say for c in self.pose.cautions]

    def hold_spec(self, pacing: _Pacing) -> HoldSpec:
        hold = self.ref.hold or self.pose.hold or self.routine.defaults.hold
        if hold.breaths is not None:
            return HoldSpec(str(self.index), hold.breaths * pacing.breath, pacing.breath)
        seconds = hold.seconds if hold.seconds is not None else (hold.minutes or 0) * 60
        return HoldSpec(str(self.index), seconds_to_samples(seconds), None)


    def hold_block(self, spec: HoldSpec, side: Side | None, pacing: _Pacing,
                   with_tips: bool, quiet: bool = False) -> HoldBlock:
        """The timed hold of one side. Tips are said once, on the first side. A ``quiet`` hold
        (chimes-in-holds) says nothing at all."""
        if quiet:
            return HoldBlock(spec, self.pose_id, side, (), None, (), 0)
        defaults = self.routine.defaults
        cues = self.ref.breath_cues or self.pose.breath_cues or defaults.breath_cues
        every = self.ref.checkin_every or self.pose.checkin_every or defaults.checkin_every
        tips = self.get("tips") if with_tips and side is not Side.left else []
        return HoldBlock(
            spec, self.pose_id, side,
            tuple(fill_sides(t, side) for t in [*self.get("hold_cues"), *tips]),
            (pacing.inhale, pacing.exhale) if cues is BreathCues.count else None,
            tuple(fill_sides(t, side) for t in self.get("checkins")),
            seconds_to_samples(every))


def expand(loaded: LoadedRoutine, options: CompileOptions) -> Plan:
    """The plan of ``loaded`` for ``options`` (already checked against the routine)."""
    routine = loaded.routine
    style = options.style_for(routine)
    pacing = _Pacing.of(routine, options)
    out: list[Segment] = [ChapterMark(INTRO_TITLE, None), Bell(ChimeKind.start, None, None)]
    out += [Say(line, pacing.step_pause, None, None) for line in routine.intro]
    out.append(Rest(pacing.rest, None))
    cues = options.cues_for(loaded)
    quiet = cues is CueSounds.chimes_in_holds
    for index, ref in enumerate(routine.sequence):
        pose_id, pose = pick_pose(loaded, ref, options.level)
        entry = _Entry(index, ref, pose_id, pose, routine)
        out.append(ChapterMark(pose.name, pose_id))
        if style is Style.hold:
            out += _hold_style(entry, pacing, options, quiet)
        else:
            out += _flow_style(entry, pacing, quiet)
    out.append(ChapterMark(CLOSING_TITLE, None))
    out += [Say(line, pacing.step_pause, None, None) for line in routine.outro]
    out.append(Bell(ChimeKind.end, None, None))
    if cues is CueSounds.no_chimes:
        out = [seg for seg in out if not isinstance(seg, Bell)]

    minutes = options.minutes
    if minutes is None and routine.duration is not None:
        minutes = routine.duration.default
    allowed = None
    if routine.duration is not None:
        d = routine.duration
        allowed = (seconds_to_samples((d.min or d.default) * 60),
                   seconds_to_samples((d.max or d.default) * 60))
    return Plan(
        routine=loaded.slug,
        title=routine.title,
        segments=tuple(out),
        options={"style": style.value, "level": options.level.value, "pace": options.pace.value,
                 "minutes": minutes, "cues": cues.value},
        target=seconds_to_samples(minutes * 60) if minutes is not None else None,
        allowed=allowed,
    )


def _steps(steps: list[Step], entry: _Entry, side: Side | None, pacing: _Pacing,
           options: CompileOptions) -> Iterator[Say]:
    for step in steps:
        text, pause = (step, None) if isinstance(step, str) else (step.say, step.pause)
        yield Say(fill_sides(text, side), pacing.pause(pause, options), entry.pose_id, side)


def _quiet(block: HoldBlock, quiet: bool) -> Iterator[Segment]:
    """A hold, framed by the hold chime when holds are left to chimes alone."""
    if quiet:
        yield Bell(ChimeKind.hold, block.pose, block.side)
    yield block
    if quiet:
        yield Bell(ChimeKind.hold, block.pose, block.side)


def _hold_style(entry: _Entry, pacing: _Pacing, options: CompileOptions,
                quiet: bool) -> Iterator[Segment]:
    """Chime, name, cautions, then per side: entry steps and a timed hold; then the way out."""
    pose_id, pose = entry.pose_id, entry.pose
    yield Bell(ChimeKind.transition, pose_id, None)
    if entry.ref.say:
        yield Say(entry.ref.say, pacing.step_pause, pose_id, None)
    name = f"{pose.name}, {pose.sanskrit}." if pose.sanskrit else f"{pose.name}."
    yield Say(name, pacing.step_pause, pose_id, None)
    yield from (Say(c, pacing.step_pause, pose_id, None) for c in entry.cautions)
    spec = entry.hold_spec(pacing)
    for side in entry.sides:
        if side is Side.left:
            yield Bell(ChimeKind.switch, pose_id, side)
            switch = entry.get("switch") or SWITCH_DEFAULT
            yield Say(fill_sides(switch, side), pacing.step_pause, pose_id, side)
        yield from _steps(entry.get("enter"), entry, side, pacing, options)
        yield from _quiet(entry.hold_block(spec, side, pacing, with_tips=True, quiet=quiet),
                          quiet)
    yield from _steps(entry.get("exit"), entry, None, pacing, options)
    if entry.ref.transition:
        yield Say(entry.ref.transition, pacing.step_pause, pose_id, None)
    yield Rest(pacing.rest, pose_id)


def _flow_style(entry: _Entry, pacing: _Pacing, quiet: bool) -> Iterator[Segment]:
    """One breath per movement, the cue said as the breath starts: no chimes, names, tips or
    rests between poses. Cautions are kept: they are about safety. A pose held by the clock (a
    final relaxation) keeps its hold: its cue, then the hold with its cues and check-ins."""
    yield from (Say(c, pacing.step_pause, entry.pose_id, None) for c in entry.cautions)
    first = entry.get("enter")[0]
    cue = entry.get("flow") or (first if isinstance(first, str) else first.say)
    spec = entry.hold_spec(pacing)
    if spec.quantum is None:
        for side in entry.sides:
            yield Say(fill_sides(cue, side), pacing.step_pause, entry.pose_id, side)
            yield from _quiet(entry.hold_block(spec, side, pacing, with_tips=False,
                                               quiet=quiet), quiet)
        return
    spec = HoldSpec(str(entry.index), pacing.breath, pacing.breath)
    for side in entry.sides:
        yield HoldBlock(spec, entry.pose_id, side, (fill_sides(cue, side),), None, (), 0)
