"""Speech synthesis for a build: every distinct line once, from the cache when possible.

Owns the policy that ties an engine to the utterance cache: resolve voice and rate once, look each
line up, render only the misses in one engine session, store what was rendered. The engine's
lifetime belongs to the caller (wrap it in ``contextlib.closing``), so one worker can serve
several routines.
"""

from __future__ import annotations

from collections.abc import Callable, Iterable, Mapping
from concurrent.futures import Future, ThreadPoolExecutor
from dataclasses import dataclass

import numpy as np

from matcast.voice.cache import UtteranceCache
from matcast.voice.clips import CachedClips
from matcast.voice.engine import SpeechEngine

_NONE = np.empty(0, dtype=np.int16)
"""Stands for a clip left in the cache (its length is kept instead)."""


@dataclass
class SynthStats:
    """What a :func:`synthesize` call did, for the CLI's summary."""

    rendered: int
    """Distinct lines the engine spoke."""
    cached: int
    """Distinct lines taken from the cache."""


def synthesize(
    texts: Iterable[str],
    engine: SpeechEngine,
    voice: str | None,
    rate: int | None,
    cache: UtteranceCache | None,
    on_progress: Callable[[int, int], None] | None = None,
    finish: Callable[[np.ndarray], np.ndarray] | None = None,
    finish_id: str = "",
    respell: Callable[[str], str] | None = None,
) -> tuple[Mapping[str, np.ndarray], SynthStats]:
    """Speak each distinct text; return text → int16 mono samples at 44.1 kHz, and stats.

    With a cache, the clips are not held: the mapping (a
    :class:`~matcast.voice.clips.CachedClips`) reads each from the cache when asked for, so a
    long session's lines do not all sit in memory.

    ``voice``/``rate`` of None mean the engine's defaults. ``on_progress(done, total)`` is called
    after each distinct line, cached or rendered. ``finish`` post-processes each newly rendered
    clip before it is cached (the build levels loudness there); ``finish_id`` names that step in
    the cache key, so clips finished differently never mix. Raises
    :class:`~matcast.errors.EngineError` on
    a bad voice or rate before any work, or naming the line that could not be spoken.

    ``respell`` (the library's pronunciation lexicon for this engine) turns each line into what
    the engine is given; the clips are returned under the lines as written, and cached under
    what was spoken, with the engine's own speed setting.
    """
    written = list(dict.fromkeys(texts))
    spoken_as = {text: respell(text) if respell else text for text in written}
    unique = list(dict.fromkeys(spoken_as.values()))
    voice_id, words_per_minute = engine.check(voice, rate)
    total = len(unique)
    clips: dict[str, np.ndarray] = {}
    lengths: dict[str, int] = {}
    keys: dict[str, str] = {}
    if cache is not None:
        version = engine.version() + (f"+{finish_id}" if finish_id else "")
        setting = engine.setting(voice_id, words_per_minute)
        for text in unique:
            keys[text] = cache.key(engine.name, version, voice_id, words_per_minute, text,
                                   setting)
            hit = cache.get(keys[text])
            if hit is not None:
                clips[text] = _NONE  # only its length is kept
                lengths[text] = hit.size
                del hit
                if on_progress is not None:
                    on_progress(len(clips), total)
    cached = len(clips)
    misses = [text for text in unique if text not in clips]

    finished = cached
    pending: dict[str, Future[np.ndarray]] = {}

    def keep(text: str, samples: np.ndarray) -> np.ndarray:
        done = finish(samples) if finish is not None else samples
        if cache is not None:
            # The clip the cache holds: another build may have spoken this line first.
            done = cache.put(keys[text], done)
        return done

    if misses:
        # Finishing (loudness levelling) and caching run on a second thread while the engine's
        # worker process speaks the next line: two cores busy instead of one. A line finished
        # before a later one fails is cached all the same.
        with ThreadPoolExecutor(max_workers=1, thread_name_prefix="matcast-finish") as pool:

            def done(text: str, samples: np.ndarray) -> None:
                nonlocal finished
                # A line that could not be finished or cached (a full disk) stops the build now,
                # not after every other line has been spoken.
                for future in pending.values():
                    error = future.exception() if future.done() else None
                    if error is not None:
                        raise error
                pending[text] = pool.submit(keep, text, samples)
                finished += 1
                if on_progress is not None:
                    on_progress(finished, total)

            engine.render(misses, voice_id, words_per_minute, on_done=done)
            for text in misses:
                clips[text] = pending.pop(text).result()
                lengths[text] = clips[text].size
                if cache is not None:
                    clips[text] = _NONE
    stats = SynthStats(rendered=len(misses), cached=cached)
    # Callers iterate in script order (as written); keep first-use order, not cached-first.
    if cache is not None:
        return CachedClips(cache, {text: keys[spoken_as[text]] for text in written},
                           {text: lengths[spoken_as[text]] for text in written}), stats
    return {text: clips[spoken_as[text]] for text in written}, stats
