"""Speech lengths: an estimate for compiling without audio, measured lengths when rendering."""

from __future__ import annotations

import functools
from collections.abc import Callable, Mapping

from matcast.bounds import DEFAULT_RATE
from matcast.cues import seconds_to_samples

REFERENCE_RATE = 135
"""The rate the estimate was fitted at, in real words per minute while speaking (the meaning of
``--rate``; see :mod:`matcast.voice.pace`)."""

SpeechLength = Callable[[str], int]
"""Maps a spoken line to its length in samples."""


def estimate(text: str, rate: int = DEFAULT_RATE) -> int:
    """A length in samples for ``text`` spoken at ``rate`` real words per minute.

    Fitted (least squares) on the 387 lines spoken in an eSpeak NG build of post-run at 135
    words per minute, each as often as the session says it: 0.44 s plus 71.6 ms per character
    (the build's 1360 s of speech, estimated to within 0.1 %). Speech time scales inversely with
    the rate. Piper at the same rate speaks a few per cent faster, so its builds come out
    slightly shorter than estimated; a build re-times every session with the real lengths.
    """
    seconds = (0.44 + 0.0716 * len(text)) * REFERENCE_RATE / rate
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
