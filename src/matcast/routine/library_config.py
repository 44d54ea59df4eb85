"""The library config: ``routines/library.yaml`` describes the podcast the library is published as.
"""

from __future__ import annotations

from typing import Annotated

from pydantic import AfterValidator, Field

from matcast.routine.fields import InvalidValue, StrictModel, Text
from matcast.routine.links import email_problem, url_problem
from matcast.routine.model import Sound, VoiceChoice


def _check(problem: str | None, value: str, hint: str) -> str:
    if problem is not None:
        raise InvalidValue(problem, hint)
    return value


def _link(value: str) -> str:
    return _check(url_problem(value), value, "a web address like https://example.org/yoga/")


def _base(value: str) -> str:
    return _check(url_problem(value, base=True), value,
                  "the address the output folder is served from, like "
                  "https://example.org/yoga/")


def _email(value: str) -> str:
    return _check(email_problem(value), value,
                  "podcast directories write to the show's owner there (itunes:owner)")


Link = Annotated[str, Field(max_length=500), AfterValidator(_link)]
BaseUrl = Annotated[str, Field(max_length=500), AfterValidator(_base)]
Email = Annotated[str, Field(max_length=200), AfterValidator(_email)]


class LibraryConfig(StrictModel):
    """The podcast channel: everything a feed and the library page say about the whole show."""

    title: Text = "matcast sessions"
    """The podcast's title."""
    description: str = Field("Voice-guided yoga sessions.", min_length=1, max_length=4000)
    """What the show is about."""
    author: str = Field("matcast", min_length=1, max_length=200)
    """Shown as the podcast's author (itunes:author)."""
    email: Email | None = None
    """The owner's e-mail address (itunes:owner), like owner@example.org; podcast directories
    ask for it."""
    language: str = Field("en", pattern=r"^[a-z]{2,3}(-[A-Za-z0-9]{2,8})*$")
    """Language of the episodes, e.g. en or en-GB."""
    website: Link | None = None
    """The show's web page (channel link), an http(s) URL; default: the base URL."""
    image: str | None = Field(None, max_length=300)
    """A square PNG or JPEG of 300 to 3000 pixels for the show, relative to this file and inside
    the library (default: a drawn cover)."""
    base_url: BaseUrl | None = None
    """Where the output folder will be served, an http(s) URL without query or fragment, e.g.
    https://example.org/yoga/ (--base-url overrides it); enclosure links are made from it."""
    copyright: str | None = Field(None, max_length=300)
    """The feed's copyright line; default: "© <year of the first episode> <author>"."""
    order: list[str] = Field(default_factory=list, max_length=1000)
    """Routines (names without .yaml) in the order the library page lists them and new episodes
    are numbered and dated; routines not named follow by name, each with its variants in turn."""
    voice: VoiceChoice | None = None
    """Speech engine, voice and rate for every routine that names none."""
    sound: Sound | None = None
    """Background bed and cue sounds for every routine that names none."""
