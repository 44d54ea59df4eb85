"""Which speech engine speaks when none is named. Imports nothing heavy: the library build's
planner reads it on every run, including the ones with nothing to do."""

from __future__ import annotations

import os

DEFAULT_ENGINE = "piper"
"""The engine used when none is named (and ``$MATCAST_ENGINE`` is unset): Piper's natural voice,
offline, installed with matcast with its default voice. ``pyttsx3`` (eSpeak NG) is the fast
draft voice."""

ENGINE_ENV = "MATCAST_ENGINE"
"""Environment variable naming the default engine (``piper`` or ``pyttsx3``): what a build uses
when neither the command line nor the routine or library names one."""


def default_engine() -> str:
    """The engine used when none is named: ``$MATCAST_ENGINE``, else :data:`DEFAULT_ENGINE`."""
    return os.environ.get(ENGINE_ENV, "").strip() or DEFAULT_ENGINE
