"""What to suggest when a routine cannot be fitted to the length asked for.

The compiler says what the routine can reach; this adds what can meet the length instead: the
routine's other style, when that one fits, and other routines of the same library that fit it
(in the style asked for first). Every suggestion is checked by compiling it.
"""

from __future__ import annotations

import math
from dataclasses import replace

from matcast.compiler import CompileOptions, compile_routine, length_range
from matcast.errors import LengthError, MatcastError
from matcast.routine.loader import LoadedRoutine, load_library_config, load_routine
from matcast.routine.paths import LIBRARY_CONFIG, NOT_ROUTINES, in_library_order

MAX_OTHERS = 3
"""Other routines named at most."""


def span(low: float, high: float) -> str:
    """A range of minutes as ``matcast list`` shows it: whole minutes sure to fit."""
    return f"{math.ceil(low - 1e-9):d}–{math.floor(high + 1e-9):d} min"


def _fits(loaded: LoadedRoutine, options: CompileOptions) -> tuple[float, float] | None:
    """The routine's range with ``options`` when it can be built at their length, else None."""
    assert options.minutes is not None
    try:
        low, high = length_range(loaded, options)
        if not low <= options.minutes <= high:
            return None
        compile_routine(loaded, options)
    except MatcastError:
        return None
    return low, high


def _others(loaded: LoadedRoutine, options: CompileOptions) -> list[str]:
    """Other routines of the library that can be built at the length asked for."""
    folder = loaded.path.parent
    paths = [p for p in folder.glob("*.yaml")
             if p.stem not in NOT_ROUTINES and p.resolve() != loaded.path.resolve()]
    order: list[str] = []
    if (folder / LIBRARY_CONFIG).is_file():
        try:
            order = load_library_config(folder / LIBRARY_CONFIG).order
        except MatcastError:
            order = []
    asked = options.style_for(loaded.routine)
    found: list[tuple[bool, str]] = []
    for path in in_library_order(paths, order):
        try:
            other = load_routine(path)
        except MatcastError:
            continue
        styles = sorted(other.routine.styles, key=lambda s: s is not asked)
        for style in styles:
            fitted = _fits(other, replace(options, style=style))
            if fitted is not None:
                found.append((style is not asked, f"{other.slug} ({style.value}, "
                                                  f"{span(*fitted)})"))
                break
    return [text for _, text in sorted(found, key=lambda f: f[0])][:MAX_OTHERS]


def suggest(error: LengthError) -> str | None:
    """A hint for ``error``: what can be built at the length it asked for."""
    if not isinstance(error.subject, tuple):
        return None
    loaded, options = error.subject
    if not isinstance(loaded, LoadedRoutine) or not isinstance(options, CompileOptions):
        return None
    if options.minutes is None:
        return None
    parts = []
    asked = options.style_for(loaded.routine)
    for style in loaded.routine.styles:
        if style is not asked:
            fitted = _fits(loaded, replace(options, style=style))
            if fitted is not None:
                parts.append(f"--style {style.value} fits it ({span(*fitted)})")
    others = _others(loaded, options)
    if others:
        words = others[0] if len(others) == 1 else ", ".join(others[:-1]) + " or " + others[-1]
        parts.append(f"another routine that fits {options.minutes:g} minutes: {words}")
    if not parts:
        return None
    return "; ".join(parts)
