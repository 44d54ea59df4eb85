"""The library page in a real headless browser: opened from disk, players load real MP3s, chapter
buttons seek their own episode's player, and nothing is logged as an error.

Uses Playwright driving Debian's chromium (Playwright's own browsers cannot be downloaded here).
"""

from __future__ import annotations

import itertools
import os
import shutil
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import numpy as np
import pytest
from PIL import Image
from test_publish import make_record

from matcast import Style
from matcast.audio.ffmpeg import encode_mp3
from matcast.cues import SAMPLE_RATE, samples_to_seconds
from matcast.publish.page import library_page
from matcast.publish.records import EpisodeRecord
from matcast.routine.library_config import LibraryConfig

sync_api = pytest.importorskip(
    "playwright.sync_api", reason="playwright is not installed (pip install playwright)")

AUDIO_SECONDS = 90
CHROMIUM_ARGS = ["--no-sandbox", "--disable-gpu", "--disable-background-networking",
                 "--disable-component-update", "--disable-sync", "--no-first-run",
                 "--mute-audio"]


def quiet_tone(path: Path, hz: float) -> int:
    """A real, quiet ``AUDIO_SECONDS`` MP3; returns its size."""
    t = np.arange(AUDIO_SECONDS * SAMPLE_RATE) / SAMPLE_RATE
    encode_mp3(np.round(600 * np.sin(2 * np.pi * hz * t)).astype(np.int16), SAMPLE_RATE, path)
    return path.stat().st_size


@pytest.fixture(scope="module")
def site(tmp_path_factory: pytest.TempPathFactory) -> tuple[Path, list[EpisodeRecord]]:
    out = tmp_path_factory.mktemp("site")
    records = []
    for number, (slug, routine, hz) in enumerate(
            [("thunderbolt", "thunderbolt", 220.0), ("post-run", "post-run", 330.0)], start=1):
        size = quiet_tone(out / f"{slug}.mp3", hz)
        records.append(make_record(slug, routine, number=number, day=number, mp3_bytes=size))
    Image.new("RGB", (64, 64), (47, 127, 115)).save(out / "cover.png")
    config = LibraryConfig(title="Browser & test", description="Two <real> players.")
    (out / "index.html").write_text(library_page(config, records, "cover.png"), encoding="utf-8")
    return out, records


@pytest.fixture(scope="module")
def browser() -> Iterator[Any]:
    executable = shutil.which("chromium")
    if executable is None:
        reason = "Debian's chromium is not installed (apt-get install chromium)"
        if os.environ.get("CI"):
            pytest.fail(f"{reason}: CI must run the browser tests (scripts/test.sh installs it)")
        pytest.skip(reason)
    with sync_api.sync_playwright() as p:
        browser = p.chromium.launch(executable_path=executable, args=CHROMIUM_ARGS)
        try:
            yield browser
        finally:
            browser.close()


def _chapter_after(record: EpisodeRecord, low: float, high: float) -> float:
    """The start of a chapter well after 0 and inside the test audio."""
    starts = [samples_to_seconds(c.start) for c in record.script.chapters]
    return next(s for s in starts if low < s < high)


def test_library_page_plays_and_seeks(browser: Any,
                                      site: tuple[Path, list[EpisodeRecord]]) -> None:
    # The browser comes first so that a missing chromium skips before any MP3 is encoded.
    out, records = site
    page = browser.new_page()
    errors: list[str] = []
    page.on("console", lambda msg: errors.append(msg.text) if msg.type == "error" else None)
    page.on("pageerror", lambda exc: errors.append(str(exc)))
    # A media element aborts its own loads once it has what it needs (preload="metadata", seeks);
    # any other failure (a missing file, a blocked request) is a broken page.
    page.on("requestfailed", lambda req: None if req.failure == "net::ERR_ABORTED"
            else errors.append(f"request failed: {req.url} {req.failure}"))
    try:
        page.goto((out / "index.html").as_uri())
        articles = page.locator("article[data-episode]")
        assert articles.count() == len(records)
        for i in range(len(records)):
            assert articles.nth(i).locator("audio").count() == 1
        # In the library's order: thunderbolt, then post-run.
        shown = records
        page.wait_for_function(
            "() => [...document.querySelectorAll('audio')].every(a => a.readyState >= 1)",
            timeout=10_000)
        durations = page.eval_on_selector_all("audio", "els => els.map(a => a.duration)")
        assert durations == [pytest.approx(AUDIO_SECONDS, abs=0.2)] * len(records)
        assert page.eval_on_selector("header img", "img => img.naturalWidth") == 64

        def current_times() -> list[float]:
            return page.eval_on_selector_all("audio", "els => els.map(a => a.currentTime)")

        # A chapter of the second episode moves its player, and only its player.
        second = _chapter_after(shown[1], 10, AUDIO_SECONDS - 20)
        articles.nth(1).locator(f'.chapters button[data-start="{second}"]').click()
        times = current_times()
        assert times[0] == 0
        assert times[1] == pytest.approx(second, abs=0.5)

        first = _chapter_after(shown[0], 10, AUDIO_SECONDS - 20)
        articles.nth(0).locator(f'.chapters button[data-start="{first}"]').click()
        assert current_times()[0] == pytest.approx(first, abs=0.5)

        # The pose bands of the timeline seek too.
        band = articles.nth(1).locator(f'svg g.seek[data-start="{second}"]')
        page.evaluate("document.querySelectorAll('audio')[1].currentTime = 0")
        band.click()
        assert current_times()[1] == pytest.approx(second, abs=0.5)
        page.wait_for_timeout(300)  # let timeupdate move the playhead and any late error arrive
        assert errors == []
    finally:
        page.close()


