"""Chapters for podcast apps: ``<slug>.chapters.json`` in the Podcasting 2.0 JSON chapters format,
and the timestamp lines and Podlove Simple Chapters that Spotify reads instead.

Podcast apps read the file the feed's ``<podcast:chapters>`` points at; its shape is fixed by
https://github.com/Podcastindex-org/podcast-namespace/blob/main/chapters/jsonChapters.md
Spotify reads neither that nor ID3 chapters, but ``00:00 Title`` lines in the description (the
first at 00:00, at least three, titles under 40 characters) and ``psc:chapters`` in the feed.
"""

from __future__ import annotations

import json
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from matcast.cues import SAMPLE_RATE, CueScript, samples_to_seconds
from matcast.publish.clock import stamp
from matcast.publish.plain import plain_text
from matcast.publish.writer import Episode

CHAPTERS_VERSION = "1.2.0"
"""The version of the JSON chapters format written."""

CHAPTERS_MIME = "application/json+chapters"
"""The media type the feed gives for the file."""


def chapters_json(script: CueScript) -> dict[str, Any]:
    """The JSON chapters document of a cue script: one entry per chapter, times in seconds."""
    return {
        "version": CHAPTERS_VERSION,
        "chapters": [
            {
                "startTime": samples_to_seconds(chapter.start),
                "endTime": samples_to_seconds(chapter.end),
                "title": chapter.title,
            }
            for chapter in script.chapters
        ],
    }


class ChaptersJsonWriter:
    """``<slug>.chapters.json``: chapters for podcast apps that read Podcasting 2.0 tags."""

    suffix = ".chapters.json"

    def write(self, episode: Episode, path: Path) -> None:
        text = json.dumps(chapters_json(episode.script), indent=2, ensure_ascii=False) + "\n"
        path.write_text(text, encoding="utf-8")


TITLE_LIMIT = 40
"""Longest chapter title in the timestamp lines and Podlove chapters: Spotify's limit."""


@dataclass(frozen=True)
class ChapterStamp:
    """A chapter as the timestamp lines of a description and Podlove Simple Chapters give it."""

    start: float
    """Seconds from the start of the episode."""
    stamp: str
    """``MM:SS`` (``HH:MM:SS`` in an episode of an hour or more), rounded like every clock."""
    npt: str
    """``HH:MM:SS.mmm``, the Podlove Simple Chapters start."""
    title: str
    """Plain text, at most :data:`TITLE_LIMIT` characters."""


def short_title(title: str, limit: int = TITLE_LIMIT) -> str:
    """``title`` on one line and within ``limit`` characters: cut after a whole word when it is
    longer, with an ellipsis."""
    title = " ".join(title.split())
    if len(title) <= limit:
        return title
    cut = title[: limit - 1]
    space = cut.rfind(" ")
    if space >= limit // 2:  # a word boundary that keeps most of the title
        cut = cut[:space]
    return cut.rstrip(" ,;:-–—(") + "…"


def chapter_stamps(script: CueScript) -> list[ChapterStamp]:
    """Every chapter of ``script`` with its stamps; the first starts at 00:00."""
    length = samples_to_seconds(script.duration)
    stamps = []
    for chapter in script.chapters:
        start = samples_to_seconds(chapter.start)
        millis = round(chapter.start * 1000 / SAMPLE_RATE)
        hours, rest = divmod(millis, 3_600_000)
        minutes, rest = divmod(rest, 60_000)
        npt = f"{hours:02d}:{minutes:02d}:{rest // 1000:02d}.{rest % 1000:03d}"
        stamps.append(ChapterStamp(start, stamp(start, length), npt,
                                   short_title(plain_text(chapter.title))))
    return stamps
