"""The names of the files matcast writes into an output folder (no imports: the batch planner
checks them without loading the writers)."""

from __future__ import annotations

EPISODE_SUFFIXES = (".mp3", ".cues.json", ".vtt", ".chapters.json")
"""What every episode build writes, ``<slug><suffix>``; the MP3 first."""
NOTES_SUFFIX = ".html"
"""An episode's show notes, written when the library is published."""
FEED = "feed.xml"
PAGE = "index.html"


def episode_files(slug: str) -> list[str]:
    """The files one episode build writes."""
    return [f"{slug}{suffix}" for suffix in EPISODE_SUFFIXES]
