"""Clock readings of episode times: the one rounding rule and the spellings that the build summary,
the feed, the show notes and the library page share, so that one episode never shows two lengths.
"""

from __future__ import annotations

import math


def whole_seconds(seconds: float) -> int:
    """A time in whole seconds, the nearest one, halves rounded up (never negative).

    The one rule for every length and start time a listener sees: a listener never sees fractions,
    and a start shown 0.5 s early or late still lands inside its chapter. (Python's ``round``
    rounds halves to even, ``int`` truncates: either one alone made 6:38 in one place and 6:39 in
    another.)
    """
    return max(0, math.floor(seconds + 0.5))


def _hms(seconds: float) -> tuple[int, int, int]:
    hours, rest = divmod(whole_seconds(seconds), 3600)
    minutes, secs = divmod(rest, 60)
    return hours, minutes, secs


def clock(seconds: float) -> str:
    """A time as people read it: ``m:ss``, or ``h:mm:ss`` from one hour on."""
    hours, minutes, secs = _hms(seconds)
    if hours:
        return f"{hours}:{minutes:02d}:{secs:02d}"
    return f"{minutes}:{secs:02d}"


def hhmmss(seconds: float) -> str:
    """A length as ``HH:MM:SS``, the form itunes:duration asks for."""
    hours, minutes, secs = _hms(seconds)
    return f"{hours:02d}:{minutes:02d}:{secs:02d}"


def stamp(seconds: float, length: float) -> str:
    """A chapter start as Spotify reads it in a description: ``MM:SS``, or ``HH:MM:SS`` in an
    episode ``length`` seconds long that reaches an hour (every stamp of an episode alike)."""
    if _hms(length)[0]:
        return hhmmss(seconds)
    _, minutes, secs = _hms(seconds)
    return f"{minutes:02d}:{secs:02d}"
