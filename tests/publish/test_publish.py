"""The publishing writers: feed, show notes, JSON chapters and the library page.

Records are built from real compiled cue scripts (no audio), then read back the way their
consumers do: two podcast parsers for the feed, an XML parser for the HTML's SVG.
"""

from __future__ import annotations

import dataclasses
import datetime as dt
import functools
import io
import itertools
import json
import re
from pathlib import Path
from xml.etree import ElementTree

import feedparser
import podcastparser
import pytest
from markupsafe import escape

from matcast import CompileOptions, CueScript, Style, compile_routine, load_routine
from matcast.cues import samples_to_seconds
from matcast.publish.chapters import (
    TITLE_LIMIT,
    ChaptersJsonWriter,
    chapter_stamps,
    chapters_json,
    short_title,
)
from matcast.publish.clock import clock, hhmmss, stamp, whole_seconds
from matcast.publish.feed import PODCAST_NS, PSC_NS, description_text, feed_xml, normalise_base_url
from matcast.publish.history import episode_guid, podcast_guid
from matcast.publish.notes import show_notes_html, show_notes_page
from matcast.publish.page import library_page
from matcast.publish.plain import plain_text
from matcast.publish.records import EpisodeRecord, PoseNote
from matcast.publish.timeline import timeline
from matcast.routine.library_config import LibraryConfig
from node_tools import run_node

LIBRARY = Path(__file__).resolve().parents[2] / "routines"
BASE = "https://example.org/yoga/"
IMAGE = "https://example.org/yoga/cover.png"
EVIL = '<script>alert(1)</script> & "quotes"'
EVIL_TIP = "Keep it <b>soft</b> & easy"


@functools.cache
def compiled(routine: str, style: Style | None = None) -> tuple[CueScript, tuple[PoseNote, ...]]:
    loaded = load_routine(LIBRARY / f"{routine}.yaml")
    script = compile_routine(loaded, CompileOptions(style=style))
    notes = []
    for chapter in script.chapters:
        if chapter.pose is None:
            continue
        pose = loaded.poses[chapter.pose]
        notes.append(PoseNote(
            pose=chapter.pose, name=pose.name, sanskrit=pose.sanskrit,
            targets=tuple(t.spoken for t in pose.targets), tips=tuple(pose.tips),
            cautions=tuple(c if isinstance(c, str) else c.say for c in pose.cautions),
            start=samples_to_seconds(chapter.start),
        ))
    return script, tuple(notes)


def make_record(slug: str, routine: str = "post-run", *, number: int = 1,
                day: int = 1, style: Style | None = None, **changes: object) -> EpisodeRecord:
    """A record as the batch build would make it; ``mp3_bytes`` is made up."""
    script, poses = compiled(routine, style)
    loaded = load_routine(LIBRARY / f"{routine}.yaml")
    record = EpisodeRecord(
        slug=slug, title=loaded.routine.title, routine=routine,
        description=loaded.routine.description or "", focus=tuple(loaded.routine.focus),
        author=loaded.routine.author or "matcast", number=number,
        guid=f"urn:uuid:00000000-0000-4000-8000-{number:012d}",
        published=dt.datetime(2025, 3, day, 7, 30, tzinfo=dt.UTC),
        mp3_bytes=1_000_000 + number, duration=script.duration_seconds, script=script,
        poses=poses, style=str(script.options["style"]), level=str(loaded.routine.level),
        minutes=None,
    )
    return dataclasses.replace(record, **changes)  # type: ignore[arg-type]


def evil_record() -> EpisodeRecord:
    """Markup in every text a routine file can set."""
    record = make_record("evil", "thunderbolt", number=3, day=3, title=EVIL, description=EVIL,
                         focus=(EVIL,))
    first = dataclasses.replace(record.poses[0], name=EVIL, tips=(EVIL_TIP,), cautions=(EVIL,))
    return dataclasses.replace(record, poses=(first, *record.poses[1:]))


