"""matcast: yoga routines written in YAML -> voice-guided audio sessions.

The public API, which the ``matcast`` command is a thin layer over::

    from matcast import load_routine, compile_routine, CompileOptions

    routine = load_routine("routines/post-run.yaml")
    script = compile_routine(routine, CompileOptions(minutes=20))
    print(script.duration_seconds, [c.title for c in script.chapters])
"""

from __future__ import annotations

from importlib.metadata import PackageNotFoundError, version

from matcast.compiler import CompileOptions, compile_routine
from matcast.cues import SAMPLE_RATE, Chapter, CueScript, Event, EventKind
from matcast.errors import MatcastError, RoutineError, UsageError
from matcast.routine import Level, LoadedRoutine, Pace, Style, load_routine

try:
    __version__ = version("matcast")
except PackageNotFoundError:  # running from a source tree without an install
    __version__ = "0.0.0"


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
