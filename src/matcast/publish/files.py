"""The names of the files a library publish writes into an output folder (no imports: the
command line names them without loading the writers)."""

from __future__ import annotations

NOTES_SUFFIX = ".html"
"""An episode's show notes, written when the library is published."""
FEED = "feed.xml"
PAGE = "index.html"
