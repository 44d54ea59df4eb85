"""Show notes of an episode: an HTML fragment for the feed and a standalone ``<slug>.html`` page.

Both list the same things (focus, the chapters as ``00:00 Introduction`` lines, the form Spotify
turns into chapters, then the poses with their Sanskrit names, tips and cautions); the page adds
the title, the length and a link to the MP3.
"""

from __future__ import annotations

from matcast.publish.chapters import chapter_stamps
from matcast.publish.html import render
from matcast.publish.records import EpisodeRecord
from matcast.routine.library_config import LibraryConfig


def show_notes_html(record: EpisodeRecord) -> str:
    """The notes as an HTML fragment, for the feed's ``content:encoded``."""
    return render("_notes.html", record=record, chapters=chapter_stamps(record.script))


def show_notes_page(record: EpisodeRecord, config: LibraryConfig) -> str:
    """The notes as a complete page, ``<slug>.html``, linking to ``<slug>.mp3`` beside it."""
    return render("notes_page.html", record=record, config=config,
                  chapters=chapter_stamps(record.script))
