"""The speech layer: text in, trimmed 44.1 kHz int16 clips out.

Owns speech engines (behind :class:`SpeechEngine`, looked up by name), the on-disk utterance
cache, and :func:`synthesize`, which the build calls with a cue script's distinct lines.
"""

from __future__ import annotations

import importlib
from typing import TYPE_CHECKING, Any

# Names load on first use: the batch planner asks an engine's version without paying for numpy.
_EXPORTS = {
    "UtteranceCache": "matcast.voice.cache",
    "default_cache_dir": "matcast.voice.cache",
    "DEFAULT_ENGINE": "matcast.voice.default",
    "ENGINE_ENV": "matcast.voice.default",
    "default_engine": "matcast.voice.default",
    "RATE_MAX": "matcast.voice.engine",
    "RATE_MIN": "matcast.voice.engine",
    "SpeechEngine": "matcast.voice.engine",
    "VoiceInfo": "matcast.voice.engine",
    "engine_names": "matcast.voice.registry",
    "get_engine": "matcast.voice.registry",
    "register_engine": "matcast.voice.registry",
    "Pyttsx3Engine": "matcast.voice.pyttsx3_engine",
    "SynthStats": "matcast.voice.synth",
    "synthesize": "matcast.voice.synth",
}

if TYPE_CHECKING:
    from matcast.voice.cache import UtteranceCache, default_cache_dir
    from matcast.voice.default import DEFAULT_ENGINE, ENGINE_ENV, default_engine
    from matcast.voice.engine import (
        RATE_MAX,
        RATE_MIN,
        SpeechEngine,
        VoiceInfo,
    )
    from matcast.voice.pyttsx3_engine import Pyttsx3Engine
    from matcast.voice.registry import engine_names, get_engine, register_engine
    from matcast.voice.synth import SynthStats, synthesize


def __getattr__(name: str) -> Any:
    module = _EXPORTS.get(name)
    if module is None:
        raise AttributeError(f"module 'matcast.voice' has no attribute {name!r}")
    value = getattr(importlib.import_module(module), name)
    globals()[name] = value
    return value


__all__ = [
    "DEFAULT_ENGINE",
    "ENGINE_ENV",
    "RATE_MAX",
    "RATE_MIN",
    "Pyttsx3Engine",
    "SpeechEngine",
    "SynthStats",
    "UtteranceCache",
    "VoiceInfo",
    "default_cache_dir",
    "default_engine",
    "engine_names",
    "get_engine",
    "register_engine",
    "synthesize",
]
