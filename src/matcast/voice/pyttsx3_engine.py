"""The pyttsx3 speech engine: offline voices (eSpeak NG on Linux, NSSpeechSynthesizer on macOS,
SAPI 5 on Windows), driven through a worker process.

Owns the parent side of the worker protocol (see :mod:`matcast.voice._worker`): starting the
worker lazily, per-utterance timeouts, checking each WAV, restarting and retrying once, and turning
a WAV into the trimmed 44.1 kHz int16 clip the mixer expects. Nothing here loads a native speech
library, so a crash or hang there costs a worker, not the build.
"""

from __future__ import annotations

import os
import shlex
import sys
from collections.abc import Callable, Sequence
from pathlib import Path
from types import TracebackType
from typing import Any

import numpy as np

from matcast.bounds import DEFAULT_RATE
from matcast.errors import EngineError
from matcast.voice.engine import (
    Calibrated,
    VoiceInfo,
    check_rate,
    read_speech_wav,
    resolve_voice,
    speakable_text,
)
from matcast.voice.versions import pyttsx3_version
from matcast.voice.worker_process import Worker, WorkerSession, short_cue

WORKER_CMD_ENV = "MATCAST_TTS_WORKER_CMD"
"""Environment variable replacing the worker command line (split like a shell would), for tests
that inject a failing worker."""



_WORKER_MODULE = "matcast.voice._worker"


def default_worker_cmd() -> list[str]:
    """The command line starting a worker with this Python.

    The worker runs as a script (``-P``: without its own folder on ``sys.path``) rather than with
    ``-m``: ``-m`` imports the ``matcast`` package first, and with it the compiler and pydantic,
    which made each start-up about 0.38 s instead of 0.07 s. ``-m`` remains the fallback when
    matcast is imported from somewhere without real files (a zip).
    """
    script = Path(__file__).with_name("_worker.py")
    if script.is_file():
        return [sys.executable, "-P", str(script)]
    return [sys.executable, "-m", _WORKER_MODULE]


class Pyttsx3Engine(Calibrated):
    """Speech through pyttsx3 in a worker process, started on first use and reused until
    :meth:`close`. Not thread-safe: use one instance per thread."""

    name = "pyttsx3"

    def __init__(
        self,
        worker_cmd: Sequence[str] | None = None,
        *,
        timeout: float = 30.0,
        timeout_per_char: float = 0.05,
        startup_timeout: float = 30.0,
        rate: int = DEFAULT_RATE,
    ) -> None:
        """``worker_cmd`` replaces the worker command line (default: the environment variable
        :data:`WORKER_CMD_ENV`, else :func:`default_worker_cmd`). An utterance of ``n``
        characters may take ``timeout + n * timeout_per_char`` seconds before the worker is
        declared hung; a worker gets ``startup_timeout`` seconds to say it is ready. ``rate`` is
        the default speaking rate in real words per minute (135, as guided practice is spoken),
        turned into eSpeak's own rate setting by the stored calibration."""
        if worker_cmd is None and os.environ.get(WORKER_CMD_ENV):
            worker_cmd = shlex.split(os.environ[WORKER_CMD_ENV], posix=os.name != "nt")
        self._timeout = timeout
        self._timeout_per_char = timeout_per_char
        self._default_rate = check_rate(self.name, rate)
        self._session = WorkerSession(self.name, worker_cmd or default_worker_cmd(),
                                      startup_timeout)

    def __enter__(self) -> Pyttsx3Engine:
        return self

    def __exit__(
        self,
        exc_type: type[BaseException] | None,
        exc: BaseException | None,
        tb: TracebackType | None,
    ) -> None:
        self.close()

    def version(self) -> str:
        return pyttsx3_version()

    def voices(self) -> list[VoiceInfo]:
        return [
            VoiceInfo(
                id=v["id"], name=v.get("name") or v["id"], languages=tuple(v.get("languages", ()))
            )
            for v in self._ready().get("voices", [])
        ]

    def default_voice(self) -> str:
        voice = self._ready().get("default_voice")
        if not voice:
            raise EngineError("the pyttsx3 speech worker reported no default voice")
        return str(voice)

    def default_rate(self) -> int:
        return self._default_rate

    def check(self, voice: str | None, rate: int | None) -> tuple[str, int]:
        resolved_rate = check_rate(self.name, self._default_rate if rate is None else rate)
        if voice is None:
            return self.default_voice(), resolved_rate
        return resolve_voice(self.name, voice, self.voices()), resolved_rate

    def render_setting(
        self,
        texts: Sequence[str],
        voice: str,
        setting: float,
        on_done: Callable[[str, np.ndarray], None] | None = None,
    ) -> dict[str, np.ndarray]:
        """:meth:`render` at eSpeak's own rate ``setting`` (rounded), uncalibrated: for
        measuring the calibration."""
        espeak_rate = round(setting)
        return self._session.speak_all(
            texts, lambda tmp, index, text: self._render_one(tmp, index, text, voice, espeak_rate),
            on_done)

    def close(self) -> None:
        self._session.close()

    def _render_one(self, tmp: Path, index: int, text: str, voice: str, rate: int) -> np.ndarray:
        spoken = speakable_text(text)
        if not spoken:
            raise EngineError(f"the cue {short_cue(text)!r} has no words to speak")
        return self._session.speak(
            text, tmp, index,
            lambda path: {"text": spoken, "voice": voice, "rate": rate, "path": str(path)},
            lambda: self._timeout + self._timeout_per_char * len(spoken),
            read_speech_wav)

    def _ready(self) -> dict[str, Any]:
        return self._session.ready()

    @property
    def _worker(self) -> Worker | None:
        """The running worker, if any (tests check that close() ends it)."""
        return self._session.worker
