"""The library config: ``routines/library.yaml`` describes the podcast the library is published as.
"""

from __future__ import annotations

from typing import Annotated, Literal

from pydantic import AfterValidator, Field, model_validator

from matcast.routine.enums import Level
from matcast.routine.fields import (
    SLUG_PATTERN,
    InvalidValue,
    LevelName,
    StrictModel,
    StyleName,
    TargetName,
    Text,
)
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


class ComposedEpisode(StrictModel):
    """A class `matcast compose` makes from the library's poses, published by `build --all` like
    a routine's variant: its routine is saved as ``composed/<slug>.yaml`` beside this file."""

    slug: str = Field(pattern=SLUG_PATTERN)
    """The episode's name: its routine file and its output files are named from it."""
    minutes: float = Field(ge=5, le=90)
    """Length of the class, 5 to 90 minutes."""
    focus: list[TargetName] = Field(default_factory=list, max_length=20)
    """Target areas that get most of the hold time (the pose vocabulary's targets)."""
    level: LevelName = Level.all
    """gentle, beginner, all or advanced."""
    purpose: Literal["after-run", "before-run", "recovery", "bedtime"] = Field(
        "after-run", alias="for")
    """What the class is for (the key is ``for``, as the command line's --for)."""
    avoid: list[Annotated[str, Field(min_length=1, max_length=60)]] = Field(
        default_factory=list, max_length=20)
    """Body areas or conditions (contraindications), pose ids or pose names to leave out."""
    style: StyleName | None = None
    """hold or flow (default: flow before a run, else hold)."""
    seed: int = Field(ge=0, le=2**31 - 1)
    """Picks among the poses that fit: the same seed and poses give the same class."""


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
    composed: list[ComposedEpisode] = Field(default_factory=list, max_length=100)
    """Composed classes to publish, e.g. a weekly set: ``[{slug: monday-hips, minutes: 15,
    focus: [hips], for: after-run, seed: 1}]``."""

    @model_validator(mode="after")
    def _distinct_slugs(self) -> LibraryConfig:
        slugs = [c.slug for c in self.composed]
        twice = sorted({s for s in slugs if slugs.count(s) > 1})
        if twice:
            raise InvalidValue(f"composed episode slug {twice[0]!r} is used twice",
                               "give each composed episode its own slug")
        return self
