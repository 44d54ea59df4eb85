"""The speech-engine contract: what any text-to-speech engine gives the rest of matcast.

Owns :class:`VoiceInfo`, the :class:`SpeechEngine` protocol, the helpers every engine shares
(rate and voice checks, reading, resampling and trimming a speech WAV), and the audio conventions
every engine's output follows (int16 mono at :data:`SAMPLE_RATE`, trimmed so
sample 0 is within a few milliseconds of the speech onset). The mixer places a clip at its event's
start, so an engine that left its own lead-in silence would make every line late.
"""

from __future__ import annotations

import difflib
import struct
import unicodedata
import warnings
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from math import gcd
from pathlib import Path
from typing import Protocol, runtime_checkable

import numpy as np

from matcast.bounds import RATE_MAX, RATE_MIN
from matcast.cues import SAMPLE_RATE
from matcast.errors import VoiceError
from matcast.voice.calibration import native_setting

# Which engine speaks when none is named (re-exported: engines and callers look here).
from matcast.voice.default import default_engine


@dataclass(frozen=True)
class VoiceInfo:
    """One voice an engine can speak with."""

    id: str
    """What to pass as ``voice``: stable across runs, and part of every cache key."""
    name: str
    """A human-readable name, e.g. ``English (America)``."""
    languages: tuple[str, ...]
    """Language tags the voice speaks, e.g. ``("en-us",)``; may be empty when the engine is mute
    about it."""


@runtime_checkable
class SpeechEngine(Protocol):
    """A text-to-speech engine. Instances may hold a worker process: call :meth:`close`."""

    name: str
    """The registry name, e.g. ``pyttsx3``; part of every cache key."""

    def version(self) -> str:
        """Everything that changes the audio for the same voice, rate and text (library and data
        versions): part of every cache key, so an upgrade re-renders instead of mixing voices."""
        ...

    def voices(self) -> list[VoiceInfo]:
        """The voices available on this machine."""
        ...

    def default_voice(self) -> str:
        """The voice id used when none is asked for."""
        ...

    def default_rate(self) -> int:
        """The speaking rate, in words per minute, used when none is asked for."""
        ...

    def check(self, voice: str | None, rate: int | None) -> tuple[str, int]:
        """Resolve defaults and validate; return the canonical ``(voice id, rate)``.

        Raises :class:`EngineError` for an unknown voice (with close matches and a hint) or a rate
        outside what the engine supports.
        """
        ...

    def setting(self, voice: str, rate: int) -> float:
        """The engine's own speed setting that speaks ``rate`` real words per minute with
        ``voice`` (from the stored calibration, :mod:`matcast.voice.calibration`)."""
        ...

    def render_setting(
        self,
        texts: Sequence[str],
        voice: str,
        setting: float,
        on_done: Callable[[str, np.ndarray], None] | None = None,
    ) -> dict[str, np.ndarray]:
        """:meth:`render` at the engine's own speed ``setting``, uncalibrated (for measuring the
        calibration)."""
        ...

    def render(
        self,
        texts: Sequence[str],
        voice: str,
        rate: int,
        on_done: Callable[[str, np.ndarray], None] | None = None,
    ) -> dict[str, np.ndarray]:
        """Speak each text; return text → int16 mono samples at :data:`SAMPLE_RATE`, trimmed.

        ``voice`` and ``rate`` must come from :meth:`check`. ``on_done(text, samples)`` is called
        as soon as each text's audio is ready, so the caller can work on it while the engine
        speaks the next. Raises :class:`EngineError` naming the text that failed.
        """
        ...

    def close(self) -> None:
        """Release the engine's resources; the engine may be used again afterwards."""
        ...


