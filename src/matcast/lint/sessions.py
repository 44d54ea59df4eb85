"""Which sessions the lint compiles for a routine, and linting one of them.

Without options, a routine is checked across its matrix: as written in each style it offers, at
``--minutes`` 10, 15, 20, 30, 45 and 60 where its range allows, and at each published variant.
With options, it is checked once, with those.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, replace

from matcast.compiler import CompileOptions, compile_routine, length_range
from matcast.cues import CueScript
from matcast.lint.context import context_for
from matcast.lint.rules import Finding, lint_script
from matcast.routine.enums import Guidance, Level, Pace
from matcast.routine.loader import LoadedRoutine

MATRIX_MINUTES = (10, 15, 20, 30, 45, 60)
"""Session lengths every routine is checked at, where its range allows."""


@dataclass(frozen=True)
class Session:
    """One compile of a routine to check."""

    loaded: LoadedRoutine
    options: CompileOptions
    label: str
    """How the report names it, e.g. ``flow, 15 min`` or ``variant post-run-30min``."""


def matrix(loaded: LoadedRoutine) -> list[Session]:
    """The routine's sessions: each style as written and at the matrix lengths, each variant."""
    out: list[Session] = []
    seen: set[CompileOptions] = set()

    def add(options: CompileOptions, label: str) -> None:
        if options not in seen:
            seen.add(options)
            out.append(Session(loaded, options, label))

    for style in loaded.routine.styles:
        add(CompileOptions(style=style), f"{style.value}, as written")
        low, high = length_range(loaded, CompileOptions(style=style))
        for minutes in MATRIX_MINUTES:
            if low <= minutes <= high:
                add(CompileOptions(style=style, minutes=minutes), f"{style.value}, {minutes} min")
    for variant in loaded.routine.variants:
        options = CompileOptions(
            style=variant.style, level=variant.level or Level.all,
            pace=variant.pace or Pace.medium, minutes=variant.minutes,
            guidance=variant.guidance or Guidance.full)
        if options.style is None:
            options = replace(options, style=loaded.routine.styles[0])
        add(options, f"variant {loaded.slug}{variant.suffix()}")
    return out


def describe(options: CompileOptions, loaded: LoadedRoutine) -> str:
    """Options as a short label, e.g. ``hold, 20 min, level gentle``."""
    parts = [options.style_for(loaded.routine).value]
    if options.minutes is not None:
        parts.append(f"{options.minutes:g} min")
    if options.level is not Level.all:
        parts.append(f"level {options.level.value}")
    if options.pace is not Pace.medium:
        parts.append(f"{options.pace.value} pace")
    if options.guidance is not Guidance.full:
        parts.append(f"{options.guidance.value} guidance")
    if options.cues is not None:
        parts.append(options.cues.value)
    return ", ".join(parts)


def lint_session(loaded: LoadedRoutine, options: CompileOptions,
                 measured: Mapping[str, int] | None = None) -> tuple[CueScript, list[Finding]]:
    """Compile ``loaded`` with ``options`` and check it."""
    script = compile_routine(loaded, options, measured)
    return script, lint_built(loaded, script)


def lint_built(loaded: LoadedRoutine, script: CueScript) -> list[Finding]:
    """Check a cue script already compiled (or built) from ``loaded``."""
    return lint_script(script, context_for(loaded, script.options))
