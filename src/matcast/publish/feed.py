"""The podcast feed: RSS 2.0 with the iTunes, Podcasting 2.0 and Podlove Simple Chapters
namespaces, written by feedgen.

feedgen writes the RSS and iTunes elements (``atom:link rel="self"`` included);
:class:`PodcastIndexExtension` adds the ``podcast:`` ones of the channel (guid, locked) and of
each item (chapters, transcript), and :class:`SimpleChaptersExtension` each item's
``psc:chapters``. The output depends only on the input: lastBuildDate is the newest episode's
date, never the clock, so an unchanged library rebuilds to the same bytes.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Sequence

from feedgen.ext.base import BaseEntryExtension, BaseExtension
from feedgen.feed import FeedGenerator
from feedgen.util import xml_elem
from lxml import etree

from matcast.publish.chapters import CHAPTERS_MIME, ChapterStamp, chapter_stamps
from matcast.publish.clock import hhmmss
from matcast.publish.files import FEED
from matcast.publish.history import podcast_guid
from matcast.publish.notes import show_notes_html
from matcast.publish.plain import plain_text
from matcast.publish.records import EpisodeRecord
from matcast.routine.library_config import LibraryConfig

PODCAST_NS = "https://podcastindex.org/namespace/1.0"
ITUNES_NS = "http://www.itunes.com/dtds/podcast-1.0.dtd"
PSC_NS = "http://podlove.org/simple-chapters"
PSC_VERSION = "1.2"
TRANSCRIPT_MIME = "text/vtt"


class PodcastIndexExtension(BaseExtension):
    """Channel side of the Podcasting 2.0 namespace: ``podcast:guid`` and ``podcast:locked``."""

    def __init__(self) -> None:
        self._guid: str | None = None
        self._owner: str | None = None

    def extend_ns(self) -> dict[str, str]:
        return {"podcast": PODCAST_NS}

    def guid(self, value: str) -> None:
        self._guid = value

    def locked(self, owner: str) -> None:
        """Lock the feed against imports by other hosts; ``owner`` is the e-mail that can
        unlock it."""
        self._owner = owner

    def extend_rss(self, feed: etree._Element) -> etree._Element:
        channel = feed[0]
        if self._guid is not None:
            xml_elem(f"{{{PODCAST_NS}}}guid", channel).text = self._guid
        if self._owner is not None:
            xml_elem(f"{{{PODCAST_NS}}}locked", channel, owner=self._owner).text = "yes"
        return feed


class PodcastIndexEntryExtension(BaseEntryExtension):
    """Item side of the Podcasting 2.0 namespace: ``podcast:chapters``, ``podcast:transcript``."""

    def __init__(self) -> None:
        self._chapters: tuple[str, str] | None = None
        self._transcripts: list[dict[str, str]] = []

    def chapters(self, url: str, mime: str = CHAPTERS_MIME) -> None:
        self._chapters = (url, mime)

    def transcript(self, url: str, mime: str, language: str | None = None,
                   rel: str | None = None) -> None:
        """A transcript; ``rel="captions"`` marks a time-coded one (WebVTT, SRT)."""
        attributes = {"url": url, "type": mime}
        if language:
            attributes["language"] = language
        if rel:
            attributes["rel"] = rel
        self._transcripts.append(attributes)

    def extend_rss(self, entry: etree._Element) -> etree._Element:
        if self._chapters is not None:
            url, mime = self._chapters
            xml_elem(f"{{{PODCAST_NS}}}chapters", entry, url=url, type=mime)
        for attributes in self._transcripts:
            xml_elem(f"{{{PODCAST_NS}}}transcript", entry, **attributes)
        return entry


class SimpleChaptersExtension(BaseExtension):
    """Declares the ``psc:`` prefix of Podlove Simple Chapters."""

    def extend_ns(self) -> dict[str, str]:
        return {"psc": PSC_NS}


class SimpleChaptersEntryExtension(BaseEntryExtension):
    """``<psc:chapters>``: the chapters Spotify reads from a feed."""

    def __init__(self) -> None:
        self._chapters: list[ChapterStamp] = []

    def chapters(self, chapters: Sequence[ChapterStamp]) -> None:
        self._chapters = list(chapters)

    def extend_rss(self, entry: etree._Element) -> etree._Element:
        if self._chapters:
            group = xml_elem(f"{{{PSC_NS}}}chapters", entry, version=PSC_VERSION)
            for chapter in self._chapters:
                xml_elem(f"{{{PSC_NS}}}chapter", group, start=chapter.npt, title=chapter.title)
        return entry


class ItunesExplicitExtension(BaseExtension):
    """``<itunes:explicit>false</itunes:explicit>``, the value Apple asks for today.

    feedgen's podcast extension only accepts the older yes/no/clean.
    """

    def extend_rss(self, feed: etree._Element) -> etree._Element:
        xml_elem(f"{{{ITUNES_NS}}}explicit", feed[0]).text = "false"
        return feed


def newest_first(records: Sequence[EpisodeRecord]) -> list[EpisodeRecord]:
    """Episodes in the order a podcast lists them; the number breaks ties between equal dates."""
    return sorted(records, key=lambda r: (_utc(r.published), r.number), reverse=True)


def normalise_base_url(base_url: str) -> str:
    """The base URL with exactly one trailing slash, so ``base + name`` is a file in it."""
    return base_url.rstrip("/") + "/"


def feed_url(base_url: str) -> str:
    """Where the feed itself will be: its ``atom:link rel="self"``, and the seed of the
    podcast's GUID."""
    return normalise_base_url(base_url) + FEED


