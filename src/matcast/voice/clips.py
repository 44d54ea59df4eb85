"""A build's spoken lines, kept in the utterance cache rather than in memory.

A long session has hundreds of distinct lines (tens of MB); holding them all for the whole build
is what would make its memory grow with its length. :class:`CachedClips` knows each line's key
and length and reads the clip from the cache when it is asked for, keeping the last few.
"""

from __future__ import annotations

import threading
from collections import OrderedDict
from collections.abc import Iterator, Mapping

import numpy as np

from matcast.errors import OutputError
from matcast.voice.cache import UtteranceCache

KEEP_BYTES = 8 << 20
"""Bytes of recently read clips kept in memory (a session's lines recur: breath counts)."""


class CachedClips(Mapping[str, np.ndarray]):
    """text → int16 samples, read from ``cache`` under ``keys`` on demand, in ``keys``' order."""

    def __init__(self, cache: UtteranceCache, keys: Mapping[str, str],
                 lengths: Mapping[str, int]) -> None:
        self.cache = cache
        self._keys = dict(keys)
        self._lengths = dict(lengths)
        self._recent: OrderedDict[str, np.ndarray] = OrderedDict()
        self._bytes = 0
        self._lock = threading.Lock()

    def length(self, text: str) -> int:
        """The clip's length in samples, without reading it."""
        return self._lengths[text]

    def __getitem__(self, text: str) -> np.ndarray:
        with self._lock:
            clip = self._recent.get(text)
            if clip is not None:
                self._recent.move_to_end(text)
                return clip
        clip = self.cache.get(self._keys[text])
        if clip is None or clip.size != self._lengths[text]:
            raise OutputError(
                f"the utterance cache in {self.cache.root} lost the clip of {text!r} during the "
                f"build (another process removed or damaged it); build again")
        clip.setflags(write=False)
        with self._lock:
            self._recent[text] = clip
            self._bytes += clip.nbytes
            while self._bytes > KEEP_BYTES and len(self._recent) > 1:
                _, old = self._recent.popitem(last=False)
                self._bytes -= old.nbytes
        return clip

    def __iter__(self) -> Iterator[str]:
        return iter(self._keys)

    def __len__(self) -> int:
        return len(self._keys)


def joined(first: Mapping[str, np.ndarray], then: Mapping[str, np.ndarray]
           ) -> Mapping[str, np.ndarray]:
    """Both sets of clips (``then``'s win), still unread if both are read from one cache."""
    if not first:
        return then
    if (isinstance(first, CachedClips) and isinstance(then, CachedClips)
            and first.cache.root == then.cache.root):
        return CachedClips(first.cache, {**first._keys, **then._keys},
                           {**first._lengths, **then._lengths})
    return {**first, **then}


def lengths(clips: Mapping[str, np.ndarray]) -> dict[str, int]:
    """Each clip's length in samples (read from a :class:`CachedClips` without reading clips)."""
    if isinstance(clips, CachedClips):
        return dict(clips._lengths)
    return {text: len(clip) for text, clip in clips.items()}
