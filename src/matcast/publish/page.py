"""``index.html``: the library page, a static page that works opened straight from disk.

One section per episode, in the library's order (library.yaml's ``order``, then by name): a
player, the chapters (buttons that seek the player), the transcript, a timeline picture drawn
from the cue script, and a link to the show notes. Styles and script are inline and every link is
relative, so the output folder can be zipped, served or just opened.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass

from matcast.cues import EventKind, samples_to_seconds
from matcast.publish.html import render
from matcast.publish.records import EpisodeRecord
from matcast.publish.timeline import Timeline, timeline
from matcast.routine.library_config import LibraryConfig


@dataclass(frozen=True)
class Line:
    """A chapter title or a spoken line, at its start time in seconds."""

    start: float
    text: str


@dataclass(frozen=True)
class EpisodeView:
    """What the page shows of one episode."""

    record: EpisodeRecord
    chapters: tuple[Line, ...]
    transcript: tuple[Line, ...]
    timeline: Timeline


def episode_view(record: EpisodeRecord) -> EpisodeView:
    script = record.script
    return EpisodeView(
        record=record,
        chapters=tuple(Line(samples_to_seconds(c.start), c.title) for c in script.chapters),
        transcript=tuple(Line(samples_to_seconds(e.start), e.text) for e in script.events
                         if e.kind is EventKind.speech and e.text),
        timeline=timeline(script),
    )


def library_page(config: LibraryConfig, records: Sequence[EpisodeRecord],
                 image: str | None) -> str:
    """The page, with the episodes in the order given (the library's); ``image`` is the show's
    cover as a path relative to the page, if any."""
    return render("library.html", config=config, image=image,
                  episodes=[episode_view(r) for r in records])