@pytest.fixture(scope="module")
def config() -> LibraryConfig:
    return LibraryConfig(title="Mat & more", description="Yoga <for> runners.",
                         author="Ana Author", email="ana@example.org", language="en-GB")


@pytest.fixture(scope="module")
def records() -> list[EpisodeRecord]:
    return [
        make_record("post-run", number=1, day=1),
        make_record("thunderbolt", "thunderbolt", number=2, day=2),
        make_record("post-run-flow", number=4, day=4, style=Style.flow),
    ]


@pytest.fixture(scope="module")
def feed(config: LibraryConfig, records: list[EpisodeRecord]) -> bytes:
    return feed_xml(config, records, BASE.rstrip("/"), IMAGE)


# --- time helpers -----------------------------------------------------------------------------


@pytest.mark.parametrize(("seconds", "short", "long"), [
    (0, "0:00", "00:00:00"), (59.4, "0:59", "00:00:59"), (59.6, "1:00", "00:01:00"),
    (605, "10:05", "00:10:05"), (3723, "1:02:03", "01:02:03"), (-1, "0:00", "00:00:00"),
    # Halves round up, everywhere (round() would give 0:00 and 6:38 here, int() 6:38 for both).
    (0.5, "0:01", "00:00:01"), (398.5, "6:39", "00:06:39"), (398.7, "6:39", "00:06:39"),
])
def test_clock_and_hhmmss(seconds: float, short: str, long: str) -> None:
    assert clock(seconds) == short
    assert hhmmss(seconds) == long
    assert whole_seconds(seconds) * 1.0 == pytest.approx(
        sum(int(p) * 60 ** i for i, p in enumerate(reversed(long.split(":")))))


def test_stamps_for_spotify() -> None:
    assert stamp(0, 400) == "00:00" and stamp(398.5, 400) == "06:39"
    assert stamp(0, 3599.6) == "00:00:00" and stamp(65, 4000) == "00:01:05"


def test_the_build_summary_uses_the_same_rounding() -> None:
    from matcast.build.library_view import summary
    from matcast.build.plan import Outcome

    assert "6:39" in summary([Outcome("post-run", "skipped", "up to date", duration=398.6)])


# --- chapters ---------------------------------------------------------------------------------


def test_chapters_json_shape(records: list[EpisodeRecord], tmp_path: Path) -> None:
    script = records[0].script
    doc = chapters_json(script)
    assert set(doc) == {"version", "chapters"}
    assert doc["version"] == "1.2.0"
    chapters = doc["chapters"]
    assert [c["title"] for c in chapters] == [c.title for c in script.chapters]
    assert chapters[0]["startTime"] == 0
    for chapter in chapters:
        assert set(chapter) == {"startTime", "endTime", "title"}
        assert isinstance(chapter["startTime"], float | int)
        assert chapter["startTime"] < chapter["endTime"]
    for chapter, following in itertools.pairwise(chapters):
        assert chapter["endTime"] == following["startTime"]
    assert chapters[-1]["endTime"] == pytest.approx(script.duration_seconds, abs=1e-6)

    class Ep:  # the writer reads only the script
        script = records[0].script

    path = tmp_path / "x.chapters.json"
    writer = ChaptersJsonWriter()
    assert writer.suffix == ".chapters.json"
    writer.write(Ep(), path)  # type: ignore[arg-type]
    assert json.loads(path.read_text(encoding="utf-8")) == doc


# --- feed -------------------------------------------------------------------------------------


