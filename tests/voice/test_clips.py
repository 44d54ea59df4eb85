"""CachedClips: a build's lines read from the utterance cache when needed, not held."""

from __future__ import annotations

from pathlib import Path

import numpy as np
import pytest

from matcast.errors import OutputError
from matcast.voice.cache import UtteranceCache
from matcast.voice.clips import KEEP_BYTES, CachedClips, joined, lengths


def stored(cache: UtteranceCache, texts: list[str], size: int) -> CachedClips:
    keys, sizes = {}, {}
    for i, text in enumerate(texts):
        keys[text] = cache.key("e", "1", "v", 160, text)
        cache.put(keys[text], np.full(size + i, i + 1, dtype=np.int16))
        sizes[text] = size + i
    return CachedClips(cache, keys, sizes)


def test_clips_are_read_on_demand_and_only_a_few_are_kept(tmp_path: Path) -> None:
    cache = UtteranceCache(tmp_path)
    size = KEEP_BYTES // 2 // 3  # three clips fill the budget
    clips = stored(cache, ["a", "b", "c", "d", "e"], size)
    assert list(clips) == ["a", "b", "c", "d", "e"] and len(clips) == 5
    assert lengths(clips) == {t: size + i for i, t in enumerate("abcde")}
    for i, text in enumerate("abcde"):
        clip = clips[text]
        assert clip.size == size + i and (clip == i + 1).all()
        assert not clip.flags.writeable  # shared: nobody may scale it in place
    assert sum(c.nbytes for c in clips._recent.values()) <= KEEP_BYTES
    assert len(clips._recent) < 5


def test_a_clip_lost_from_the_cache_mid_build_is_a_clear_error(tmp_path: Path) -> None:
    cache = UtteranceCache(tmp_path)
    clips = stored(cache, ["Inhale.", "Exhale."], 1000)
    cache.path(cache.key("e", "1", "v", 160, "Exhale.")).unlink()
    with pytest.raises(OutputError, match=r"lost the clip of 'Exhale\.'.*build again"):
        clips["Exhale."]


def test_rounds_of_clips_join_without_reading_them(tmp_path: Path) -> None:
    cache = UtteranceCache(tmp_path)
    first = stored(cache, ["a", "b"], 100)
    then = stored(cache, ["c"], 200)
    both = joined(first, then)
    assert isinstance(both, CachedClips) and not both._recent
    assert lengths(both) == {"a": 100, "b": 101, "c": 200}
    assert joined({}, then) is then


@pytest.mark.parametrize("where", ["folder", "memory"])
def test_the_first_clip_written_under_a_key_stays(tmp_path: Path, where: str) -> None:
    """Two builds sharing a cache speak the same line (the engines are not bit-exact): the second
    put keeps and returns the first clip, so a build that measured it reads the same clip later."""
    root = str(tmp_path / "cache") if where == "folder" else f"memory://first-wins-{tmp_path.name}"
    cache = UtteranceCache(root)
    key = "a" * 64
    first = np.arange(1000, dtype=np.int16)
    second = np.arange(1003, dtype=np.int16)
    assert np.array_equal(cache.put(key, first), first)
    kept = cache.put(key, second)
    assert np.array_equal(kept, first)
    got = cache.get(key)
    assert got is not None and np.array_equal(got, first)
    if where == "folder":
        assert [p.name for p in (tmp_path / "cache" / "aa").iterdir()] == [f"{key}.wav"]


def test_a_damaged_entry_is_replaced_by_the_next_put(tmp_path: Path) -> None:
    cache = UtteranceCache(tmp_path / "cache")
    key = "b" * 64
    cache.put(key, np.arange(500, dtype=np.int16))
    cache.path(key).write_bytes(b"RIFF broken")
    fresh = np.arange(700, dtype=np.int16)
    assert np.array_equal(cache.put(key, fresh), fresh)
    got = cache.get(key)
    assert got is not None and np.array_equal(got, fresh)
