"""The speech engines by name: the one module that knows every engine.

Engines register a factory under a name; :func:`get_engine` makes one. The registry imports the
engines (lazily, so a lookup costs only the engine asked for); no engine imports the registry or
another engine: what they share is in :mod:`matcast.voice.engine`.
"""

from __future__ import annotations

import difflib
import os
from collections.abc import Callable

from matcast.errors import VoiceError
from matcast.voice.default import ENGINE_ENV, default_engine
from matcast.voice.engine import SpeechEngine
from matcast.voice.versions import VERSIONS

EngineFactory = Callable[[], SpeechEngine]

_FACTORIES: dict[str, EngineFactory] = {}


def register_engine(name: str, factory: EngineFactory) -> None:
    """Make an engine available under ``name`` (replacing any engine of that name)."""
    _FACTORIES[name] = factory


def engine_names() -> list[str]:
    """The names :func:`get_engine` accepts, sorted."""
    return sorted(_FACTORIES)


def get_engine(name: str | None = None) -> SpeechEngine:
    """A new instance of the engine called ``name`` (None: :func:`default_engine`)."""
    name = default_engine() if name is None else name
    try:
        factory = _FACTORIES[name]
    except KeyError:
        known = ", ".join(engine_names()) or "(none)"
        message = f"unknown speech engine {name!r}; known engines: {known}"
        close = difflib.get_close_matches(name, engine_names(), n=1)
        if close:
            message += f" (did you mean {close[0]!r}?)"
        raise VoiceError(message + _env_hint(name)) from None
    return factory()


def _env_hint(name: str) -> str:
    """Where a bad default engine name came from, when it came from the environment."""
    if os.environ.get(ENGINE_ENV, "").strip() == name:
        return f"\n    hint: ${ENGINE_ENV} is {name!r}; set it to one of those, or unset it"
    return ""


def _pyttsx3_factory() -> SpeechEngine:
    # Imported here: a registry lookup should not cost the import of an engine nobody asked for.
    from matcast.voice.pyttsx3_engine import Pyttsx3Engine

    return Pyttsx3Engine()


register_engine("pyttsx3", _pyttsx3_factory)


def _piper_factory() -> SpeechEngine:
    # piper_engine imports neither piper nor onnxruntime; when they are missing, PiperEngine
    # raises a VoiceError with the install hint rather than an ImportError.
    from matcast.voice.piper_engine import PiperEngine

    return PiperEngine()


register_engine("piper", _piper_factory)


def engine_version(name: str) -> str:
    """The version string of the engine called ``name`` (as its ``version()`` gives it)."""
    fn = VERSIONS.get(name)
    if fn is None:
        return get_engine(name).version()  # raises a VoiceError for unknown names
    return fn()
