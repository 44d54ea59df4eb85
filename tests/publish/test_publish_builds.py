"""Publishing that survives a new machine: a small library built twice, into two empty folders on
different paths (the second from a copy of the library, as a fresh clone would be), gives the same
GUIDs, numbers and dates; without published.yaml the GUIDs still agree (they are derived).
"""

from __future__ import annotations

import re
import shutil
import subprocess
from dataclasses import dataclass
from pathlib import Path

import feedparser
import pytest
from mutagen.id3 import ID3

from library_builds import build_all, make_library
from node_tools import run_node
from vtt_check import webvtt_problems

EMAIL = "owner@example.org"


@dataclass(frozen=True)
class Site:
    library: Path
    out: Path
    result: subprocess.CompletedProcess[str]


@pytest.fixture(scope="module")
def cache(tmp_path_factory: pytest.TempPathFactory) -> Path:
    return tmp_path_factory.mktemp("cache")


@pytest.fixture(scope="module")
def first(tmp_path_factory: pytest.TempPathFactory, cache: Path) -> Site:
    library = make_library(tmp_path_factory.mktemp("machine-a"))
    config = library / "library.yaml"
    config.write_text(config.read_text() + f"email: {EMAIL}\norder: [rest, knees]\n")
    out = library.parent / "audio_out"
    return Site(library, out, build_all(library, out, cache, "--jobs", "2"))


@pytest.fixture(scope="module")
def second(tmp_path_factory: pytest.TempPathFactory, first: Site, cache: Path) -> Site:
    """The committed library (published.yaml included) on another machine: another path, an
    empty output folder elsewhere."""
    library = tmp_path_factory.mktemp("machine-b") / "checkout" / "routines"
    shutil.copytree(first.library, library)
    out = library.parents[1] / "public" / "site"
    return Site(library, out, build_all(library, out, cache, "--jobs", "1"))


def items(site: Site) -> dict[str, tuple[str, str, str]]:
    """Episode slug -> (GUID, pubDate, episode number), as feedparser reads the feed."""
    parsed = feedparser.parse((site.out / "feed.xml").read_bytes())
    assert not parsed.bozo, parsed.get("bozo_exception")
    return {entry.link.rsplit("/", 1)[1].removesuffix(".html"):
            (entry.id, entry.published, entry.itunes_episode) for entry in parsed.entries}


def test_both_builds_succeed_without_warnings(first: Site, second: Site) -> None:
    for site in (first, second):
        assert site.result.returncode == 0, site.result.stderr + site.result.stdout
        assert "warning" not in site.result.stderr, site.result.stderr
    assert first.out.resolve() != second.out.resolve()
    assert first.library.resolve() != second.library.resolve()


def test_two_clean_builds_give_the_same_guids_and_dates(first: Site, second: Site) -> None:
    one, two = items(first), items(second)
    assert set(one) == {"rest", "rest-flow", "knees"}
    assert one == two
    assert len({guid for guid, _, _ in one.values()}) == 3
    # The copy of the history was read, not rewritten; both feeds carry its podcast:guid.
    history = (first.library / "published.yaml").read_text()
    assert history == (second.library / "published.yaml").read_text()
    show = re.search(r"^podcast_guid: (\S+)$", history, re.M)
    assert show is not None
    for site in (first, second):
        assert f"<podcast:guid>{show.group(1)}</podcast:guid>" in (
            site.out / "feed.xml").read_text()


def test_numbers_and_distinct_dates_follow_the_library_order(first: Site) -> None:
    # library.yaml says: rest (with its variants), then knees.
    one = items(first)
    assert {slug: number for slug, (_, _, number) in one.items()} == {
        "rest": "1", "rest-flow": "2", "knees": "3"}
    parsed = feedparser.parse((first.out / "feed.xml").read_bytes())
    dates = {entry.link.rsplit("/", 1)[1].removesuffix(".html"): entry.published_parsed
             for entry in parsed.entries}
    assert dates["rest"] < dates["rest-flow"] < dates["knees"]
    page = (first.out / "index.html").read_text()
    assert page.index('id="rest"') < page.index('id="rest-flow"') < page.index('id="knees"')


def test_guids_are_derived_even_without_the_history(tmp_path: Path, first: Site,
                                                    cache: Path) -> None:
    """A library whose published.yaml was lost (or never committed) keeps its GUIDs: they come
    from the feed URL and the slugs. Only the dates are new. Without an owner e-mail, the build
    says what directories will miss."""
    library = tmp_path / "library"
    shutil.copytree(first.library, library)
    (library / "published.yaml").unlink()
    config = library / "library.yaml"
    config.write_text(config.read_text().replace(f"email: {EMAIL}\n", ""))
    site = Site(library, tmp_path / "out",
                build_all(library, tmp_path / "out", cache, "--jobs", "1"))
    assert site.result.returncode == 0, site.result.stderr
    assert "warning: feed.xml has no owner e-mail" in site.result.stderr
    one, again = items(first), items(site)
    assert {slug: guid for slug, (guid, _, _) in one.items()} == {
        slug: guid for slug, (guid, _, _) in again.items()}
    assert (library / "published.yaml").is_file()


def test_every_validator_passes_on_the_built_library(first: Site) -> None:
    """The Podcast Index's parser reads the feed with no warning (owner, self link, guid all
    there), every transcript is valid WebVTT, every MP3 has its chapters in time order."""
    parsed = run_node("partytime.cjs", first.out / "feed.xml")
    assert parsed["warnings"] == []
    show = parsed["feed"]
    assert show["owner"]["email"] == EMAIL and show["podcastOwner"] == EMAIL
    assert show["pubsub"]["self"] == "https://example.org/pod/feed.xml"
    assert show["guid"] and len(show["items"]) == 3
    transcripts = sorted(first.out.glob("*.vtt"))
    assert len(transcripts) == 3
    for path in transcripts:
        assert webvtt_problems(path.read_text(encoding="utf-8")) == [], path.name
    assert all(r["errors"] == [] for r in run_node("webvtt.cjs", *transcripts).values())
    for mp3 in sorted(first.out.glob("*.mp3")):
        starts = [frame.start_time for frame in ID3(mp3).getall("CHAP")]
        assert len(starts) >= 3 and starts == sorted(starts), mp3.name
