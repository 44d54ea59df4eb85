"""ID3 tags for the finished MP3: episode metadata, front cover and chapters.

Owns the tag layout podcast apps read: ID3v2.3 (the version every player understands), a front
cover picture (APIC type 3, which pydub's ``cover=`` does not write), one CHAP frame per chapter
and a top-level ordered CTOC listing them. Written with mutagen, in place, into the file the
exporter hands over (a temp file it renames afterwards).

mutagen stores frames in an order of its own (by size), which jumbles the chapters for ffmpeg and
every reader that lists CHAP frames in file order; :func:`write_tags` puts the table of contents
and the chapters in time order after it has saved.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from mutagen import MutagenError
from mutagen.id3 import (
    APIC,
    CHAP,
    COMM,
    CTOC,
    ID3,
    TALB,
    TCON,
    TIT2,
    TLEN,
    TPE1,
    TRCK,
    TYER,
    CTOCFlags,
    Encoding,
    ID3NoHeaderError,
    PictureType,
)

from matcast.cues import SAMPLE_RATE, Chapter
from matcast.errors import OutputError

TOC_ID = "toc"
"""Element id of the table of contents."""

TOC_TITLE = "Chapters"

_NO_OFFSET = 0xFFFFFFFF
"""CHAP byte offsets: "not given", so players go by the times."""


@dataclass(frozen=True)
class EpisodeTags:
    """What a podcast app shows for one session."""

    title: str
    """The episode title (TIT2)."""
    artist: str
    """Who made it (TPE1)."""
    album: str
    """The show or series (TALB)."""
    track: int | None
    """Episode number (TRCK), if any."""
    genre: str
    """TCON, e.g. "Podcast"."""
    year: int | None
    """TYER."""
    description: str | None
    """Show notes in short (COMM)."""
    cover: bytes | None
    """Front cover image bytes (APIC type 3)."""
    cover_mime: str = "image/png"
    """The cover's type: image/png or image/jpeg."""


def samples_to_ms(samples: int) -> int:
    """A sample count at :data:`SAMPLE_RATE` in whole milliseconds, as CHAP frames store time."""
    return round(samples * 1000 / SAMPLE_RATE)


def write_tags(
    mp3_path: Path, tags: EpisodeTags, chapters: Sequence[Chapter], duration_samples: int
) -> None:
    """Replace the ID3 tag of ``mp3_path`` with ``tags`` and ``chapters`` (ID3v2.3).

    Chapters must be in order, non-overlapping and inside ``[0, duration_samples]``; a chapter
    list that is not is a bug upstream and raises ValueError. Failing to write raises OutputError.
    """
    _check_chapters(chapters, duration_samples)
    # UTF-16 is the one Unicode encoding ID3v2.3 has; mutagen would convert UTF-8 anyway.
    enc = Encoding.UTF16
    id3 = ID3()
    id3.add(TIT2(encoding=enc, text=[tags.title]))
    id3.add(TPE1(encoding=enc, text=[tags.artist]))
    id3.add(TALB(encoding=enc, text=[tags.album]))
    id3.add(TCON(encoding=enc, text=[tags.genre]))
    if tags.track is not None:
        id3.add(TRCK(encoding=Encoding.LATIN1, text=[str(tags.track)]))
    if tags.year is not None:
        id3.add(TYER(encoding=Encoding.LATIN1, text=[str(tags.year)]))
    if tags.description:
        id3.add(COMM(encoding=enc, lang="eng", desc="", text=[tags.description]))
    id3.add(TLEN(encoding=Encoding.LATIN1, text=[str(samples_to_ms(duration_samples))]))
    if tags.cover is not None:
        id3.add(APIC(encoding=Encoding.LATIN1, mime=tags.cover_mime,
                     type=PictureType.COVER_FRONT, desc="Cover", data=tags.cover))
    ids = [f"chp{i}" for i in range(len(chapters))]
    for element_id, chapter in zip(ids, chapters, strict=True):
        id3.add(CHAP(
            element_id=element_id,
            start_time=samples_to_ms(chapter.start),
            end_time=samples_to_ms(chapter.end),
            start_offset=_NO_OFFSET,
            end_offset=_NO_OFFSET,
            sub_frames=[TIT2(encoding=enc, text=[chapter.title])],
        ))
    if chapters:
        id3.add(CTOC(
            element_id=TOC_ID,
            flags=CTOCFlags.TOP_LEVEL | CTOCFlags.ORDERED,
            child_element_ids=ids,
            sub_frames=[TIT2(encoding=enc, text=[TOC_TITLE])],
        ))
    try:
        # v1=0: no ID3v1 trailer; it cannot hold chapters or Unicode and only confuses players.
        id3.save(mp3_path, v2_version=3, v1=0)
        _chapters_in_time_order(mp3_path)
    except (MutagenError, OSError) as exc:
        raise OutputError(f"cannot write tags to {mp3_path}: {exc}") from exc


