"""matcast: yoga routines written in YAML -> voice-guided audio sessions.

The public API, which the ``matcast`` command is a thin layer over::

    from matcast import load_routine, compile_routine, CompileOptions

    routine = load_routine("routines/post-run.yaml")
    script = compile_routine(routine, CompileOptions(minutes=20))
    print(script.duration_seconds, [c.title for c in script.chapters])

Names are imported on first use, so that ``import matcast`` (and the CLI's start-up, which a no-op
library rebuild pays) does not load the compiler, pydantic or the audio libraries.
"""

from __future__ import annotations

import importlib
from typing import TYPE_CHECKING, Any

__version__ = "0.1.0"
"""The one place the version is written (pyproject.toml reads it from here): asking the installed
metadata for it would cost the CLI's start-up ~0.08 s of CPU."""

_EXPORTS = {
    "SAMPLE_RATE": "matcast.cues",
    "Chapter": "matcast.cues",
    "CueScript": "matcast.cues",
    "Event": "matcast.cues",
    "EventKind": "matcast.cues",
    "CompileOptions": "matcast.compiler",
    "compile_routine": "matcast.compiler",
    "MatcastError": "matcast.errors",
    "RoutineError": "matcast.errors",
    "UsageError": "matcast.errors",
    "Level": "matcast.routine.model",
    "Pace": "matcast.routine.model",
    "Style": "matcast.routine.model",
    "LoadedRoutine": "matcast.routine.loader",
    "load_routine": "matcast.routine.loader",
}

if TYPE_CHECKING:
    from matcast.compiler import CompileOptions, compile_routine
    from matcast.cues import SAMPLE_RATE, Chapter, CueScript, Event, EventKind
    from matcast.errors import MatcastError, RoutineError, UsageError
    from matcast.routine.loader import LoadedRoutine, load_routine
    from matcast.routine.model import Level, Pace, Style


def __getattr__(name: str) -> Any:
    module = _EXPORTS.get(name)
    if module is None:
        raise AttributeError(f"module 'matcast' has no attribute {name!r}")
    value = getattr(importlib.import_module(module), name)
    globals()[name] = value
    return value


__all__ = [
    "SAMPLE_RATE",
    "Chapter",
    "CompileOptions",
    "CueScript",
    "Event",
    "EventKind",
    "Level",
    "LoadedRoutine",
    "MatcastError",
    "Pace",
    "RoutineError",
    "Style",
    "UsageError",
    "__version__",
    "compile_routine",
    "load_routine",
]
