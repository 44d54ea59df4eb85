"""Joining a cue script's events into one PCM track, in linear time.

Every event becomes one raw chunk of exactly its length in samples: a speech clip, zeros, or a
chime. The chunks are joined once into a pydub segment (never ``+=`` on a growing segment, which
copies everything each time and makes a long session quadratic).
"""

from __future__ import annotations

import warnings
from collections.abc import Mapping

import numpy as np

from matcast.audio.chimes import chime
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


def assemble(script: CueScript, speech: Mapping[str, np.ndarray],
             chimes: Mapping[ChimeKind, np.ndarray] | None = None) -> AudioSegment:
    """The session as one mono 16-bit segment at :data:`SAMPLE_RATE`.

    ``speech`` maps each spoken line to its int16 samples, ``chimes`` each chime kind (default:
    the synthesised bells as they are). The script must have been timed with these clips'
    lengths: every event is exactly as long as its clip.
    """
    chunks: list[bytes] = []
    bells: dict[ChimeKind, bytes] = {}
    for event in script.events:
        if event.kind is EventKind.speech:
            clip = speech[event.text or ""]
        elif event.kind is EventKind.chime:
            assert event.chime is not None
            if event.chime not in bells:
                given = chimes.get(event.chime) if chimes else None
                bells[event.chime] = _int16(given if given is not None
                                            else chime(event.chime)).tobytes()
            chunks.append(bells[event.chime])
            continue
        else:
            chunks.append(bytes(2 * event.length))
            continue
        if len(clip) != event.length:
            raise ValueError(f"clip of {len(clip)} samples for a {event.length}-sample "
                             f"event: {event.text!r}")
        chunks.append(_int16(clip).tobytes())
    return AudioSegment(data=b"".join(chunks), sample_width=2, frame_rate=SAMPLE_RATE,
                        channels=1)


def pcm(segment: AudioSegment) -> np.ndarray:
    """A mono 16-bit segment's samples, without copying."""
    return np.frombuffer(segment.raw_data, dtype=np.int16)


def to_float(segment: AudioSegment) -> np.ndarray:
    """A mono 16-bit segment as float32 in [-1, 1)."""
    return np.frombuffer(segment.raw_data, dtype=np.int16).astype(np.float32) / 32768.0


def to_int16(samples: np.ndarray) -> np.ndarray:
    """Float samples in [-1, 1] as int16, rounded and clipped."""
    return _int16(samples)