def test_feed_is_well_formed_with_namespaces(feed: bytes) -> None:
    assert feed.startswith(b"<?xml version='1.0' encoding='UTF-8'?>")
    root = ElementTree.fromstring(feed)
    assert root.tag == "rss" and root.get("version") == "2.0"
    assert b'xmlns:podcast="https://podcastindex.org/namespace/1.0"' in feed
    assert b'xmlns:itunes="http://www.itunes.com/dtds/podcast-1.0.dtd"' in feed
    channel = root.find("channel")
    assert channel is not None
    itunes = "{http://www.itunes.com/dtds/podcast-1.0.dtd}"
    assert channel.findtext(f"{itunes}explicit") == "false"
    category = channel.find(f"{itunes}category")
    assert category is not None and category.get("text") == "Health & Fitness"
    sub = category.find(f"{itunes}category")
    assert sub is not None and sub.get("text") == "Fitness"
    assert channel.findtext(f"{itunes}owner/{itunes}email") == "ana@example.org"
    assert channel.findtext("image/url") == IMAGE
    assert channel.findtext("generator") == "matcast"
    assert channel.findtext("lastBuildDate") == "Tue, 04 Mar 2025 07:30:00 +0000"
    for item in channel.iter("item"):
        assert item.findtext(f"{itunes}episodeType") == "full"
        assert re.fullmatch(r"\d\d:\d\d:\d\d", item.findtext(f"{itunes}duration") or "")
        transcript = item.find(f"{{{PODCAST_NS}}}transcript")
        assert transcript is not None and transcript.get("type") == "text/vtt"
        chapters = item.find(f"{{{PODCAST_NS}}}chapters")
        assert chapters is not None and chapters.get("type") == "application/json+chapters"


def test_feed_is_deterministic(config: LibraryConfig, records: list[EpisodeRecord],
                               feed: bytes) -> None:
    again = feed_xml(config, list(reversed(records)), BASE, IMAGE)
    assert again == feed


def test_podcastparser_reads_every_episode(feed: bytes, records: list[EpisodeRecord]) -> None:
    parsed = podcastparser.parse(BASE + "feed.xml", io.BytesIO(feed))
    assert parsed["title"] == "Mat & more"
    assert parsed["cover_url"] == IMAGE
    assert parsed["explicit"] is False
    episodes = parsed["episodes"]
    # podcastparser sorts newest first too; the feed is written in that order.
    assert [e["guid"] for e in episodes] == [r.guid for r in
                                              sorted(records, key=lambda r: -r.number)]
    by_guid = {r.guid: r for r in records}
    for episode in episodes:
        record = by_guid[episode["guid"]]
        assert episode["title"] == record.title
        assert episode["enclosures"] == [{"url": f"{BASE}{record.slug}.mp3",
                                          "file_size": record.mp3_bytes,
                                          "mime_type": "audio/mpeg"}]
        assert episode["total_time"] == round(record.duration)
        assert episode["number"] == record.number
        assert episode["type"] == "full"
        assert episode["link"] == f"{BASE}{record.slug}.html"
        assert episode["published"] == int(record.published.timestamp())
        # podcastparser 0.6.11 reads podcast:chapters/podcast:transcript only under the old
        # GitHub namespace URI, not https://podcastindex.org/namespace/1.0; accept a later
        # version that does.
        if "chapters_json_url" in episode:
            assert episode["chapters_json_url"] == f"{BASE}{record.slug}.chapters.json"
        if "transcript_url" in episode:
            assert episode["transcript_url"] == f"{BASE}{record.slug}.vtt"


