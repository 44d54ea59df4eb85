"""Speech lengths: an estimate for compiling without audio, measured lengths when rendering."""

from __future__ import annotations

import functools
from collections.abc import Callable, Mapping

from matcast.cues import seconds_to_samples

REFERENCE_RATE = 160
"""The rate the estimate was fitted at: eSpeak NG's rate setting 160, which really speaks
post-run's lines at about 185 words per minute while speaking."""
DEFAULT_RATE = REFERENCE_RATE
"""The rate the estimate assumes when none is given: the pace it was fitted at, not the speaking
rate's default (135 real words per minute since the rate was calibrated). A build re-times every
session with the real lengths of its spoken lines, so this moves only the estimates of
``compile``, ``list``, ``lint`` and ``validate``, which therefore run short of a build at 135 by
about a quarter of the speaking time."""

SpeechLength = Callable[[str], int]
"""Maps a spoken line to its length in samples."""


def estimate(text: str, rate: int = DEFAULT_RATE) -> int:
    """A length in samples for ``text``, fitted to eSpeak NG at ``rate`` words per minute.

    Fitted on the 192 trimmed lines of a post-run build at 160 wpm (least squares): 0.30 s plus
    54 ms per character; speech time scales inversely with the rate.
    """
    seconds = (0.30 + 0.054 * len(text)) * REFERENCE_RATE / rate
    return max(1, seconds_to_samples(seconds))


@functools.lru_cache(maxsize=32)
def estimated(rate: int) -> SpeechLength:
    """The estimate at ``rate``, as one function per rate that remembers its answers: a composer
    compiles many routines made of the same lines, and what is keyed by it can be cached."""
    @functools.lru_cache(maxsize=65_536)
    def length(text: str) -> int:
        return estimate(text, rate)

    return length


def speech_length(measured: Mapping[str, int] | None = None,
                  rate: int = DEFAULT_RATE) -> SpeechLength:
    """Measured lengths where known, the estimate otherwise."""
    if not measured:
        return estimated(rate)
    known = dict(measured)

    def length(text: str) -> int:
        got = known.get(text)
        return got if got is not None else estimate(text, rate)

    return length
