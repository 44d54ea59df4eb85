"""Where a pose file's steps take the body, checked against what its ``position`` declares.

The compiler tracks the body from pose to pose: it brings the listener to ``position.start``,
leaves out an entry step marked with the position the listener is already in, and takes the
body to be at ``position.held`` during the hold and at ``position.end`` after the exit steps.
A step marked with another position than these would leave the session saying one thing while
the compiler believes another.
"""

from __future__ import annotations

from matcast.errors import Problem
from matcast.routine.facts import span
from matcast.routine.model import Pose, StepSpec
from matcast.routine.yamlsrc import YamlDoc


def _marked(steps: list[str | StepSpec]) -> list[tuple[int, str]]:
    return [(i, s.position.value) for i, s in enumerate(steps)
            if isinstance(s, StepSpec) and s.position is not None]


def position_problems(pose: Pose, doc: YamlDoc) -> list[Problem]:
    """Entry steps begin at ``start`` and end at ``held``; exit steps end at ``end``."""
    where = span(pose)
    if where is None:
        return []
    start, held, end = where.start.value, where.held.value, where.end.value
    problems = []
    enter = _marked(pose.enter)
    if enter and enter[0][0] == 0 and enter[0][1] != start:
        problems.append(doc.problem(
            ("enter", 0, "position"),
            f"the first entry step puts the listener in {enter[0][1]!r}, but the pose starts "
            f"in {start!r} (position.start)",
            f"mark the step 'position: {start}', or change position.start"))
    later = [(i, p) for i, p in enter if i > 0]
    if later and later[-1][1] != held:
        i, p = later[-1]
        problems.append(doc.problem(
            ("enter", i, "position"),
            f"the entry steps end in {p!r}, but the pose is held in {held!r} (position.held)",
            f"mark the step 'position: {held}', or change position.held"))
    exits = _marked(pose.exit)
    if exits and exits[-1][1] != end:
        i, p = exits[-1]
        problems.append(doc.problem(
            ("exit", i, "position"),
            f"the exit steps end in {p!r}, but the pose ends in {end!r} (position.end)",
            f"mark the step 'position: {end}', or change position.end"))
    return problems