def test_feedparser_reads_every_episode(feed: bytes, records: list[EpisodeRecord]) -> None:
    parsed = feedparser.parse(feed)
    assert not parsed.bozo, parsed.get("bozo_exception")
    assert parsed.namespaces["podcast"] == PODCAST_NS
    assert parsed.feed.title == "Mat & more"
    assert parsed.feed.author_detail.name == "Ana Author"
    assert parsed.feed.image.href == IMAGE
    assert parsed.feed.tags[0].term == "Health & Fitness"
    by_guid = {r.guid: r for r in records}
    assert len(parsed.entries) == len(records)
    assert len({e.id for e in parsed.entries}) == len(records)
    for entry in parsed.entries:
        record = by_guid[entry.id]
        assert entry.guidislink is False
        enclosures = [link for link in entry.links if link.rel == "enclosure"]
        assert enclosures == [{"rel": "enclosure", "href": f"{BASE}{record.slug}.mp3",
                               "length": str(record.mp3_bytes), "type": "audio/mpeg"}]
        assert entry.itunes_duration == hhmmss(record.duration)
        assert entry.itunes_episode == str(record.number)
        assert entry.itunes_episodetype == "full"
        assert entry.link == f"{BASE}{record.slug}.html"
        assert entry.published_parsed[:6] == record.published.utctimetuple()[:6]
        # feedparser keeps elements of namespaces it does not know as <prefix>_<name> dicts
        # of their attributes.
        assert entry.podcast_chapters == {"url": f"{BASE}{record.slug}.chapters.json",
                                          "type": "application/json+chapters"}
        # Time-coded, so "captions"; in the show's language.
        assert entry.podcast_transcript == {"url": f"{BASE}{record.slug}.vtt",
                                            "type": "text/vtt", "language": "en-GB",
                                            "rel": "captions"}
        # Podlove Simple Chapters, which feedparser knows.
        stamps = chapter_stamps(record.script)
        assert [(c.start, c.title) for c in entry.psc_chapters.chapters] == [
            (s.npt, s.title) for s in stamps]
        assert stamps[0].npt == "00:00:00.000"
        assert "Focus:" in entry.content[0].value


def test_guids_are_unique_and_stable(config: LibraryConfig, records: list[EpisodeRecord]) -> None:
    first = podcastparser.parse(BASE, io.BytesIO(feed_xml(config, records, BASE, None)))
    # A new episode and a rebuild with new numbers leave every existing GUID as it was.
    grown = [*records, make_record("later", "thunderbolt", number=9, day=9)]
    second = podcastparser.parse(BASE, io.BytesIO(feed_xml(config, grown, BASE, None)))
    old = {e["guid"]: e["enclosures"][0]["url"] for e in first["episodes"]}
    new = {e["guid"]: e["enclosures"][0]["url"] for e in second["episodes"]}
    assert len(new) == len(second["episodes"]) == 4
    assert {guid: new[guid] for guid in old} == old


def test_feed_without_image_or_email(records: list[EpisodeRecord]) -> None:
    plain = LibraryConfig()
    xml = feed_xml(plain, records[:1], "https://example.org", None)
    channel = ElementTree.fromstring(xml).find("channel")
    assert channel is not None
    assert channel.findtext("link") == "https://example.org/"
    assert channel.find("image") is None
    assert b"itunes:owner" not in xml and b"itunes:image" not in xml


def test_feed_rejects_what_directories_reject(config: LibraryConfig,
                                              records: list[EpisodeRecord]) -> None:
    with pytest.raises(ValueError, match="at least one episode"):
        feed_xml(config, [], BASE, None)
    with pytest.raises(ValueError, match=r"\.jpg or \.png"):
        feed_xml(config, records, BASE, "https://example.org/cover.gif")


def test_normalise_base_url() -> None:
    assert normalise_base_url("https://x.org/a") == "https://x.org/a/"
    assert normalise_base_url("https://x.org/a//") == "https://x.org/a/"


def test_feed_escapes_markup(config: LibraryConfig, records: list[EpisodeRecord]) -> None:
    xml = feed_xml(config, [*records, evil_record()], BASE, IMAGE)
    assert b"<script>" not in xml and b"<b>" not in xml
    ElementTree.fromstring(xml)
    parsed = podcastparser.parse(BASE, io.BytesIO(xml))
    evil = next(e for e in parsed["episodes"] if e["guid"].endswith("3"))
    assert evil["title"] == EVIL
    entry = next(e for e in feedparser.parse(xml).entries if e.id.endswith("3"))
    assert entry.title == EVIL
    # The show notes are HTML whose text is the escaped markup: a reader shows it, never runs it.
    notes = entry.content[0].value
    assert str(escape(EVIL_TIP)) in notes
    assert "<script>" not in notes


# --- show notes -------------------------------------------------------------------------------


