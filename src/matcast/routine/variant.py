"""A routine's published variant: one episode built with its own options."""

from __future__ import annotations

from pydantic import Field

from matcast.routine.enums import Guidance, Level, Pace
from matcast.routine.fields import GuidanceName, LevelName, PaceName, StrictModel, StyleName


class Variant(StrictModel):
    """One episode to publish from a routine: the routine built with these options."""

    minutes: float | None = Field(None, gt=0, le=720)
    """Session length to fit (over 240 needs --allow-long)."""
    style: StyleName | None = None
    """hold or flow (default: the routine's first style)."""
    level: LevelName | None = None
    """Pose variations to use (default: all)."""
    pace: PaceName | None = None
    """Breath and pause speed (default: medium)."""
    guidance: GuidanceName | None = None
    """How much is said: full (default), light or quiet."""

    def episode_slug(self, routine_slug: str) -> str:
        """The slug that names this variant's files, e.g. ``post-run-20min-flow``; a routine
        built as written keeps its own slug. Single builds are named by it too."""
        return routine_slug + self.suffix()

    def episode_title(self, title: str) -> str:
        """The episode title, e.g. ``Post-run yoga (20 min, flow)``."""
        label = self.label()
        return f"{title} ({label})" if label else title

    def suffix(self) -> str:
        """What the variant adds to the routine's slug, e.g. ``-20min-flow``."""
        parts = []
        if self.minutes is not None:
            parts.append(f"{self.minutes:g}min".replace(".", "_"))
        if self.style is not None:
            parts.append(self.style.value)
        if self.level is not None and self.level is not Level.all:
            parts.append(self.level.value)
        if self.pace is not None and self.pace is not Pace.medium:
            parts.append(self.pace.value)
        if self.guidance is not None and self.guidance is not Guidance.full:
            parts.append(self.guidance.value)
        return "".join(f"-{p}" for p in parts)

    def label(self) -> str:
        """How the variant reads in an episode title, e.g. ``20 min, flow``."""
        parts = []
        if self.minutes is not None:
            parts.append(f"{self.minutes:g} min")
        for value, plain in ((self.style, None), (self.level, Level.all),
                             (self.pace, Pace.medium), (self.guidance, Guidance.full)):
            if value is not None and value is not plain:
                parts.append(value.value)
        return ", ".join(parts)
