"""Hold style: each pose with its name, its way in, a timed hold per side, and its way out."""

from __future__ import annotations

from collections.abc import Iterator

from matcast.compiler import body
from matcast.compiler.entries import (
    SWITCH_DEFAULT,
    Entry,
    Pacing,
    SessionState,
    fill_sides,
)
from matcast.compiler.plan import Bell, HoldBlock, Rest, Say, Segment
from matcast.cues import ChimeKind, Side
from matcast.routine.enums import Guidance, Position


def go_to(entry: Entry, state: SessionState, pacing: Pacing) -> Iterator[Say]:
    """The transition that brings the listener to the pose's starting position, when they are
    somewhere else. The first pose's own entry steps say where to begin."""
    span = entry.span
    if span is None:
        if state.started:
            state.body = None
        return
    if not state.started:
        return  # where the listener begins is not known: entry steps marked with it are said
    if state.body is not None:
        line = body.transition(state.body, span.start)
        if line is not None:
            yield Say(line, pacing.step_pause, entry.pose_id, None)
    state.body = span.start


def steps(entry: Entry, which: str, side: Side | None, state: SessionState, pacing: Pacing,
          positions_only: bool = False) -> Iterator[Say]:
    """Entry or exit steps, leaving out those that put the listener where they already are."""
    for step in entry.steps(which):
        if step.position is not None and step.position is state.body:
            continue
        if positions_only and step.position is None:
            continue
        yield Say(fill_sides(step.say, side), pacing.pause(step.pause), entry.pose_id, side)
        if step.position is not None:
            state.body = step.position


def cautions(entry: Entry, state: SessionState, pacing: Pacing) -> Iterator[Say]:
    """Cautions, each said once in a session."""
    for caution in entry.cautions:
        if caution not in state.cautions:
            state.cautions.add(caution)
            yield Say(caution, pacing.step_pause, entry.pose_id, None)


def framed(block: HoldBlock, quiet: bool) -> Iterator[Segment]:
    """A hold, framed by the hold chime when holds are left to chimes alone."""
    if quiet:
        yield Bell(ChimeKind.hold, block.pose, block.side)
    yield block
    if quiet:
        yield Bell(ChimeKind.hold, block.pose, block.side)


def hold_style(entry: Entry, state: SessionState, pacing: Pacing,
               quiet: bool) -> Iterator[Segment]:
    """Chime, name, cautions, the way to the start; per side: entry steps and a timed hold;
    then the way out and a rest."""
    pose_id = entry.pose_id
    quiet_guidance = entry.options.guidance is Guidance.quiet
    yield Bell(ChimeKind.transition, pose_id, None)
    if entry.ref.say:
        yield Say(entry.ref.say, pacing.step_pause, pose_id, None)
    # Quiet guidance leaves out the entry steps, so the name says what leads, as in flow.
    yield Say(entry.name_line(state, flow=quiet_guidance), pacing.step_pause, pose_id, None)
    yield from cautions(entry, state, pacing)
    yield from go_to(entry, state, pacing)
    yield from sides_and_exit(entry, state, pacing, quiet, chimes=True, tips=True)
    if entry.ref.transition:
        yield Say(entry.ref.transition, pacing.step_pause, pose_id, None)
    yield Rest(pacing.rest, pose_id)
    state.started = True
    state.seen.add(pose_id)
    state.previous = entry


def sides_and_exit(entry: Entry, state: SessionState, pacing: Pacing, quiet: bool,
                   chimes: bool, tips: bool) -> Iterator[Segment]:
    """Per side: the switch cue (after its chime), the entry steps and the timed hold; then the
    exit steps. ``tips`` adds the tips and targets to the first side's hold."""
    span = entry.span
    spec = entry.hold_spec(pacing)
    positions_only = entry.options.guidance is Guidance.quiet
    for i, side in enumerate(entry.sides):
        if side is Side.left:
            if chimes:
                yield Bell(ChimeKind.switch, entry.pose_id, side)
            switch = entry.get("switch") or SWITCH_DEFAULT
            yield Say(fill_sides(switch, side), pacing.step_pause, entry.pose_id, side)
            state.body = span.start if span else None
        yield from steps(entry, "enter", side, state, pacing, positions_only=positions_only)
        block = entry.hold_block(spec, side, pacing, state, first_side=tips and i == 0,
                                 quiet=quiet)
        yield from framed(block, quiet)
        state.body = span.held if span else None
        state.side = side
    yield from steps(entry, "exit", None, state, pacing)
    state.body = end_of(entry)


def end_of(entry: Entry) -> Position | None:
    span = entry.span
    return span.end if span else None
