"""The library's publication history: ``published.yaml``, beside ``library.yaml``.

Podcast apps know an episode by its GUID and list episodes by date. Both must come out the same
from a build on another machine, in CI or into an empty folder, or every subscriber gets every
episode again. So neither lives in the output folder:

- GUIDs are derived, never drawn: the podcast's ``podcast:guid`` is the UUIDv5 of its feed URL, as
  the Podcasting 2.0 namespace defines it, and each episode's GUID is the UUIDv5 of its slug in
  that namespace. The podcast GUID is recorded the first time a feed is written, and kept even if
  the feed moves (the spec asks for that), so episode GUIDs survive a new host too.
- Episode numbers and first-publication dates are recorded here when an episode is first
  published. The build updates the file (atomically); the user commits it with the routines.

A build from an older matcast kept random GUIDs and dates in ``manifest.json`` only; the first
build with this module takes them over from there, GUIDs included, so nothing is republished.
"""

from __future__ import annotations

import contextlib
import datetime as dt
import difflib
import re
import uuid
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass, field, replace
from pathlib import Path
from typing import Any

from matcast.errors import Problem, RoutineError
from matcast.routine.paths import PUBLISHED as HISTORY_FILE

PODCAST_NAMESPACE = uuid.UUID("ead4c236-bf58-58c6-a2c6-a6b28d128cb6")
"""The UUIDv5 namespace of ``podcast:guid`` (Podcasting 2.0 namespace, the guid tag)."""
DATE_STEP = dt.timedelta(minutes=1)
"""Between the dates of episodes first published by the same build, in library order."""

HEADER = """\
# When each episode of this library was first published, written by `matcast build --all`.
# Commit this file with the routines: podcast apps know the episodes by these numbers, dates and
# GUIDs, and a build on another machine, in CI or into an empty folder must give the same ones.
# podcast_guid is the show's podcast:guid, made once from its first feed URL; each episode's GUID
# is made from it and the episode's slug (or kept as `guid:` from an older build).
"""

_SLUG = re.compile(r"[a-z0-9][a-z0-9._-]*")
_KEYS = ("podcast_guid", "episodes")
_ENTRY_KEYS = ("number", "published", "guid")


def podcast_guid(feed_url: str) -> str:
    """The ``podcast:guid`` of a feed: UUIDv5 of its URL without the scheme and the trailing
    slashes, in the Podcasting 2.0 namespace."""
    seed = re.sub(r"^[A-Za-z][A-Za-z0-9+.-]*://", "", feed_url.strip()).rstrip("/")
    return str(uuid.uuid5(PODCAST_NAMESPACE, seed))


def episode_guid(show: str, slug: str) -> str:
    """An episode's GUID: UUIDv5 of its slug in the namespace of the podcast's GUID."""
    return str(uuid.uuid5(uuid.UUID(show), slug))


@dataclass(frozen=True)
class Entry:
    """One published episode."""

    number: int
    """Its episode number (itunes:episode, the MP3's track)."""
    published: dt.datetime
    """When it was first published, UTC."""
    guid: str | None = None
    """A GUID an older matcast published it under; None for the derived one."""


@dataclass
class History:
    """What ``published.yaml`` records."""

    podcast_guid: str | None = None
    episodes: dict[str, Entry] = field(default_factory=dict)

    def guid(self, slug: str) -> str | None:
        """The GUID of an episode; None until the podcast has a GUID (no feed written yet)."""
        entry = self.episodes.get(slug)
        if entry is not None and entry.guid:
            return entry.guid
        return episode_guid(self.podcast_guid, slug) if self.podcast_guid else None

    def to_yaml(self) -> str:
        """The file's text: a header that says what it is, then one line per episode, in
        number order, so that a new episode is one new line in a diff."""
        lines = [HEADER.rstrip("\n")]
        if self.podcast_guid:
            lines.append(f"podcast_guid: {self.podcast_guid}")
        lines.append("episodes:" if self.episodes else "episodes: {}")
        for slug, entry in sorted(self.episodes.items(), key=lambda item: item[1].number):
            when = entry.published.astimezone(dt.UTC).strftime("%Y-%m-%dT%H:%M:%SZ")
            guid = f", guid: {_quoted(entry.guid)}" if entry.guid else ""
            lines.append(f"  {_key(slug)}: {{number: {entry.number}, published: '{when}'"
                         f"{guid}}}")
        return "\n".join(lines) + "\n"


