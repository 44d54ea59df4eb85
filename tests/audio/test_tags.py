"""ID3 chapters in time order: read back in file order with mutagen and with ffmpeg.

mutagen sorts frames by size when it saves; chapters whose titles grow shorter along the session
come out reversed unless write_tags puts them back in order. A short real MP3 is enough.
"""

from __future__ import annotations

import re
import subprocess
from pathlib import Path

import numpy as np
import pytest
from mutagen.id3 import ID3

from matcast.audio.ffmpeg import encode_mp3, ffmpeg_exe
from matcast.audio.tags import EpisodeTags, read_tags, write_tags
from matcast.cues import SAMPLE_RATE, Chapter

SECONDS = 28
# Long titles first, so mutagen's size order is the opposite of time order; two equal lengths.
TITLES = ["Introduction to the practice, slowly", "Extended side angle", "Downward dog",
          "Forward fold", "High lunge", "Tree pose", "Bridge", "Closing", "Rest", "End"]


@pytest.fixture(scope="module")
def tagged(tmp_path_factory: pytest.TempPathFactory) -> tuple[Path, list[Chapter]]:
    path = tmp_path_factory.mktemp("tags") / "session.mp3"
    encode_mp3(np.zeros(SECONDS * SAMPLE_RATE, dtype=np.int16), SAMPLE_RATE, path)
    step = SECONDS * SAMPLE_RATE // len(TITLES)
    chapters = [Chapter(title, i * step, (i + 1) * step if i + 1 < len(TITLES)
                        else SECONDS * SAMPLE_RATE)
                for i, title in enumerate(TITLES)]
    tags = EpisodeTags(title="Order", artist="matcast", album="Tests", track=1, genre="Podcast",
                       year=2025, description="Chapters in order.", cover=b"\x89PNG fake",
                       cover_mime="image/png")
    write_tags(path, tags, chapters, SECONDS * SAMPLE_RATE)
    return path, chapters


def test_mutagen_reads_the_chapter_frames_in_time_order(
        tagged: tuple[Path, list[Chapter]]) -> None:
    path, chapters = tagged
    frames = ID3(path).getall("CHAP")  # in the order they are stored in the file
    assert [f.sub_frames["TIT2"].text[0] for f in frames] == TITLES
    starts = [f.start_time for f in frames]
    assert starts == sorted(starts) == [round(c.start * 1000 / SAMPLE_RATE) for c in chapters]
    assert [f.element_id for f in frames] == [f"chp{i}" for i in range(len(TITLES))]


def test_frames_keep_their_contents(tagged: tuple[Path, list[Chapter]]) -> None:
    path, _ = tagged
    tags = read_tags(path)
    assert tags["version"] == (2, 3, 0)
    assert (tags["title"], tags["album"], tags["track"]) == ("Order", "Tests", "1")
    assert tags["cover"] == b"\x89PNG fake" and tags["description"] == "Chapters in order."
    assert [c[0] for c in tags["chapters"]] == TITLES
    assert tags["toc"]["children"] == [f"chp{i}" for i in range(len(TITLES))]
    # The table of contents comes before the chapters, the picture after them.
    keys = list(ID3(path).keys())
    assert keys.index("CTOC:toc") < keys.index("CHAP:chp0")
    assert keys.index("CHAP:chp9") < keys.index("APIC:Cover")


def test_ffmpeg_lists_the_chapters_in_time_order(tagged: tuple[Path, list[Chapter]]) -> None:
    path, _ = tagged
    result = subprocess.run([ffmpeg_exe(), "-hide_banner", "-nostdin", "-i", str(path),
                             "-f", "ffmetadata", "-"], capture_output=True, text=True,
                            check=True, timeout=60)
    sections = result.stdout.split("[CHAPTER]")[1:]
    assert [re.search(r"^title=(.*)$", s, re.M).group(1) for s in sections] == TITLES  # type: ignore[union-attr]
    starts = [int(re.search(r"^START=(\d+)$", s, re.M).group(1)) for s in sections]  # type: ignore[union-attr]
    assert starts == sorted(starts)