def resolve_voice(engine_name: str, voice: str, voices: Sequence[VoiceInfo]) -> str:
    """The canonical id of ``voice`` among ``voices``, or :class:`EngineError` with suggestions.

    Accepts the exact id, the id in another case, or (for ids shaped ``family/name``, as eSpeak's
    are) the part after the slash when only one voice has it.
    """
    ids = [v.id for v in voices]
    if voice in ids:
        return voice
    folded = voice.casefold()
    for voice_id in ids:
        if voice_id.casefold() == folded:
            return voice_id
    tails = [i for i in ids if i.casefold().rpartition("/")[2] == folded]
    if len(tails) == 1:
        return tails[0]
    message = f"unknown voice {voice!r} for speech engine {engine_name}"
    by_folded = {i.casefold(): i for i in ids}
    # A language tag where a voice id belongs (`--voice en-us`): offer the voices speaking it.
    speakers = [v.id for v in voices
                if any(lang.casefold().replace("_", "-") == folded.replace("_", "-")
                       for lang in v.languages)]
    close = speakers[:3] or [by_folded[c] for c in
                             difflib.get_close_matches(folded, list(by_folded), n=3, cutoff=0.6)]
    if close:
        message += "; did you mean " + " or ".join(repr(c) for c in close) + "?"
    raise VoiceError(f"{message}\n    hint: {voices_hint(engine_name)}")


class Calibrated:
    """What every engine does the same way: its own speed setting read off the stored
    calibration, and :meth:`render` as :meth:`render_setting` at that setting."""

    name: str

    def setting(self, voice: str, rate: int) -> float:
        """The engine's own speed setting that speaks ``rate`` real words per minute with
        ``voice`` (calibrated)."""
        return native_setting(self.name, voice, check_rate(self.name, rate))

    def render(
        self,
        texts: Sequence[str],
        voice: str,
        rate: int,
        on_done: Callable[[str, np.ndarray], None] | None = None,
    ) -> dict[str, np.ndarray]:
        return self.render_setting(texts, voice, self.setting(voice, rate), on_done)

    def render_setting(
        self,
        texts: Sequence[str],
        voice: str,
        setting: float,
        on_done: Callable[[str, np.ndarray], None] | None = None,
    ) -> dict[str, np.ndarray]:
        raise NotImplementedError


def voices_hint(engine_name: str) -> str:
    """Where to find the voices of ``engine_name``."""
    flag = "" if engine_name == default_engine() else f" --engine {engine_name}"
    return f"run `matcast voices{flag}` to list the voices of {engine_name}"


def check_rate(engine_name: str, rate: int) -> int:
    """``rate`` if it is a whole number of words per minute in [RATE_MIN, RATE_MAX]: real words
    per minute while speaking (:mod:`matcast.voice.pace`), which every engine is calibrated to."""
    # bool is an int subclass; True would otherwise pass as 1 wpm and fail the range check with
    # a confusing message.
    if isinstance(rate, bool) or not isinstance(rate, int):
        raise VoiceError(f"speaking rate must be a whole number of words per minute, not {rate!r}")
    if not RATE_MIN <= rate <= RATE_MAX:
        raise VoiceError(
            f"speaking rate {rate} words per minute is out of range for speech engine "
            f"{engine_name}: use {RATE_MIN} to {RATE_MAX}"
        )
    return rate


