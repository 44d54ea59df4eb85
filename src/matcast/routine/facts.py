"""What a pose is, beyond what its file says outright: the defaults the compiler and the coaching
lint share (where the body is, whether it is a relaxation, which props it uses at a level).
"""

from __future__ import annotations

from dataclasses import dataclass

from matcast.routine.enums import BreathCues, Level, Position, Prop
from matcast.routine.model import Pose, PositionSpan


@dataclass(frozen=True, slots=True)
class Span:
    """Where a pose starts, is held, and leaves the listener after its exit steps."""

    start: Position
    held: Position
    end: Position


def span(pose: Pose) -> Span | None:
    """The pose's positions with their defaults filled in, or None when it declares none."""
    position = pose.position
    if position is None:
        return None
    if not isinstance(position, PositionSpan):
        return Span(position, position, position)
    held = position.held or position.start
    return Span(position.start, held, position.end or held)


def is_relaxation(pose: Pose, breath_cues: BreathCues | None = None) -> bool:
    """Whether the pose is a relaxation: as declared, else a clock-held pose with quiet breath.

    ``breath_cues`` is the routine's default, used when the pose names none.
    """
    if pose.relaxation is not None:
        return pose.relaxation
    by_clock = pose.hold is not None and pose.hold.breaths is None
    cues = pose.breath_cues or breath_cues
    return by_clock and cues is BreathCues.none


def props_at(pose: Pose, level: Level) -> list[Prop]:
    """The props the pose uses at ``level``: its own, then what that level adds."""
    extra = pose.levels.get(level)
    return list(dict.fromkeys([*pose.props, *(extra.props if extra else [])]))


def level_lines(pose: Pose, level: Level) -> list[str]:
    """Extra guidance the pose speaks in its hold at ``level``."""
    extra = pose.levels.get(level)
    return list(extra.say) if extra else []