def test_show_notes_fragment_lists_poses(records: list[EpisodeRecord]) -> None:
    record = records[1]  # thunderbolt: cautions, Sanskrit names, a pose that comes twice
    html = show_notes_html(record)
    assert not html.lstrip().startswith("<!DOCTYPE")
    for focus in record.focus:
        assert focus in html
    # Every chapter on a line of its own, "00:00 Introduction" first (Spotify's chapters).
    lines = re.search(r'<p class="chapter-lines"><strong>Chapters</strong><br>\n(.*?)\n</p>',
                      html, re.S)
    assert lines is not None
    assert [line.removesuffix("<br>") for line in lines.group(1).splitlines()] == [
        f"{stamp(samples_to_seconds(c.start), record.duration)} {escape(c.title)}"
        for c in record.script.chapters]
    assert lines.group(1).startswith("00:00 Introduction<br>")
    at = 0
    for pose in record.poses:  # in order (a pose may come twice)
        at = html.index(f"<strong>{escape(pose.name)}</strong>", at) + 1
    assert "Vajrasana" in html
    for pose in record.poses:
        for text in (*pose.tips, *pose.cautions):
            assert str(escape(text)) in html


def test_show_notes_page_is_a_page(config: LibraryConfig, records: list[EpisodeRecord]) -> None:
    record = records[0]
    page = show_notes_page(record, config)
    assert page.startswith("<!DOCTYPE html>")
    assert '<html lang="en-GB">' in page
    assert f"<h1>{escape(record.title)}</h1>" in page
    assert 'href="post-run.mp3"' in page
    assert clock(record.duration) in page
    assert show_notes_html(record) in page


def test_show_notes_escape_markup(config: LibraryConfig) -> None:
    record = evil_record()
    for html in (show_notes_html(record), show_notes_page(record, config)):
        assert "<script>alert(1)</script>" not in html
        assert "<b>soft</b>" not in html
        assert str(escape(EVIL)) in html
        assert str(escape(EVIL_TIP)) in html


# --- library page -----------------------------------------------------------------------------


def _svgs(page: str) -> list[ElementTree.Element]:
    return [ElementTree.fromstring(svg) for svg in re.findall(r"<svg\b.*?</svg>", page, re.S)]


def test_library_page(config: LibraryConfig, records: list[EpisodeRecord]) -> None:
    page = library_page(config, records, "cover.png")
    assert page.startswith("<!DOCTYPE html>")
    assert '<img src="cover.png"' in page
    assert "Mat &amp; more" in page and "Yoga &lt;for&gt; runners." in page
    # Self-contained: nothing absolute, nothing fetched.
    assert not re.search(r"""(?:src|href)=["'](?:https?:)?//""", page)
    assert "fetch(" not in page and "XMLHttpRequest" not in page
    # In the order given (the library's), not by number or date.
    articles = re.findall(r'<article id="([^"]+)"', page)
    assert articles == ["post-run", "thunderbolt", "post-run-flow"]
    # The level the routine is written for, not the build's default.
    metas = re.findall(r'<p class="meta">([^<]*)</p>', page)[1:]
    assert [m.split(" · ")[2] for m in metas] == ["all levels", "beginner", "all levels"]
    for record in records:
        assert f'<audio controls preload="metadata" src="{record.slug}.mp3"></audio>' in page
        assert f'href="{record.slug}.html"' in page
        for number, chapter in enumerate(record.script.chapters, start=1):
            start = samples_to_seconds(chapter.start)
            assert (f'data-start="{start}"><span class="chapter-no">{number}</span> '
                    f'{clock(start)} {escape(chapter.title)}</button>') in page
        for text in record.script.speech_texts():
            assert str(escape(text)) in page
    assert page.count("<details>") == len(records)


