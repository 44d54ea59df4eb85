"""Speech lengths: an estimate for compiling without audio, measured lengths when rendering."""

from __future__ import annotations

from collections.abc import Callable, Mapping

from matcast.bounds import DEFAULT_RATE
from matcast.cues import seconds_to_samples

REFERENCE_RATE = 160
"""The rate the estimate was fitted at."""

SpeechLength = Callable[[str], int]
"""Maps a spoken line to its length in samples."""


def estimate(text: str, rate: int = DEFAULT_RATE) -> int:
    """A length in samples for ``text``, fitted to eSpeak NG at ``rate`` words per minute.

    Fitted on the 192 trimmed lines of a post-run build at 160 wpm (least squares): 0.30 s plus
    54 ms per character; speech time scales inversely with the rate.
    """
    seconds = (0.30 + 0.054 * len(text)) * REFERENCE_RATE / rate
    return max(1, seconds_to_samples(seconds))


def speech_length(measured: Mapping[str, int] | None = None,
                  rate: int = DEFAULT_RATE) -> SpeechLength:
    """Measured lengths where known, the estimate otherwise."""
    known = dict(measured or {})

    def length(text: str) -> int:
        got = known.get(text)
        return got if got is not None else estimate(text, rate)

    return length