def _chapters_in_time_order(mp3_path: Path) -> None:
    """Reorder the frames of the ID3v2.3 tag mutagen just wrote, in place and to the same length:
    text frames first (in mutagen's order), then the CTOC, the CHAP frames by start time, and the
    pictures last. Only the frame list moves; every frame keeps its bytes."""
    with open(mp3_path, "r+b") as handle:
        header = handle.read(10)
        # mutagen writes v2.3 with no flags: no unsynchronisation, no extended header.
        if header[:3] != b"ID3" or header[3] != 3 or header[5] != 0:
            raise ValueError(f"{mp3_path}: not the plain ID3v2.3 tag write_tags saves")
        # The tag size is "syncsafe": four 7-bit bytes.
        size = (header[6] << 21) | (header[7] << 14) | (header[8] << 7) | header[9]
        body = handle.read(size)
        frames: list[bytes] = []
        pos = 0
        while pos + 10 <= len(body) and body[pos:pos + 4] != b"\0\0\0\0":
            end = pos + 10 + int.from_bytes(body[pos + 4:pos + 8], "big")
            frames.append(body[pos:end])
            pos = end
        if pos > len(body):
            raise ValueError(f"{mp3_path}: a frame runs past the end of the tag")

        def rank(frame: bytes) -> tuple[int, int]:
            match frame[:4]:
                case b"CTOC":
                    return 1, 0
                case b"CHAP":
                    # The body starts with the null-terminated element id, then the start in ms.
                    start = frame.index(b"\0", 10) + 1
                    return 2, int.from_bytes(frame[start:start + 4], "big")
                case b"APIC":
                    return 3, 0
                case _:
                    return 0, 0

        ordered = b"".join(sorted(frames, key=rank))  # stable: equal ranks keep their order
        if ordered != body[:pos]:
            handle.seek(10)
            handle.write(ordered)


def read_tags(mp3_path: Path) -> dict[str, Any]:
    """The tags as plain data, for tests and for checking an export.

    Keys: version (e.g. (2, 3, 0); None without a tag), title, artist, album, track, genre, year,
    length_ms, description, cover_type, cover_mime, cover, chapters (list of (title, start_ms,
    end_ms) in table-of-contents order) and toc (None, or a dict of element_id, top_level,
    ordered, children, title). Text values are strings, as stored.
    """
    try:
        id3 = ID3(mp3_path)
    except ID3NoHeaderError:
        return {"version": None, "chapters": [], "toc": None}
    except (MutagenError, OSError) as exc:
        raise OutputError(f"cannot read tags from {mp3_path}: {exc}") from exc

    def text(frame_id: str) -> str | None:
        frame = id3.get(frame_id)
        return str(frame.text[0]) if frame is not None and frame.text else None

    pictures = id3.getall("APIC")
    comments = id3.getall("COMM")
    # mutagen upgrades v2.3 frames on load: TYER comes back as TDRC.
    year = text("TDRC") or text("TYER")
    toc = None
    tocs = id3.getall("CTOC")
    # mutagen stores frames in its own order; the table of contents (else time) gives the real one.
    rank = {element_id: i for i, element_id in enumerate(tocs[0].child_element_ids)} if tocs else {}
    chaps = sorted(id3.getall("CHAP"), key=lambda c: (rank.get(c.element_id, len(rank)),
                                                      c.start_time))
    chapters = [
        (str(chap.sub_frames["TIT2"].text[0]) if "TIT2" in chap.sub_frames else "",
         chap.start_time, chap.end_time)
        for chap in chaps
    ]
    if tocs:
        frame = tocs[0]
        toc = {
            "element_id": frame.element_id,
            "top_level": bool(frame.flags & CTOCFlags.TOP_LEVEL),
            "ordered": bool(frame.flags & CTOCFlags.ORDERED),
            "children": list(frame.child_element_ids),
            "title": str(frame.sub_frames["TIT2"].text[0]) if "TIT2" in frame.sub_frames else None,
        }
    return {
        "version": id3.version,
        "title": text("TIT2"),
        "artist": text("TPE1"),
        "album": text("TALB"),
        "track": text("TRCK"),
        "genre": text("TCON"),
        "year": year,
        "length_ms": text("TLEN"),
        "description": str(comments[0].text[0]) if comments else None,
        "cover_type": int(pictures[0].type) if pictures else None,
        "cover_mime": pictures[0].mime if pictures else None,
        "cover": bytes(pictures[0].data) if pictures else None,
        "chapters": chapters,
        "toc": toc,
    }


def _check_chapters(chapters: Sequence[Chapter], duration_samples: int) -> None:
    previous_end = 0
    for index, chapter in enumerate(chapters):
        if not previous_end <= chapter.start < chapter.end <= duration_samples:
            raise ValueError(
                f"chapter {index} ({chapter.title!r}) spans [{chapter.start}, {chapter.end}) "
                f"samples: chapters must be ordered, non-empty, non-overlapping and inside "
                f"[0, {duration_samples}]"
            )
        previous_end = chapter.end
