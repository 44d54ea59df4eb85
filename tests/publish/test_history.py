"""The publication history (published.yaml): derived GUIDs, numbers and dates in library order,
what an older build's manifest hands over, the file's round trip and its errors."""

from __future__ import annotations

import datetime as dt
import subprocess
import sys
from pathlib import Path

import pytest

from matcast.errors import RoutineError
from matcast.publish.history import (
    DATE_STEP,
    Entry,
    History,
    episode_guid,
    episode_numbers,
    load_history,
    podcast_guid,
    record,
    save_history,
)
from matcast.routine.paths import in_library_order

ROOT = Path(__file__).resolve().parents[2]
NOW = dt.datetime(2025, 3, 1, 12, 0, tzinfo=dt.UTC)
FEED = "https://example.org/yoga/feed.xml"


def test_podcast_guid_is_the_podcasting_2_0_uuid5() -> None:
    # The examples of the Podcasting 2.0 namespace's guid tag.
    assert podcast_guid("https://mp3s.nashownotes.com/pc20rss.xml") == (
        "917393e3-1b1e-5cef-ace4-edaa54e1f810")
    assert podcast_guid("https://podnews.net/rss") == "9b024349-ccf0-5f69-a609-6b82873eab3c"
    # The scheme and trailing slashes do not count.
    assert podcast_guid("http://podnews.net/rss//") == podcast_guid("https://podnews.net/rss")


def test_episode_guids_are_derived_and_distinct() -> None:
    show = podcast_guid(FEED)
    guids = {episode_guid(show, slug) for slug in ("post-run", "post-run-flow", "thunderbolt")}
    assert len(guids) == 3
    assert episode_guid(show, "post-run") == episode_guid(show, "post-run")
    assert episode_guid(podcast_guid("https://other.org/feed.xml"), "post-run") not in guids


def test_new_episodes_get_distinct_dates_in_library_order() -> None:
    history = record(History(), [("b", 2), ("a", 1), ("c", 3)], {}, NOW, FEED)
    assert history.podcast_guid == podcast_guid(FEED)
    dates = [history.episodes[s].published for s in ("a", "b", "c")]
    assert dates == [NOW - 2 * DATE_STEP, NOW - DATE_STEP, NOW]
    # A later build dates its new episodes after every earlier one, and keeps the old ones.
    later = record(history, [("a", 1), ("d", 4), ("e", 5)], {}, NOW + dt.timedelta(seconds=30),
                   FEED)
    assert later.episodes["a"] == history.episodes["a"]
    assert later.episodes["d"].published == NOW + DATE_STEP
    assert later.episodes["e"].published == NOW + 2 * DATE_STEP


def test_the_podcast_guid_stays_when_the_feed_moves() -> None:
    history = record(History(), [("a", 1)], {}, NOW, FEED)
    moved = record(history, [("a", 1)], {}, NOW, "https://new-host.example/feed.xml")
    assert moved.podcast_guid == podcast_guid(FEED)
    assert moved.guid("a") == episode_guid(podcast_guid(FEED), "a")
    assert record(History(), [("a", 1)], {}, NOW, None).guid("a") is None


def test_an_older_builds_guids_and_dates_are_taken_over() -> None:
    legacy = {"a": {"number": 4, "published": "2024-05-01T08:00:00+00:00",
                    "guid": "urn:uuid:1b4e28ba-2fa1-4d3b-a3f5-ef19ae3a6e2c"},
              "b": {"number": 2, "published": "2024-05-02T08:00:00"}}
    numbers = episode_numbers(History(), ["a", "b", "c"], legacy)
    assert numbers == {"a": 4, "b": 2, "c": 5}
    history = record(History(), numbers.items(), legacy, NOW, FEED)
    assert history.episodes["a"] == Entry(4, dt.datetime(2024, 5, 1, 8, tzinfo=dt.UTC),
                                          "urn:uuid:1b4e28ba-2fa1-4d3b-a3f5-ef19ae3a6e2c")
    assert history.guid("a") == "urn:uuid:1b4e28ba-2fa1-4d3b-a3f5-ef19ae3a6e2c"
    assert history.guid("b") == episode_guid(history.podcast_guid or "", "b")
    assert history.episodes["c"].published == NOW