def test_timeline_svg_has_a_band_per_pose(config: LibraryConfig,
                                          records: list[EpisodeRecord]) -> None:
    page = library_page(config, records, None)
    svgs = _svgs(page)
    assert len(svgs) == len(records)
    ns = "{http://www.w3.org/2000/svg}"
    for svg, record in zip(svgs, records, strict=True):
        rects = list(svg.iter(f"{ns}rect"))
        pose_bands = [r for r in rects if r.get("class") == "pose-band"]
        assert len(pose_bands) == sum(c.pose is not None for c in record.script.chapters)
        assert len(pose_bands) == len(record.poses)
        events = [r for r in rects if r.get("class") in ("speech", "silence", "chime")]
        assert len(events) == len(record.script.events)
        assert {r.get("class") for r in events} == {"speech", "silence", "chime"}
        xs = [float(r.get("x", "nan")) for r in pose_bands]
        assert xs == sorted(xs) and all(0 <= x < 1000 for x in xs)
        assert {"right", "left"} & {e.side for e in record.script.events if e.side} == {
            r.get("class", "").removeprefix("side-") for r in rects
            if r.get("class", "").startswith("side-")}


def test_timeline_marks_both_sides(config: LibraryConfig, records: list[EpisodeRecord]) -> None:
    svg = _svgs(library_page(config, records[:1], None))[0]
    ns = "{http://www.w3.org/2000/svg}"
    sides = [r.get("class") for r in svg.iter(f"{ns}rect")
             if r.get("class", "").startswith("side-")]
    two_sided = {c.start for c in records[0].script.chapters for e in records[0].script.events
                 if e.side and c.start <= e.start < c.end}
    assert len(two_sided) > 0
    assert sides == ["side-right", "side-left"] * len(two_sided)


def test_library_page_escapes_markup(config: LibraryConfig, records: list[EpisodeRecord]) -> None:
    evil = evil_record()
    script = evil.script
    first = script.events[next(i for i, e in enumerate(script.events) if e.text)]
    events = tuple(dataclasses.replace(e, text=EVIL) if e is first else e for e in script.events)
    chapters = (dataclasses.replace(script.chapters[0], title=EVIL), *script.chapters[1:])
    evil = dataclasses.replace(evil, script=dataclasses.replace(script, events=events,
                                                                 chapters=chapters))
    page = library_page(config, [*records, evil], None)
    assert "<script>alert(1)</script>" not in page
    assert str(escape(EVIL)) in page
    assert page.count("<script>") == 1  # ours
    _svgs(page)  # still well-formed with markup in its titles


def test_library_page_is_deterministic(config: LibraryConfig, records: list[EpisodeRecord]) -> None:
    assert library_page(config, records, None) == library_page(config, list(records), None)
    reordered = library_page(config, records[::-1], None)
    assert re.findall(r'<article id="([^"]+)"', reordered) == [r.slug for r in records[::-1]]


# --- plain text -------------------------------------------------------------------------------


@pytest.mark.parametrize(("text", "plain"), [
    ("Keep it <b>soft</b> & easy", "Keep it soft & easy"),
    ("<script>alert(1)</script> & \"quotes\"", "alert(1) & \"quotes\""),
    ("a < b, b > a, Q&A, R&D; -> on", "a < b, b > a, Q&A, R&D; -> on"),
    ("Tom &amp; Jerry &lt;3 &#169;", "Tom & Jerry <3 ©"),
    ("&lt;i&gt;no&lt;/i&gt; tags <!-- hidden --> here", "no tags  here"),
    ("&amp;copy; and &amp;lt stay text", "＆copy; and ＆lt stay text"),
    ("an open <tag never closed", "an open ‹tag never closed"),
    ("two\nlines", "two\nlines"),
])
def test_plain_text(text: str, plain: str) -> None:
    assert plain_text(text) == plain


def test_plain_text_reads_the_same_as_html_and_as_text() -> None:
    """What an HTML reader shows of the result is the result itself."""
    from html.parser import HTMLParser

    class Text(HTMLParser):
        def __init__(self) -> None:
            super().__init__(convert_charrefs=True)
            self.shown: list[str] = []
            self.markup = False

        def handle_data(self, data: str) -> None:
            self.shown.append(data)

        def handle_starttag(self, tag: str, attrs: object) -> None:
            self.markup = True

        handle_endtag = handle_comment = handle_decl = handle_starttag  # type: ignore[assignment]

    for text in (EVIL, EVIL_TIP, "a < b &amp;copy; <!--x--> &lt;b&gt;bold&lt;/b&gt; <i", "x&amp;y"):
        parser = Text()
        parser.feed(plain_text(text))
        parser.close()
        assert not parser.markup, text
        assert "".join(parser.shown) == plain_text(text), text


