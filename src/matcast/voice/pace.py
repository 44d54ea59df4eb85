"""Speaking pace as a listener hears it: words per minute while the voice speaks.

The definition every rate in matcast follows (``--rate``, the calibration, the tests, the
benchmarks): the words of the lines spoken, divided by the time the voice is sounding, where each
line's clip is trimmed of leading and trailing silence by an energy threshold (mean power over
5 ms windows above -50 dBFS, the same detector that trims every clip for the mixer, with no
margin kept). Pauses inside a line (at commas and full stops) count as speaking time, the quiet
between lines does not. A word is a run of letters or digits, apostrophes inside it included
("don't" is one word, "left-hand" two).
"""

from __future__ import annotations

import re
from collections.abc import Iterable

import numpy as np

from matcast.cues import SAMPLE_RATE
from matcast.voice.engine import trim_silence

_WORD = re.compile(r"[^\W_]+(?:['’][^\W_]+)*")


def count_words(text: str) -> int:
    """The number of words in ``text`` (runs of letters or digits; inner apostrophes join)."""
    return len(_WORD.findall(text))


def speaking_seconds(samples: np.ndarray, sample_rate: int = SAMPLE_RATE) -> float:
    """Seconds from the first to the last sound of a clip (energy threshold, no margins)."""
    core = trim_silence(samples, sample_rate, lead_ms=0.0, tail_ms=0.0)
    return core.size / sample_rate


def words_per_minute(clips: Iterable[tuple[str, np.ndarray]],
                     sample_rate: int = SAMPLE_RATE) -> float:
    """Words per minute over ``(text, samples)`` pairs: all words ÷ all speaking time."""
    words = 0
    seconds = 0.0
    for text, samples in clips:
        words += count_words(text)
        seconds += speaking_seconds(samples, sample_rate)
    if seconds <= 0:
        raise ValueError("no speech to measure")
    return 60.0 * words / seconds
