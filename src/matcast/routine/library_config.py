"""The library config: ``routines/library.yaml`` describes the podcast the library is published as.
"""

from __future__ import annotations

from pydantic import Field

from matcast.routine.model import Sound, Text, VoiceChoice, _Strict


class LibraryConfig(_Strict):
    """The podcast channel: everything a feed and the library page say about the whole show."""

    title: Text = "matcast sessions"
    """The podcast's title."""
    description: str = Field("Voice-guided yoga sessions.", min_length=1, max_length=4000)
    """What the show is about."""
    author: str = Field("matcast", min_length=1, max_length=200)
    """Shown as the podcast's author (itunes:author)."""
    email: str | None = Field(None, max_length=200)
    """The owner's e-mail (itunes:owner); podcast directories ask for it."""
    language: str = Field("en", pattern=r"^[a-z]{2,3}(-[A-Za-z0-9]{2,8})*$")
    """Language of the episodes, e.g. en or en-GB."""
    website: str | None = Field(None, max_length=500)
    """The show's web page (channel link); default: the base URL."""
    image: str | None = Field(None, max_length=300)
    """A square PNG or JPEG for the show, relative to this file (default: a drawn cover)."""
    base_url: str | None = Field(None, max_length=500)
    """Where the output folder will be served, e.g. https://example.org/yoga/ (--base-url
    overrides it); enclosure links are made from it."""
    copyright: str | None = Field(None, max_length=300)
    """The feed's copyright line; default: "© <year of the first episode> <author>"."""
    order: list[str] = Field(default_factory=list, max_length=1000)
    """Routines (names without .yaml) in the order the library page lists them and new episodes
    are numbered and dated; routines not named follow by name, each with its variants in turn."""
    voice: VoiceChoice | None = None
    """Speech engine, voice and rate for every routine that names none."""
    sound: Sound | None = None
    """Background bed and cue sounds for every routine that names none."""