def test_feed_descriptions_are_plain_text(config: LibraryConfig,
                                          records: list[EpisodeRecord]) -> None:
    marked = dataclasses.replace(records[0], description="Hips <b>and</b> &amp; hamstrings")
    xml = feed_xml(config.model_copy(update={"description": "Yoga <i>for</i> runners."}),
                   [marked], BASE, IMAGE)
    channel = ElementTree.fromstring(xml).find("channel")
    assert channel is not None
    itunes = "{http://www.itunes.com/dtds/podcast-1.0.dtd}"
    assert channel.findtext("description") == "Yoga for runners."
    assert channel.findtext(f"{itunes}summary") == "Yoga for runners."
    item = channel.find("item")
    assert item is not None
    assert (item.findtext("description") or "").startswith("Hips and & hamstrings")
    assert item.findtext(f"{itunes}summary", "").startswith("Hips and & hamstrings")


# --- channel tags, chapters for Spotify, the Podcast Index's parser ----------------------------


def _channel(xml: bytes) -> ElementTree.Element:
    channel = ElementTree.fromstring(xml).find("channel")
    assert channel is not None
    return channel


def test_channel_tags_a_modern_host_writes(feed: bytes, records: list[EpisodeRecord]) -> None:
    channel = _channel(feed)
    atom = "{http://www.w3.org/2005/Atom}"
    (self_link,) = channel.findall(f"{atom}link")
    assert self_link.attrib == {"href": f"{BASE}feed.xml", "rel": "self",
                                "type": "application/rss+xml"}
    assert channel.findtext("link") == BASE
    # UUIDv5 of the feed URL without its scheme, unless published.yaml has one.
    assert channel.findtext(f"{{{PODCAST_NS}}}guid") == podcast_guid(f"{BASE}feed.xml")
    locked = channel.find(f"{{{PODCAST_NS}}}locked")
    assert locked is not None and locked.text == "yes"
    assert locked.get("owner") == "ana@example.org"
    # The year of the first episode.
    assert channel.findtext("copyright") == "© 2025 Ana Author"


def test_the_podcast_guid_and_copyright_can_be_given(config: LibraryConfig,
                                                     records: list[EpisodeRecord]) -> None:
    show = podcast_guid("https://old-host.example/feed")
    xml = feed_xml(config.model_copy(update={"copyright": "CC BY 4.0 Ana"}), records, BASE,
                   None, show)
    channel = _channel(xml)
    assert channel.findtext(f"{{{PODCAST_NS}}}guid") == show
    assert channel.findtext("copyright") == "CC BY 4.0 Ana"


def test_no_owner_and_no_lock_without_an_email(records: list[EpisodeRecord]) -> None:
    xml = feed_xml(LibraryConfig(), records, BASE, None)
    channel = _channel(xml)
    assert channel.find(f"{{{PODCAST_NS}}}locked") is None
    assert b"itunes:owner" not in xml
    assert channel.findtext(f"{{{PODCAST_NS}}}guid") == podcast_guid(f"{BASE}feed.xml")


def test_a_feed_needs_every_guid(config: LibraryConfig, records: list[EpisodeRecord]) -> None:
    with pytest.raises(ValueError, match="GUID"):
        feed_xml(config, [dataclasses.replace(records[0], guid="")], BASE, None)