def _quoted(text: str) -> str:
    return "'" + text.replace("'", "''") + "'"


def _key(slug: str) -> str:
    """The slug as a YAML key: plain, unless YAML would read it as something else (``1``,
    ``yes``, ``null``)."""
    import yaml

    return slug if yaml.safe_load(slug) == slug else _quoted(slug)


def history_path(library: Path) -> Path:
    return library / HISTORY_FILE


def load_history(library: Path) -> History:
    """The library's history, or an empty one when it has no ``published.yaml``. Raises
    RoutineError (exit code 2) with every problem, located, when the file is not valid."""
    from matcast.routine.yamlsrc import YamlProblems, read_yaml

    path = history_path(library)
    if not path.exists():
        return History()
    try:
        doc = read_yaml(path)
    except YamlProblems as exc:
        raise RoutineError(exc.problems) from None
    problems: list[Problem] = []
    hint = "the build writes this file; fix or delete the line (see README, Publishing)"
    data = doc.data
    if not isinstance(data, dict):
        raise RoutineError([doc.problem((), "expected a mapping with podcast_guid and episodes",
                                        hint)])
    for key in data:
        if key not in _KEYS:
            close = difflib.get_close_matches(key, _KEYS, n=1)
            problems.append(doc.problem((key,), f"unknown key {key!r}",
                                        f"did you mean {close[0]!r}?" if close else
                                        f"the keys are {', '.join(_KEYS)}", key=True))
    history = History()
    show = data.get("podcast_guid")
    if show is not None:
        try:
            history.podcast_guid = str(uuid.UUID(str(show)))
        except ValueError:
            problems.append(doc.problem(("podcast_guid",), f"expected a UUID, got {show!r}",
                                        hint))
    episodes = data.get("episodes") or {}
    if not isinstance(episodes, dict):
        problems.append(doc.problem(("episodes",), "expected a mapping of slug to "
                                    "{number, published}", hint))
        episodes = {}
    numbers: dict[int, str] = {}
    for slug, value in episodes.items():
        at = ("episodes", slug)
        entry = _entry(value, at, doc, problems, hint)
        if not _SLUG.fullmatch(slug):
            problems.append(doc.problem(at, f"{slug!r} is not an episode slug", hint, key=True))
        elif entry is not None:
            if entry.number in numbers:
                problems.append(doc.problem((*at, "number"), f"episode number {entry.number} "
                                            f"is also {numbers[entry.number]!r}'s",
                                            "give each episode its own number"))
            numbers.setdefault(entry.number, slug)
            history.episodes[slug] = entry
    if problems:
        raise RoutineError(problems)
    return history


def _entry(value: Any, at: tuple[str, ...], doc: Any, problems: list[Problem],
           hint: str) -> Entry | None:
    if not isinstance(value, dict):
        problems.append(doc.problem(at, "expected {number: N, published: 'YYYY-MM-DDTHH:MM:SSZ'}",
                                    hint))
        return None
    before = len(problems)
    for key in value:
        if key not in _ENTRY_KEYS:
            problems.append(doc.problem((*at, key), f"unknown key {key!r}",
                                        f"an episode has {', '.join(_ENTRY_KEYS)}", key=True))
    number = value.get("number")
    if isinstance(number, bool) or not isinstance(number, int) or not 1 <= number <= 1_000_000:
        problems.append(doc.problem((*at, "number"), f"expected an episode number from 1, "
                                    f"got {number!r}", hint))
    published = value.get("published")
    when = _date(published)
    if when is None or when.tzinfo is None:
        problems.append(doc.problem((*at, "published"), "expected a date and time with its "
                                    f"zone, like '2025-03-01T07:30:00Z'; got {published!r}",
                                    hint))
    guid = value.get("guid")
    if guid is not None and (not isinstance(guid, str) or not guid.strip() or len(guid) > 500):
        problems.append(doc.problem((*at, "guid"), f"expected the GUID text, got {guid!r}", hint))
    if len(problems) > before or when is None:
        return None
    return Entry(int(number), when.astimezone(dt.UTC), guid or None)  # type: ignore[arg-type]