def copyright_line(config: LibraryConfig, records: Sequence[EpisodeRecord]) -> str:
    """``copyright:`` from library.yaml, else "© <year of the first episode> <author>"."""
    if config.copyright:
        return config.copyright
    first = min((_utc(r.published) for r in records), default=None)
    return f"© {first.year} {config.author}" if first else f"© {config.author}"


def description_text(record: EpisodeRecord) -> str:
    """The item's plain-text description: the routine's description, then one line per chapter,
    ``00:00 Introduction``, the form Spotify turns into chapters."""
    lines = [f"{c.stamp} {c.title}" for c in chapter_stamps(record.script)]
    text = plain_text(record.description or record.title)
    return text + ("\n\nChapters:\n" + "\n".join(lines) if lines else "")


def _utc(when: dt.datetime) -> dt.datetime:
    # Records are documented as UTC; a naive one is taken at its word (feedgen rejects naive).
    return when.replace(tzinfo=dt.UTC) if when.tzinfo is None else when


def feed_xml(config: LibraryConfig, records: Sequence[EpisodeRecord], base_url: str,
             image_url: str | None, show_guid: str | None = None) -> bytes:
    """The feed document (UTF-8 bytes). ``show_guid`` is the podcast's GUID (published.yaml's;
    default: made from the feed URL). Raises ValueError for an empty library, an episode with
    no GUID, or a cover URL that is not .jpg or .png (podcast directories accept nothing else).
    """
    if not records:
        raise ValueError("a podcast feed needs at least one episode")
    if image_url is not None and not image_url.endswith((".jpg", ".png")):
        # feedgen would drop such an itunes:image without a word.
        raise ValueError(f"the podcast image must be a .jpg or .png URL, got {image_url!r}")
    if any(not r.guid for r in records):
        raise ValueError("every episode of a feed needs a GUID")
    base = normalise_base_url(base_url)
    episodes = newest_first(records)

    fg = FeedGenerator()
    fg.load_extension("podcast")
    fg.register_extension("podcastindex", PodcastIndexExtension, PodcastIndexEntryExtension)
    fg.register_extension("psc", SimpleChaptersExtension, SimpleChaptersEntryExtension)
    fg.register_extension("itunes_explicit", ItunesExplicitExtension)

    fg.title(config.title)
    fg.description(plain_text(config.description))
    # feedgen takes the channel's <link> from the last link given: the self link goes first.
    fg.link(href=feed_url(base), rel="self", type="application/rss+xml")
    fg.link(href=config.website or base, rel="alternate")
    fg.language(config.language)
    fg.generator("matcast")
    fg.lastBuildDate(_utc(episodes[0].published))
    fg.copyright(copyright_line(config, records))
    fg.podcast.itunes_author(config.author)
    if config.email:
        fg.podcast.itunes_owner(name=config.author, email=config.email)
        fg.podcastindex.locked(config.email)
    fg.podcastindex.guid(show_guid or podcast_guid(feed_url(base)))
    if image_url is not None:
        fg.image(url=image_url, title=config.title, link=config.website or base)
        fg.podcast.itunes_image(image_url)
    fg.podcast.itunes_category("Health & Fitness", "Fitness")
    fg.podcast.itunes_summary(plain_text(config.description))
    fg.podcast.itunes_type("episodic")

    for record in episodes:
        entry = fg.add_entry(order="append")
        entry.title(record.title)
        entry.guid(record.guid, permalink=False)
        entry.link(href=f"{base}{record.slug}.html")
        entry.enclosure(f"{base}{record.slug}.mp3", str(record.mp3_bytes), "audio/mpeg")
        entry.pubDate(_utc(record.published))
        entry.description(description_text(record))
        entry.content(show_notes_html(record))
        entry.podcast.itunes_author(record.author)
        entry.podcast.itunes_duration(hhmmss(record.duration))
        entry.podcast.itunes_episode(record.number)
        entry.podcast.itunes_episode_type("full")
        if record.description:
            entry.podcast.itunes_summary(plain_text(record.description))
        entry.podcastindex.chapters(f"{base}{record.slug}.chapters.json")
        entry.podcastindex.transcript(f"{base}{record.slug}.vtt", TRANSCRIPT_MIME,
                                      config.language, "captions")
        entry.psc.chapters(chapter_stamps(record.script))

    return bytes(fg.rss_str(pretty=True, encoding="UTF-8", xml_declaration=True))