def test_descriptions_carry_chapter_lines_spotify_reads(feed: bytes,
                                                        records: list[EpisodeRecord]) -> None:
    """Spotify's rules: the first at 00:00, at least three, one per line, "{timestamp} {title}",
    in time order, titles under 40 characters."""
    by_guid = {r.guid: r for r in records}
    for item in _channel(feed).iter("item"):
        record = by_guid[item.findtext("guid") or ""]
        text = item.findtext("description") or ""
        assert text == description_text(record)
        assert text.startswith(plain_text(record.description))
        lines = [line for line in text.splitlines() if re.match(r"\d\d:\d\d(:\d\d)? ", line)]
        assert len(lines) == len(record.script.chapters) >= 3
        assert lines[0] == "00:00 Introduction"
        stamps = [line.split(" ", 1)[0] for line in lines]
        assert stamps == sorted(stamps)
        assert all(len(line.split(" ", 1)[1]) <= TITLE_LIMIT for line in lines)
        psc = item.find(f"{{{PSC_NS}}}chapters")
        assert psc is not None and psc.get("version") == "1.2"
        assert [c.get("title") for c in psc] == [line.split(" ", 1)[1] for line in lines]


def test_long_chapter_titles_are_cut_at_a_word() -> None:
    long = "Extended side angle with a bind and the top arm overhead, slowly"
    short = short_title(long)
    assert len(short) <= TITLE_LIMIT and short.endswith("…")
    assert short == "Extended side angle with a bind and…"
    assert short_title("Forward fold") == "Forward fold"
    assert short_title("x" * 60) == "x" * 39 + "…"
    assert short_title("  spaced\n  out ") == "spaced out"


def test_the_podcast_index_parser_reads_the_feed(feed: bytes, records: list[EpisodeRecord],
                                                 tmp_path: Path) -> None:
    """podcast-partytime, the parser the Podcast Index runs, under node (skipped without)."""
    path = tmp_path / "feed.xml"
    path.write_bytes(feed)
    parsed = run_node("partytime.cjs", path)
    assert parsed["warnings"] == []
    show = parsed["feed"]
    assert show["title"] == "Mat & more"
    assert show["guid"] == podcast_guid(f"{BASE}feed.xml")
    assert show["locked"] is True and show["podcastOwner"] == "ana@example.org"
    assert show["pc20support"] == {"1": ["locked", "transcript", "chapters"], "3": ["guid"]}
    assert show["owner"] == {"name": "Ana Author", "email": "ana@example.org"}
    assert show["pubsub"]["self"] == f"{BASE}feed.xml"
    assert show["copyright"] == "© 2025 Ana Author"
    by_guid = {r.guid: r for r in records}
    assert sorted(item["guid"] for item in show["items"]) == sorted(by_guid)
    for item in show["items"]:
        record = by_guid[item["guid"]]
        assert item["enclosure"]["url"] == f"{BASE}{record.slug}.mp3"
        assert item["duration"] == whole_seconds(record.duration)
        assert item["podcastChapters"] == {"url": f"{BASE}{record.slug}.chapters.json",
                                           "type": "application/json+chapters"}
        assert item["podcastTranscripts"] == [{"url": f"{BASE}{record.slug}.vtt",
                                               "type": "text/vtt", "language": "en-GB",
                                               "rel": "captions"}]


def test_episode_guids_in_a_published_feed_are_derived(config: LibraryConfig) -> None:
    show = podcast_guid(f"{BASE}feed.xml")
    record = make_record("post-run", guid=episode_guid(show, "post-run"))
    parsed = feedparser.parse(feed_xml(config, [record], BASE, None, show))
    assert parsed.entries[0].id == episode_guid(show, "post-run")


def test_timeline_labels_are_whole_titles_or_numbers(records: list[EpisodeRecord]) -> None:
    for record in records:
        bands = timeline(record.script).bands
        for number, band in enumerate(bands, start=1):
            assert band.number == number and len(band.labels) == 3
            assert all(label in ("", band.title, str(number)) for label in band.labels)
            # A wider layout never shows less than a narrower one.
            ranks = [("", str(number), band.title).index(label) for label in band.labels]
            assert ranks == sorted(ranks)
        assert any(band.labels[0] for band in bands)
