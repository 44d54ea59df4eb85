"""Joining a cue script's events into one PCM track, a stretch at a time.

Every event is exactly its clip's length in samples: a speech clip, silence, or a chime. A
:class:`VoiceTrack` places them and reads any stretch of the session (a block for the encoder),
so a session is never joined whole; :func:`assemble` reads all of it at once for short sounds
(never ``+=`` on a growing pydub segment, which copies everything each time).
"""

from __future__ import annotations

import warnings
from collections.abc import Iterator, Mapping

import numpy as np

from matcast.audio.chimes import chime
from matcast.audio.stream import BLOCK
from matcast.cues import SAMPLE_RATE, ChimeKind, CueScript, EventKind

with warnings.catch_warnings():
    # pydub warns at import when ffmpeg is not on PATH (matcast never lets pydub call ffmpeg),
    # and Python 3.12 warns that pydub's audioop is deprecated (audioop-lts covers 3.13+).
    warnings.simplefilter("ignore", RuntimeWarning)
    warnings.simplefilter("ignore", DeprecationWarning)
    from pydub import AudioSegment


def _int16(samples: np.ndarray) -> np.ndarray:
    if samples.dtype == np.int16:
        return samples
    return np.clip(np.round(samples * 32767.0), -32768, 32767).astype(np.int16)


class VoiceTrack:
    """The session's voice: its speech clips and chimes at their events' times, silence between,
    read as any stretch of int16 samples without joining the whole session.

    ``speech`` maps each spoken line to its int16 samples, ``chimes`` each chime kind (default:
    the synthesised bells as they are). The script must have been timed with these clips'
    lengths: every event is exactly as long as its clip (checked here, before any audio).
    """

    def __init__(self, script: CueScript, speech: Mapping[str, np.ndarray],
                 chimes: Mapping[ChimeKind, np.ndarray] | None = None) -> None:
        self.samples = script.duration
        self._events = [e for e in script.events if e.kind is not EventKind.silence]
        self._starts = np.array([e.start for e in self._events], dtype=np.int64)
        self._speech = speech
        self._bells: dict[ChimeKind, np.ndarray] = {}
        self._sizes: list[int] = []
        length = getattr(speech, "length", None)
        for event in self._events:
            if event.kind is EventKind.chime:
                assert event.chime is not None
                if event.chime not in self._bells:
                    given = chimes.get(event.chime) if chimes else None
                    self._bells[event.chime] = _int16(given if given is not None
                                                      else chime(event.chime))
                self._sizes.append(self._bells[event.chime].size)
                continue
            self._sizes.append(0)
            text = event.text or ""
            size = length(text) if length is not None else len(speech[text])
            self._sizes[-1] = size
            if size != event.length:
                raise ValueError(f"clip of {size} samples for a {event.length}-sample "
                                 f"event: {event.text!r}")

    def _clip(self, index: int) -> np.ndarray:
        event = self._events[index]
        if event.kind is EventKind.chime:
            assert event.chime is not None
            return self._bells[event.chime]
        # Read when needed (the clips may come from the utterance cache).
        return _int16(self._speech[event.text or ""])

    def read(self, start: int, stop: int) -> np.ndarray:
        """Samples ``start`` to ``stop`` (int16; zeros past the session's end)."""
        out = np.zeros(max(stop - start, 0), dtype=np.int16)
        first = max(int(np.searchsorted(self._starts, start, side="right")) - 1, 0)
        for index in range(first, len(self._events)):
            at = int(self._starts[index])
            if at >= stop:
                break
            lo, hi = max(at, start), min(at + self._sizes[index], stop)
            if lo < hi:
                out[lo - start:hi - start] = self._clip(index)[lo - at:hi - at]
        return out

    def blocks(self, size: int = BLOCK) -> Iterator[np.ndarray]:
        """The whole track from its start, ``size`` samples at a time."""
        for start in range(0, self.samples, size):
            yield self.read(start, min(start + size, self.samples))


def assemble(script: CueScript, speech: Mapping[str, np.ndarray],
             chimes: Mapping[ChimeKind, np.ndarray] | None = None) -> AudioSegment:
    """The session as one mono 16-bit segment at :data:`SAMPLE_RATE` (short sounds and tests: a
    build streams a :class:`VoiceTrack` instead)."""
    track = VoiceTrack(script, speech, chimes)
    return AudioSegment(data=track.read(0, track.samples).tobytes(), sample_width=2,
                        frame_rate=SAMPLE_RATE, channels=1)


def pcm(segment: AudioSegment) -> np.ndarray:
    """A mono 16-bit segment's samples, without copying."""
    return np.frombuffer(segment.raw_data, dtype=np.int16)


def to_float(segment: AudioSegment) -> np.ndarray:
    """A mono 16-bit segment as float32 in [-1, 1)."""
    return np.frombuffer(segment.raw_data, dtype=np.int16).astype(np.float32) / 32768.0


def to_int16(samples: np.ndarray) -> np.ndarray:
    """Float samples in [-1, 1] as int16, rounded and clipped."""
    return _int16(samples)