LABELS = """() => [...document.querySelectorAll('.timeline')].map((timeline) => {
  const box = timeline.getBoundingClientRect();
  const shown = (selector) => [...timeline.querySelectorAll(selector)]
    .filter((el) => el.checkVisibility());
  const info = (el) => {
    const r = el.getBoundingClientRect();
    return {text: el.textContent, chapter: el.dataset.chapter || null,
            font: parseFloat(getComputedStyle(el).fontSize), height: r.height,
            left: r.left, right: r.right, clipped: el.scrollWidth > el.clientWidth};
  };
  return {width: box.width, left: box.left, right: box.right,
          bands: shown('.tl-band').map(info), sides: shown('.tl-side').map(info),
          ticks: shown('.tl-tick').map(info),
          titles: [...timeline.querySelectorAll('.seek title')].map((t) => t.textContent)};
})"""


@pytest.mark.parametrize("width", [390, 1280])
def test_timeline_labels_are_readable(browser: Any, site: tuple[Path, list[EpisodeRecord]],
                                      width: int) -> None:
    """At phone width (390 px) and on a desktop: every label shown is at least 11 px tall, is
    not cut off, and is a chapter's whole title or its number; the axis labels stay inside the
    timeline and apart. A hold and a flow session, whose chapters are short."""
    out, _ = site
    records = [make_record("post-run", number=1), make_record("post-run-flow", number=2,
                                                              style=Style.flow),
               make_record("thunderbolt", "thunderbolt", number=3)]
    page_file = out / "labels.html"
    page_file.write_text(library_page(LibraryConfig(), records, None), encoding="utf-8")
    page = browser.new_page(viewport={"width": width, "height": 900})
    try:
        page.goto(page_file.as_uri())
        timelines = page.evaluate(LABELS)
        assert len(timelines) == len(records)
        for timeline, record in zip(timelines, records, strict=True):
            titles = [c.title for c in record.script.chapters]
            assert timeline["width"] >= 300
            assert timeline["bands"], f"no chapter label at all at {width} px"
            for label in [*timeline["bands"], *timeline["sides"], *timeline["ticks"]]:
                assert label["font"] >= 11 and label["height"] >= 11, label
                assert not label["clipped"], label
                assert not label["text"].endswith("…"), label
            for label in timeline["bands"]:
                number = int(label["chapter"])
                assert label["text"] in (titles[number - 1], str(number)), label
            for label in timeline["sides"]:
                assert label["text"] in ("R", "L")
            ticks = timeline["ticks"]
            assert len(ticks) >= 3 and ticks[0]["text"] == "0:00"
            for tick in ticks:
                assert timeline["left"] - 0.5 <= tick["left"] < tick["right"] <= (
                    timeline["right"] + 0.5), tick
            for before, after in itertools.pairwise(ticks):
                assert before["right"] + 4 <= after["left"], (before, after)
        # The chapter list is numbered like the bands.
        first = page.locator("article").first.locator(".chapters button")
        assert first.count() == len(records[0].script.chapters)
        assert first.nth(3).locator(".chapter-no").inner_text() == "4"
        # The routine's level, not the build's default.
        assert "beginner" in page.locator("article").nth(2).locator(".meta").inner_text()
        if width >= 1000:
            # On a desktop the flow's long final relaxation is named in full.
            flow = timelines[1]["bands"]
            assert "Final relaxation" in [label["text"] for label in flow]
    finally:
        page.close()
