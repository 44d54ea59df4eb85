"""The timeline picture of an episode: geometry for the inline SVG on the library page.

Reads the cue script only. Poses are labelled bands along the time axis; below them the two sides
of two-sided poses, then every event (speech dark, silence light, chimes marked), then a time
axis. Coordinates are in viewBox units, rounded so the same script always draws the same SVG.
"""

from __future__ import annotations

import bisect
from dataclasses import dataclass
from typing import assert_never

from matcast.cues import SAMPLE_RATE, CueScript, EventKind, Side, samples_to_seconds
from matcast.publish.clock import clock

WIDTH = 1000
"""ViewBox width; the SVG scales to the page's width."""
HEIGHT = 72
"""ViewBox height; the rows within it are laid out by the template (``_timeline.html``)."""

_CHAR_W = 6.4
"""Rough width of one label character at the template's font size, to fit labels in bands."""
_MIN_W = 0.6
"""Narrowest mark drawn: a short "inhale" in a long session would otherwise vanish."""
_TICK_STEPS = (30, 60, 120, 300, 600, 900, 1800, 3600, 7200)
_MAX_TICKS = 10


@dataclass(frozen=True)
class Band:
    """A chapter: a pose, or the intro or closing."""

    x: float
    w: float
    title: str
    label: str
    """The title, shortened to fit the band (may be empty)."""
    start: float
    """Seconds, for seeking."""
    pose: bool
    """False for the intro and closing."""


@dataclass(frozen=True)
class SideSpan:
    """One side of a two-sided pose."""

    x: float
    w: float
    side: str
    letter: str


@dataclass(frozen=True)
class Mark:
    """One event."""

    x: float
    w: float
    kind: str
    """speech, silence or chime."""
    note: str
    """Tooltip: the words, or which chime."""


@dataclass(frozen=True)
class Tick:
    x: float
    label: str
    anchor: str


@dataclass(frozen=True)
class Timeline:
    """Everything the SVG template draws."""

    width: int
    height: int
    duration: float
    bands: tuple[Band, ...]
    sides: tuple[SideSpan, ...]
    marks: tuple[Mark, ...]
    ticks: tuple[Tick, ...]


def _fit(text: str, width: float) -> str:
    room = int((width - 6) / _CHAR_W)
    if room >= len(text):
        return text
    # Fewer than three characters and an ellipsis says nothing; the tooltip still has the name.
    return text[: room - 1].rstrip() + "…" if room >= 4 else ""


def _ticks(seconds: float, per_second: float) -> tuple[Tick, ...]:
    step = next((s for s in _TICK_STEPS if seconds / s <= _MAX_TICKS), _TICK_STEPS[-1])
    ticks = []
    t = 0
    while t <= seconds:
        x = t * per_second
        # The last label would hang off the right edge; the player shows the total anyway.
        if t == 0 or x <= WIDTH - 20:
            ticks.append(Tick(round(x, 2), clock(t), "start" if t == 0 else "middle"))
        t += step
    return tuple(ticks)


def timeline(script: CueScript) -> Timeline:
    """The picture of a cue script."""
    total = max(script.duration, 1)
    scale = WIDTH / total

    def x_of(samples: int) -> float:
        return round(samples * scale, 2)

    def w_of(start: int, end: int, minimum: float = 0.0) -> float:
        return round(max((end - start) * scale, minimum), 2)

    bands = tuple(
        Band(x_of(c.start), w_of(c.start, c.end), c.title, _fit(c.title, (c.end - c.start) * scale),
             samples_to_seconds(c.start), c.pose is not None)
        for c in script.chapters
    )

    # A pose may come twice in a routine, so sides are grouped by chapter, not by pose id.
    chapter_starts = [c.start for c in script.chapters]
    spans: dict[tuple[int, Side], list[int]] = {}
    for event in script.events:
        if event.side is None:
            continue
        chapter = bisect.bisect_right(chapter_starts, event.start) - 1
        span = spans.setdefault((chapter, event.side), [event.start, event.end])
        span[0], span[1] = min(span[0], event.start), max(span[1], event.end)
    sides = tuple(
        SideSpan(x_of(start), w_of(start, end), side.value, side.value[0].upper())
        for (_, side), (start, end) in sorted(spans.items(), key=lambda item: item[1][0])
    )

    marks = []
    for event in script.events:
        match event.kind:
            case EventKind.speech:
                note = event.text or ""
            case EventKind.chime:
                note = f"{event.chime.value if event.chime else ''} chime".strip()
            case EventKind.silence:
                note = "silence"
            case _:
                assert_never(event.kind)
        minimum = 2.5 if event.kind is EventKind.chime else _MIN_W
        marks.append(Mark(x_of(event.start), w_of(event.start, event.end, minimum),
                          event.kind.value, f"{clock(event.start / SAMPLE_RATE)} {note}"))

    seconds = script.duration / SAMPLE_RATE
    return Timeline(WIDTH, HEIGHT, samples_to_seconds(script.duration), bands, sides, tuple(marks),
                    _ticks(seconds, scale * SAMPLE_RATE))
