"""Expanding a routine into an untimed plan for one style, level, pace and guidance.

This pass decides what is said and in which order: which pose variation is used, the props the
intro names, where the listener's body is from pose to pose (and so which entry steps are left
out and which transitions are said), the two sides of a bilateral pose with the side words
filled in, the chimes, and what each style and guidance level says or leaves out. The styles
themselves are in :mod:`~matcast.compiler.hold_style` and :mod:`~matcast.compiler.flow_style`.
"""

from __future__ import annotations

from matcast.compiler.entries import Entry, Pacing, SessionState, join_words, pick_pose
from matcast.compiler.flow_style import flow_style
from matcast.compiler.hold_style import hold_style
from matcast.compiler.options import CompileOptions
from matcast.compiler.plan import Bell, ChapterMark, Plan, Rest, Say, Segment
from matcast.compiler.shape import AS_WRITTEN, ROUND_LINES, Shape, order
from matcast.cues import ChimeKind, seconds_to_samples
from matcast.routine.enums import CueSounds, Prop
from matcast.routine.facts import props_at
from matcast.routine.loader import LoadedRoutine
from matcast.routine.model import Style

INTRO_TITLE = "Introduction"
CLOSING_TITLE = "Closing"
PROP_WORDS: dict[Prop, str] = {
    Prop.blanket: "a folded blanket or towel",
    Prop.bolster: "a bolster or a firm pillow",
    Prop.block: "a yoga block or a thick book",
    Prop.strap: "a strap or a belt",
    Prop.chair: "a sturdy chair",
}
"""How the intro names each prop to have within reach (the wall is a place, said apart)."""
PROPS_PAUSE = 10.0
"""Seconds of quiet after the props are named, to fetch them."""


def entries(loaded: LoadedRoutine, options: CompileOptions,
            shape: Shape = AS_WRITTEN) -> list[Entry]:
    """The sequence resolved for ``options`` in ``shape``: each entry with the pose used at its
    level, without the entries left out, and each round in turn."""
    routine = loaded.routine
    done = order(loaded, shape)
    out = []
    for k, (i, round_) in enumerate(done):
        ref = routine.sequence[i]
        out.append(Entry(i, ref, *pick_pose(loaded, ref, options.level), routine, options,
                         k == len(done) - 1, shape.thin, round_))
    return out


def props_line(used: list[Entry], options: CompileOptions) -> str | None:
    """The intro's line naming every prop the session's poses use at its level."""
    props: list[Prop] = []
    for entry in used:
        props += [p for p in props_at(entry.pose, options.level) if p not in props]
    if not props:
        return None
    things = [PROP_WORDS[p] for p in Prop if p in props and p is not Prop.wall]
    parts = [f"have {join_words(things)} within reach"] if things else []
    if Prop.wall in props:
        parts.append("set your mat next to a clear stretch of wall")
    return (f"Before we begin, {', and '.join(parts)}. Take a moment to get ready now, and "
            "pause the session if you need longer.")


def expand(loaded: LoadedRoutine, options: CompileOptions, shape: Shape = AS_WRITTEN) -> Plan:
    """The plan of ``loaded`` for ``options`` (already checked against the routine), in
    ``shape`` (as written unless fitting asks for another)."""
    routine = loaded.routine
    style = options.style_for(routine)
    pacing = Pacing.of(routine, options)
    used = entries(loaded, options, shape)
    out: list[Segment] = [ChapterMark(INTRO_TITLE, None), Bell(ChimeKind.start, None, None)]
    intro = [Say(line, pacing.step_pause, None, None) for line in routine.intro]
    props = props_line(used, options)
    if props is not None:
        # Named early, with time to fetch them: the first minute must name every prop.
        intro.insert(min(1, len(intro)), Say(props, seconds_to_samples(PROPS_PAUSE), None, None))
    out += intro
    out.append(Rest(pacing.rest, None))
    cues = options.cues_for(loaded)
    quiet = cues is CueSounds.chimes_in_holds
    state = SessionState()
    round_ = 1
    for entry in used:
        if entry.round > round_:
            round_ = entry.round
            out.append(Say(ROUND_LINES[round_], pacing.step_pause, None, None))
        out.append(ChapterMark(entry.pose.name, entry.pose_id))
        if style is Style.hold:
            out += hold_style(entry, state, pacing, quiet)
        else:
            out += flow_style(entry, state, pacing, quiet)
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
        low, high = routine.duration.span()
        allowed = (seconds_to_samples(low * 60), seconds_to_samples(high * 60))
    return Plan(
        routine=loaded.slug,
        title=routine.title,
        segments=tuple(out),
        options={"style": style.value, "level": options.level.value, "pace": options.pace.value,
                 "minutes": minutes, "cues": cues.value, "guidance": options.guidance.value},
        target=seconds_to_samples(minutes * 60) if minutes is not None else None,
        allowed=allowed,
    )
