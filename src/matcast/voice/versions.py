"""What each speech engine's audio depends on, as a version string: cheap to get (no engine is
started, no audio library imported), so a library rebuild can tell what changed in a blink."""

from __future__ import annotations

import importlib.metadata
import platform
import sys
from collections.abc import Callable

POSTPROCESS_REVISION = 1
"""Bump when decoding, resampling or trimming of pyttsx3 clips changes: it is part of the
version, so cached clips made the old way are not mixed with new ones."""


def dist_version(name: str) -> str | None:
    """An installed distribution's version, or None."""
    try:
        return importlib.metadata.version(name)
    except importlib.metadata.PackageNotFoundError:
        return None


def pyttsx3_version() -> str:
    """pyttsx3 and the speech library under it (eSpeak NG, macOS's or Windows' voices)."""
    parts = [f"pyttsx3 {dist_version('pyttsx3') or 'unknown'}"]
    if sys.platform == "darwin":
        parts.append(f"nsss macOS {platform.mac_ver()[0]}")
    elif sys.platform == "win32":
        parts.append(f"sapi5 Windows {platform.version()}")
    else:
        # espeakng-loader pins the eSpeak NG library and its data, so its version names both.
        loader = dist_version("espeakng-loader")
        parts.append(f"espeakng-loader {loader}" if loader else "system eSpeak")
    parts.append(f"postprocess {POSTPROCESS_REVISION}")
    return "; ".join(parts)


VERSIONS: dict[str, Callable[[], str]] = {"pyttsx3": pyttsx3_version}
"""Engine name -> its version function; engines register theirs here."""


def engine_version(name: str) -> str:
    """The version string of the engine called ``name`` (as its ``version()`` gives it)."""
    fn = VERSIONS.get(name)
    if fn is None:
        from matcast.voice.engine import get_engine

        return get_engine(name).version()  # raises a VoiceError for unknown names
    return fn()