def test_numbers_come_from_the_history_first() -> None:
    history = History(None, {"x": Entry(1, NOW), "y": Entry(3, NOW)})
    # A manifest number another episode of the history holds is not reused.
    assert episode_numbers(history, ["z", "y", "w"], {"z": {"number": 3}}) == {
        "z": 4, "y": 3, "w": 5}


def test_library_order() -> None:
    paths = [Path(f"{n}.yaml") for n in ("a", "b", "c", "post-run", "z")]
    assert [p.stem for p in in_library_order(paths, ["post-run", "c"])] == [
        "post-run", "c", "a", "b", "z"]


def test_the_file_round_trips(tmp_path: Path) -> None:
    history = record(History(), [("post-run", 1), ("yes", 2), ("10", 3)],
                     {"post-run": {"published": "2024-01-01T00:00:00Z", "guid": "it's old"}},
                     NOW, FEED)
    assert save_history(tmp_path, history) is True
    assert save_history(tmp_path, history) is False  # unchanged: not rewritten
    text = (tmp_path / "published.yaml").read_text()
    assert text.startswith("# When each episode of this library was first published")
    # Keys YAML would read as a boolean or a number are quoted.
    assert "\n  'yes': {number: 2," in text and "\n  '10': {number: 3," in text
    assert load_history(tmp_path) == history
    assert load_history(tmp_path / "none") == History()


@pytest.mark.parametrize(("text", "message"), [
    ("episodes:\n  a: {number: 1, published: 2025-03-01}\n", "reads as a date"),
    ("episodes:\n  a: {number: 0, published: '2025-03-01T00:00:00Z'}\n",
     "episodes.a.number: expected an episode number from 1"),
    ("episodes:\n  a: {number: 1, published: '2025-03-01T00:00:00'}\n",
     "episodes.a.published: expected a date and time with its zone"),
    ("episodes:\n  a: {number: 1, published: '2025-03-01T00:00:00Z', gid: x}\n",
     "unknown key 'gid'"),
    ("episodes:\n  a: {number: 1, published: '2025-03-01T00:00:00Z'}\n"
     "  b: {number: 1, published: '2025-03-01T00:00:00Z'}\n",
     "episodes.b.number: episode number 1 is also 'a''s"),
    ("podcast_guid: not-a-uuid\n", "podcast_guid: expected a UUID"),
    ("episode: {}\n", "did you mean 'episodes'?"),
    ("<<<<<<< HEAD\nepisodes: {}\n", "invalid YAML"),
])
def test_a_broken_file_is_reported_where_it_is_broken(tmp_path: Path, text: str,
                                                      message: str) -> None:
    (tmp_path / "published.yaml").write_text(text)
    with pytest.raises(RoutineError) as caught:
        load_history(tmp_path)
    assert message in str(caught.value)
    assert f"{tmp_path / 'published.yaml'}:" in str(caught.value)


def test_validate_checks_published_yaml(tmp_path: Path) -> None:
    (tmp_path / "published.yaml").write_text("episodes:\n  a: {number: 1, published: x}\n")
    result = subprocess.run([sys.executable, "-m", "matcast.cli", "validate", str(tmp_path)],
                            capture_output=True, text=True, check=False, cwd=ROOT)
    assert result.returncode == 2
    assert "published.yaml:2:" in result.stderr and "Traceback" not in result.stderr


def test_library_order_names_routines_of_the_library(tmp_path: Path) -> None:
    from matcast.routine.loader import load_library_config

    (tmp_path / "post-run.yaml").write_text("title: x\n")
    (tmp_path / "library.yaml").write_text("order: [post-run, post-rn, post-run]\n")
    with pytest.raises(RoutineError) as caught:
        load_library_config(tmp_path / "library.yaml")
    message = str(caught.value)
    assert "library.yaml:1:" in message and "order[1]: no routine named 'post-rn'" in message
    assert "did you mean 'post-run'?" in message
    assert "order[2]: 'post-run' is listed twice" in message


def test_a_killed_writes_temp_file_is_removed(tmp_path: Path) -> None:
    stale = tmp_path / ".published.yaml.999999999.abcd1234.matcast-tmp"
    stale.write_text("half")
    save_history(tmp_path, record(History(), [("a", 1)], {}, NOW, FEED))
    assert not stale.exists()
    assert sorted(p.name for p in tmp_path.iterdir()) == ["published.yaml"]
