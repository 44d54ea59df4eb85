"""Clock readings of episode times, the one spelling the feed, show notes and library page share."""

from __future__ import annotations


def _hms(seconds: float) -> tuple[int, int, int]:
    # Whole seconds, rounded: a listener never sees fractions, and a start shown 0.5 s early or
    # late still lands inside its chapter.
    total = max(0, round(seconds))
    hours, rest = divmod(total, 3600)
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
