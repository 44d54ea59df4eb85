"""What a routine is compiled with: style, level, pace, guidance, target length, speaking rate."""

from __future__ import annotations

from dataclasses import dataclass

from matcast.bounds import (
    DEFAULT_RATE,
    LONG_MAX_MINUTES,
    MAX_MINUTES,
    MIN_MINUTES,
    minutes_range,
)
from matcast.errors import LengthError, UsageError
from matcast.routine.enums import CueSounds, Guidance
from matcast.routine.loader import LoadedRoutine
from matcast.routine.model import Level, Pace, Routine, Style, Variant

PACE_FACTOR: dict[Pace, float] = {Pace.slow: 1.25, Pace.medium: 1.0, Pace.fast: 0.8}
"""Breaths and pauses are this many times their medium length."""

@dataclass(frozen=True)
class CompileOptions:
    """Options of one compile; the defaults build a routine as written."""

    style: Style | None = None
    """hold or flow; None takes the routine's first style."""
    level: Level = Level.all
    """Picks pose variations (and, at 'gentle', gentler alternatives)."""
    pace: Pace = Pace.medium
    """Scales breaths and pauses."""
    minutes: float | None = None
    """Session length to fit; None keeps the routine's own length."""
    rate: int = DEFAULT_RATE
    """Speaking rate, in real words per minute while speaking, that the speech estimate assumes."""
    allow_long: bool = False
    """Allow sessions over :data:`MAX_MINUTES` (up to :data:`LONG_MAX_MINUTES`)."""
    cues: CueSounds | None = None
    """What marks the session; None takes the routine's, else the library's, else all."""
    guidance: Guidance = Guidance.full
    """How much is said: full, light (no tips, no inhale prompts) or quiet (names, cautions,
    transitions and side switches only)."""

    def cues_for(self, loaded: LoadedRoutine) -> CueSounds:
        """The cue sounds in force: these options, the routine, the library, the default."""
        for sound in (loaded.routine.sound, loaded.config.sound if loaded.config else None):
            if self.cues is None and sound is not None and sound.cues is not None:
                return sound.cues
        return self.cues or CueSounds.voice_and_chimes

    def variant(self) -> Variant:
        """These options as a library variant lists them: what names the episode's files."""
        return Variant.model_construct(minutes=self.minutes, style=self.style, level=self.level,
                                       pace=self.pace)

    @property
    def max_minutes(self) -> float:
        return LONG_MAX_MINUTES if self.allow_long else MAX_MINUTES

    def style_for(self, routine: Routine) -> Style:
        return self.style if self.style is not None else routine.styles[0]

    def check(self, loaded: LoadedRoutine) -> None:
        """Raise :class:`UsageError` if these options make no sense for this routine."""
        routine = loaded.routine
        style = self.style_for(routine)
        if style not in routine.styles:
            raise UsageError(
                f"{loaded.slug}: style {style.value!r} is not offered by this routine "
                f"(it offers {', '.join(s.value for s in routine.styles)})")
        if self.minutes is not None:
            if not MIN_MINUTES <= self.minutes <= self.max_minutes:
                raise UsageError(f"--minutes must be {minutes_range(self.allow_long)}; "
                                 f"got {self.minutes:g}")
            d = routine.duration
            if d is not None:
                low, high = d.span()
                if not low <= self.minutes <= high:
                    why = f" ({d.reason})" if d.reason else ""
                    raise LengthError(f"{loaded.slug}: this routine is meant to last "
                                      f"{low:g} to {high:g} minutes{why}; got --minutes "
                                      f"{self.minutes:g}", (loaded, self))
