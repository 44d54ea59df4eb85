"""The timeline picture of an episode: geometry for the library page's timeline.

Reads the cue script only. Poses are bands along the time axis; below them the two sides of
two-sided poses, then every event (speech dark, silence light, chimes marked), then a time axis.
The shapes are an SVG stretched to the page's width; the words are HTML laid over it in CSS
pixels, so they keep their size on a phone instead of shrinking with the picture.

Each label is worked out for three layouts, a phone's, a tablet's and a desktop's, each from the
narrowest timeline it is shown at (``Layout.width``): a band shows its chapter's whole title when
that fits, else the chapter's number (the chapter list under the timeline is numbered), else
nothing (its tooltip still names it). A label is never cut short. The page shows one layout at a
time with container queries. Positions are rounded so the same script always draws the same page.
"""

from __future__ import annotations

import bisect
from dataclasses import dataclass
from typing import assert_never

from matcast.cues import SAMPLE_RATE, CueScript, EventKind, Side, samples_to_seconds
from matcast.publish.clock import clock


@dataclass(frozen=True)
class Layout:
    width: int
    """The narrowest timeline, in CSS pixels, the layout is shown at; labels are fitted to it
    (the template's container queries use the same numbers)."""
    max_ticks: int


LAYOUTS = (Layout(300, 5), Layout(560, 8), Layout(800, 10))
"""Phones from 360 px wide (less the page's padding, 312 px), tablets, desktops."""

WIDTH = 1000
"""ViewBox width of the shapes; the SVG stretches to the page's width."""
HEIGHT = 56
"""ViewBox height, equal to the SVG's height in CSS pixels (rows in ``_timeline.html``)."""

LABEL_PX = 12
"""Font size of band labels, CSS pixels (the template's)."""
SMALL_PX = 11
"""Font size of side letters and axis labels."""
_EM = 0.62
"""A generous advance of a lower-case letter or a space, in ems (system sans fonts: 0.5-0.6)."""
_EM_WIDE = 0.85
"""Capitals, m and w."""
_EM_DIGIT = 0.66
"""Digits (tabular in most fonts: 0.55-0.64)."""
_PAD = 8
"""Horizontal padding a band label needs inside its band, both sides together."""
_MIN_W = 0.6
"""Narrowest event mark drawn: a short "inhale" in a long session would otherwise vanish."""
_TICK_STEPS = (30, 60, 120, 180, 300, 600, 900, 1800, 3600, 7200)
"""Axis steps in seconds: the smallest that keeps a layout within its max_ticks. 3 minutes sits
between 2 and 5 so a 10-15 minute session keeps more than two labels on a phone."""


@dataclass(frozen=True)
class Band:
    """A chapter: a pose, or the intro or closing."""

    x: float
    w: float
    title: str
    number: int
    """1-based, as the chapter list numbers it."""
    labels: tuple[str, ...]
    """The label in each layout: the title, the number, or nothing."""
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
    fits: tuple[bool, ...]
    """Whether the letter fits, in each layout."""


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
    """ViewBox units (0 to :data:`WIDTH`); the template turns them into percentages."""
    label: str
    layout: int
    """The index of the layout it is drawn in."""


@dataclass(frozen=True)
class Timeline:
    """Everything the template draws."""

    width: int
    height: int
    duration: float
    bands: tuple[Band, ...]
    sides: tuple[SideSpan, ...]
    marks: tuple[Mark, ...]
    ticks: tuple[Tick, ...]


def text_px(text: str, font_px: float) -> float:
    """A generous estimate of the width of ``text`` in a sans font of ``font_px``."""
    ems = sum(_EM_DIGIT if ch.isdigit() else _EM_WIDE if ch.isupper() or ch in "mwMW"
              else _EM for ch in text)
    return ems * font_px


def _label(title: str, number: int, px: float) -> str:
    room = px - _PAD
    if text_px(title, LABEL_PX) <= room:
        return title
    return str(number) if text_px(str(number), LABEL_PX) <= room else ""


def _ticks(seconds: float, index: int, layout: Layout) -> list[Tick]:
    step = next((s for s in _TICK_STEPS if seconds / s <= layout.max_ticks), _TICK_STEPS[-1])
    ticks = []
    t = 0
    while t <= seconds:
        label = clock(t)
        x_px = t / seconds * layout.width if seconds else 0.0
        # Labels are centred on their tick, the first one starts at it; none may hang off the
        # right edge (the player shows the total anyway).
        if t == 0 or x_px + text_px(label, SMALL_PX) / 2 <= layout.width:
            ticks.append(Tick(round(t / seconds * WIDTH, 2) if seconds else 0.0, label,
                              index))
        t += step
    return ticks


def timeline(script: CueScript) -> Timeline:
    """The picture of a cue script."""
    total = max(script.duration, 1)
    scale = WIDTH / total

    def x_of(samples: int) -> float:
        return round(samples * scale, 2)

    def w_of(start: int, end: int, minimum: float = 0.0) -> float:
        return round(max((end - start) * scale, minimum), 2)

    def fraction(start: int, end: int) -> float:
        return (end - start) / total

    bands = tuple(
        Band(x_of(c.start), w_of(c.start, c.end), c.title, number,
             tuple(_label(c.title, number, fraction(c.start, c.end) * layout.width)
                   for layout in LAYOUTS),
             samples_to_seconds(c.start), c.pose is not None)
        for number, c in enumerate(script.chapters, start=1)
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
    letter_px = text_px("R", SMALL_PX) + 4
    sides = tuple(
        SideSpan(x_of(start), w_of(start, end), side.value, side.value[0].upper(),
                 tuple(fraction(start, end) * layout.width >= letter_px for layout in LAYOUTS))
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
    ticks = tuple(tick for i, layout in enumerate(LAYOUTS) for tick in _ticks(seconds, i, layout))
    return Timeline(WIDTH, HEIGHT, samples_to_seconds(script.duration), bands, sides,
                    tuple(marks), ticks)
