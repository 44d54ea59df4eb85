"""``<slug>.chapters.json``: the cue script's chapters in the Podcasting 2.0 JSON chapters format.

Podcast apps read the file the feed's ``<podcast:chapters>`` points at; its shape is fixed by
https://github.com/Podcastindex-org/podcast-namespace/blob/main/chapters/jsonChapters.md
"""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

from matcast.cues import CueScript, samples_to_seconds
from matcast.publish import Episode

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
