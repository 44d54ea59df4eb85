"""Flow style: one breath per movement, with the cues a listener needs with closed eyes.

Each new pose is named (with what leads: "High lunge, right foot forward."), the way between the
sides is said, and so is the way from one pose to the next whenever the next one starts
elsewhere or on the other side. Every movement is one breath that starts on the inhale: the
movement is said on the part of the breath it names, and the other part gets its breath word, so
"Inhale" and "Exhale" always alternate and always match the breath. A pose held by the clock (a
final relaxation) keeps its way in, its hold and its way out.
"""

from __future__ import annotations

import re
from collections.abc import Iterator

from matcast.compiler import body
from matcast.compiler.entries import (
    SWITCH_DEFAULT,
    Entry,
    Pacing,
    SessionState,
    fill_sides,
    sentences,
)
from matcast.compiler.hold_style import cautions, end_of, framed, go_to, sides_and_exit
from matcast.compiler.plan import HoldBlock, HoldSpec, Say, Segment
from matcast.cues import Side
from matcast.routine.enums import Guidance

FLOW_MOST_BREATHS = 7
"""A flow pose is one breath per side as written, and up to this many when a session is fitted
longer (the movement on the first, breath words on the rest)."""

_BREATH = re.compile(r"^(inhale|breathe in|exhale|breathe out)\b", re.IGNORECASE)


def moves(cue: str) -> tuple[tuple[str, str], ...]:
    """A flow cue cut at its breath words: (("inhale", "Inhale, ..."), ("exhale", ...)).

    Sentences without a breath word join the part before them; a cue that starts without one
    is said as the breath starts.
    """
    parts: list[list[str]] = []
    for sentence in sentences(cue):
        match = _BREATH.match(sentence)
        if match is None and parts:
            parts[-1][1] += " " + sentence
            continue
        word = match.group(1).lower() if match else "inhale"
        part = "inhale" if word in ("inhale", "breathe in") else "exhale"
        if parts and parts[-1][0] == part:
            parts[-1][1] += " " + sentence
        else:
            parts.append([part, sentence])
    return tuple((part, text) for part, text in parts)


def leave(entry: Entry, state: SessionState, pacing: Pacing) -> Iterator[Say]:
    """Out of the last pose when this one starts elsewhere or leads with the other side: its
    release line, else its switch cue (which names the new side)."""
    prev = state.previous
    span = entry.span
    first = entry.sides[0]
    if prev is None or prev.by_clock:
        return
    flip = first is not None and state.side is not None and state.side is not first
    away = span is not None and state.body is not None and state.body is not span.start
    release = prev.get("release")
    if release and (flip or away):
        yield Say(fill_sides(release, state.side), pacing.step_pause, entry.pose_id, None)
        state.body = end_of(prev)
    elif flip:
        switch = prev.get("switch") or SWITCH_DEFAULT
        yield Say(fill_sides(switch, first), pacing.step_pause, entry.pose_id, None)
        prev_span = prev.span
        state.body = prev_span.start if prev_span else None


def arrive(entry: Entry, state: SessionState, pacing: Pacing) -> Iterator[Say]:
    """To this pose's starting position (the starting position itself before the first pose)."""
    if entry.by_clock:
        yield from go_to(entry, state, pacing)
        return
    span = entry.span
    if span is None:
        state.body = None
        return
    if not state.started or state.body is not None:
        line = body.transition(state.body, span.start)
        if line is not None:
            yield Say(line, pacing.step_pause, entry.pose_id, None)
    state.body = span.start


def flow_style(entry: Entry, state: SessionState, pacing: Pacing,
               quiet: bool) -> Iterator[Segment]:
    """The pose in flow: the way there, its name, then one breath per side."""
    pose_id = entry.pose_id
    yield from leave(entry, state, pacing)
    if entry.ref.say and entry.options.guidance is not Guidance.quiet:
        yield Say(entry.ref.say, pacing.step_pause, pose_id, None)
    yield from arrive(entry, state, pacing)
    span = entry.span
    if entry.by_clock:
        yield from _held(entry, state, pacing, quiet)
    else:
        yield Say(entry.name_line(state, flow=True), pacing.step_pause, pose_id, None)
        yield from cautions(entry, state, pacing)
        first = entry.get("enter")[0]
        cue = entry.get("flow") or (first if isinstance(first, str) else first.say)
        spec = HoldSpec(str(entry.index), pacing.breath, pacing.breath, pacing.breath,
                        ceiling=FLOW_MOST_BREATHS * pacing.breath)
        guidance = entry.options.guidance
        for side in entry.sides:
            if side is Side.left:
                switch = entry.get("switch") or SWITCH_DEFAULT
                yield Say(fill_sides(switch, side), pacing.step_pause, pose_id, side)
                state.body = span.start if span else None
            silent = quiet or guidance is Guidance.quiet
            block = HoldBlock(
                spec, pose_id, side, (), (pacing.inhale, pacing.exhale),
                moves=() if silent else moves(fill_sides(cue, side)),
                prompts=not silent,
                prompt_breaths=1 if guidance is Guidance.light else None)
            yield from framed(block, quiet)
            state.body = span.held if span else None
            state.side = side
    state.started = True
    state.seen.add(pose_id)
    state.previous = entry


def _held(entry: Entry, state: SessionState, pacing: Pacing, quiet: bool) -> Iterator[Segment]:
    """A pose held by the clock, such as the final relaxation: named, its way in, its hold with
    its cues and check-ins (flow says no tips), and its way out (a relaxation needs one)."""
    yield Say(entry.name_line(state, flow=True), pacing.step_pause, entry.pose_id, None)
    yield from cautions(entry, state, pacing)
    yield from sides_and_exit(entry, state, pacing, quiet, chimes=False, tips=False)
