"""The speech layer: text in, trimmed 44.1 kHz int16 clips out.

Owns speech engines (behind :class:`SpeechEngine`, looked up by name), the on-disk utterance
cache, and :func:`synthesize`, which the build calls with a cue script's distinct lines.
"""

from matcast.voice.cache import UtteranceCache, default_cache_dir
from matcast.voice.engine import (
    DEFAULT_ENGINE,
    RATE_MAX,
    RATE_MIN,
    SpeechEngine,
    VoiceInfo,
    engine_names,
    get_engine,
    register_engine,
)
from matcast.voice.pyttsx3_engine import Pyttsx3Engine
from matcast.voice.synth import SynthStats, synthesize

__all__ = [
    "DEFAULT_ENGINE",
    "RATE_MAX",
    "RATE_MIN",
    "Pyttsx3Engine",
    "SpeechEngine",
    "SynthStats",
    "UtteranceCache",
    "VoiceInfo",
    "default_cache_dir",
    "engine_names",
    "get_engine",
    "register_engine",
    "synthesize",
]