def to_sample_rate(samples: np.ndarray, rate: int) -> np.ndarray:
    """Resample int16 mono ``samples`` from ``rate`` Hz to :data:`SAMPLE_RATE` (int16 out)."""
    if rate == SAMPLE_RATE or samples.size == 0:
        return samples.astype(np.int16, copy=False)
    # scipy.signal takes most of a second to import; only a build that renders pays for it.
    from scipy.signal import resample_poly

    step = gcd(SAMPLE_RATE, rate)
    resampled = resample_poly(samples.astype(np.float64), SAMPLE_RATE // step, rate // step)
    # The anti-aliasing filter can overshoot full-scale peaks slightly.
    return np.clip(np.rint(resampled), -32768, 32767).astype(np.int16)


def trim_silence(
    samples: np.ndarray,
    sample_rate: int = SAMPLE_RATE,
    threshold_dbfs: float = -50.0,
    window_ms: float = 5.0,
    lead_ms: float = 5.0,
    tail_ms: float = 30.0,
) -> np.ndarray:
    """Cut leading and trailing silence from int16 ``samples``; empty if nothing is loud enough.

    Loudness is the mean power over a ``window_ms`` window centred on each sample, so a click does
    not count as speech and a quiet consonant onset still does. ``lead_ms`` before the onset keeps
    the attack of the first phoneme; ``tail_ms`` after the end keeps the release of the last.
    """
    if samples.size == 0:
        return samples[:0]
    x = samples.astype(np.float64) / 32768.0
    width = max(1, round(sample_rate * window_ms / 1000))
    # Centred moving average via a cumulative sum: O(n) whatever the window.
    padded = np.concatenate([np.zeros(width // 2 + 1), x * x, np.zeros(width - width // 2)])
    sums = np.cumsum(padded)
    power = (sums[width:] - sums[:-width])[: x.size] / width
    loud = np.flatnonzero(power > 10.0 ** (threshold_dbfs / 10.0))
    if loud.size == 0:
        return samples[:0]
    start = max(0, int(loud[0]) - round(sample_rate * lead_ms / 1000))
    end = min(x.size, int(loud[-1]) + 1 + round(sample_rate * tail_ms / 1000))
    return samples[start:end]


def speakable_text(text: str) -> str:
    """``text`` as plain words: control and format characters removed, whitespace collapsed."""
    chars = []
    for ch in text:
        category = unicodedata.category(ch)
        if ch.isspace() or category in ("Zl", "Zp"):
            chars.append(" ")
        elif not category.startswith("C"):
            chars.append(ch)
    return " ".join("".join(chars).split())


def read_speech_wav(path: Path) -> np.ndarray:
    """A speech WAV as trimmed int16 mono at 44.1 kHz; ValueError if missing, unreadable or silent.

    Decoded with pydub's in-memory WAV parser: ``AudioSegment.from_wav`` would hand a file it
    cannot parse to ffmpeg, which may be absent and cannot help with a broken file anyway.
    """
    try:
        data = path.read_bytes()
    except FileNotFoundError:
        raise ValueError("no WAV file was written") from None
    from matcast.voice._worker import wav_defect  # the worker's own check, stdlib only

    defect = wav_defect(data)
    if defect:
        # Never take a WAV cut short as a shorter line: the session would skip words.
        raise ValueError(defect)
    with warnings.catch_warnings():
        # pydub warns at import when ffmpeg is not on PATH (WAV decoding does not need it) and,
        # on 3.11-3.12, that audioop is deprecated (audioop-lts replaces it on 3.13).
        warnings.simplefilter("ignore", RuntimeWarning)
        warnings.simplefilter("ignore", DeprecationWarning)
        from pydub import AudioSegment
        from pydub.exceptions import CouldntDecodeError
    try:
        segment = AudioSegment(data=data)
    except (CouldntDecodeError, struct.error, ValueError, IndexError) as exc:
        raise ValueError(f"unreadable WAV ({exc})") from None
    width, channels, rate = segment.sample_width, segment.channels, segment.frame_rate
    dtypes = {1: np.int8, 2: np.dtype("<i2"), 4: np.dtype("<i4")}
    if width not in dtypes or channels < 1 or rate < 1:
        raise ValueError(f"unsupported WAV ({width * 8}-bit, {channels} channels, {rate} Hz)")
    raw = segment.raw_data
    frames = len(raw) // (width * channels)
    if frames == 0:
        raise ValueError("the WAV has no samples")
    pcm = np.frombuffer(raw[: frames * width * channels], dtype=dtypes[width]).astype(np.float64)
    pcm = pcm.reshape(frames, channels).mean(axis=1) * (32768.0 / 2.0 ** (8 * width - 1))
    mono = np.clip(np.rint(pcm), -32768, 32767).astype(np.int16)
    clip = trim_silence(to_sample_rate(mono, rate))
    if clip.size == 0:
        raise ValueError(f"the WAV is silent ({frames} samples, nothing above -50 dBFS)")
    return clip