def episode_numbers(history: History, slugs: Sequence[str],
                    legacy: Mapping[str, Mapping[str, Any]]) -> dict[str, int]:
    """Numbers for ``slugs`` (in library order): the history's; else the one an older build
    recorded in its manifest (``legacy``); else the next free ones, in the order given."""
    taken = {entry.number for entry in history.episodes.values()}
    taken |= {int(e["number"]) for e in legacy.values() if isinstance(e.get("number"), int)}
    next_number = max(taken, default=0) + 1
    numbers: dict[str, int] = {}
    for slug in slugs:
        if slug in history.episodes:
            numbers[slug] = history.episodes[slug].number
            continue
        old = legacy.get(slug, {}).get("number")
        mine = {e.number for s, e in history.episodes.items() if s != slug}
        if isinstance(old, int) and old not in mine:
            numbers[slug] = old
        else:
            numbers[slug], next_number = next_number, next_number + 1
    return numbers


def record(history: History, published: Iterable[tuple[str, int]],
           legacy: Mapping[str, Mapping[str, Any]], now: dt.datetime,
           feed_url: str | None) -> History:
    """The history with every episode of ``published`` ((slug, number) pairs) in it, and the
    podcast's GUID once there is a feed URL. Episodes already there keep what they have; an
    episode an older build published keeps that build's date and GUID; the others get distinct
    dates in number order, one :data:`DATE_STEP` apart, the last one ``now`` (or just after the
    newest date already recorded, if that is later)."""
    episodes = dict(history.episodes)
    new: list[tuple[int, str]] = []
    for slug, number in published:
        if slug in episodes:
            continue
        old = legacy.get(slug, {})
        when = _legacy_date(old.get("published"))
        if when is not None:
            guid = old.get("guid")
            episodes[slug] = Entry(number, when, guid if isinstance(guid, str) and guid else None)
        else:
            new.append((number, slug))
    new.sort()
    if new:
        now = now.astimezone(dt.UTC).replace(microsecond=0)
        first = now - DATE_STEP * (len(new) - 1)
        newest = max((e.published for e in episodes.values()), default=None)
        if newest is not None and first <= newest:
            first = newest + DATE_STEP
        for i, (number, slug) in enumerate(new):
            episodes[slug] = Entry(number, first + DATE_STEP * i)
    show = history.podcast_guid or (podcast_guid(feed_url) if feed_url else None)
    return replace(history, podcast_guid=show, episodes=episodes)


def _date(value: Any) -> dt.datetime | None:
    """An ISO 8601 date and time (a trailing Z included), as written; None if it is not one."""
    if isinstance(value, str):
        with contextlib.suppress(ValueError):
            return dt.datetime.fromisoformat(value)
    return None


def _legacy_date(value: Any) -> dt.datetime | None:
    """A date an older build wrote in its manifest (UTC, sometimes without a zone)."""
    when = _date(value)
    if when is None:
        return None
    return (when if when.tzinfo else when.replace(tzinfo=dt.UTC)).astimezone(dt.UTC)


def save_history(library: Path, history: History) -> bool:
    """Write ``published.yaml`` (atomically) if its text changed; True if it was written.
    Raises OutputError when it cannot be written."""
    from matcast.fs.atomic import clean_stale, write_atomic

    path = history_path(library)
    text = history.to_yaml().encode("utf-8")
    with contextlib.suppress(OSError):
        if path.read_bytes() == text:
            return False
    # A build killed while writing it left a hidden temp file in the library: not for git.
    clean_stale(library)
    write_atomic(path, text)
    return True
