"""A session's sound, made block by block: the voice track, a bed under it, one gain and limiting.

Nothing here holds the whole session. The voice is read from its clips at their events' times
(:class:`~matcast.audio.mixer.VoiceTrack`); a bed is read a block at a time (a generated bed
renders the 48 s blocks it is asked for, a user's file is one loop of the file) and ducked by
:class:`~matcast.audio.bed.Ducking` over the same stretch. A session with a bed is read through
once to measure its loudness and find its peaks (:func:`~matcast.audio.loudness.plan_normalize`),
then again only around the peaks it limits, and once more as the encoder takes it: the same
samples each time, so what is encoded is what was measured.
"""

from __future__ import annotations

from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path

import numpy as np

from matcast.audio.bed import BedKind, BedLoop, Ducking
from matcast.audio.generated_bed import BedPlan
from matcast.audio.levels import LoudnessReport
from matcast.audio.loudness import Normalized, plan_normalize
from matcast.audio.mixer import VoiceTrack, to_int16
from matcast.audio.stream import BLOCK
from matcast.cues import SAMPLE_RATE, CueScript

_CACHED_BLOCKS = 1
"""Generated-bed blocks kept (8 MB each): every pass reads forward, so a read that straddles two
blocks renders the second as the first is done with."""


class GeneratedLayer:
    """A generated bed read a stretch at a time, rendering only the blocks it is asked for."""

    def __init__(self, kind: BedKind, samples: int, seed: int) -> None:
        self.plan = BedPlan(kind, samples, SAMPLE_RATE, seed)
        self._cache: dict[int, np.ndarray] = {}

    def read(self, start: int, stop: int) -> np.ndarray:
        out = np.empty(stop - start, dtype=np.float32)
        size = self.plan.block
        for first in range(start // size * size, stop, size):
            if first not in self._cache:
                while len(self._cache) >= _CACHED_BLOCKS:
                    del self._cache[next(iter(self._cache))]
                self._cache[first] = self.plan.render(first)
            lo, hi = max(start, first), min(stop, first + size)
            out[lo - start:hi - start] = self._cache[first][lo - first:hi - first]
        return out


def bed_layer(kind: str, path: Path | None, samples: int, seed: int) -> GeneratedLayer | BedLoop:
    """The bed ``kind`` (``file`` with ``path``, or a generated kind) for a session."""
    if kind == "file":
        assert path is not None
        return BedLoop(path)
    return GeneratedLayer(BedKind(kind), samples, seed)


@dataclass
class MixSignal:
    """The voice with the ducked bed under it, float mono (a
    :class:`~matcast.audio.stream.Signal`): ``voice + bed * ducking * 10**(level_db/20)``, as
    :func:`~matcast.audio.bed.mix_bed` computes it."""

    voice: VoiceTrack
    layer: GeneratedLayer | BedLoop
    ducking: Ducking
    level_db: float
    channels: int = 1

    @property
    def samples(self) -> int:
        return self.voice.samples

    def read(self, start: int, stop: int) -> np.ndarray:
        # In place where it can be: the same float32 operations, one temporary fewer each.
        out = self.voice.read(start, stop).astype(np.float32)
        out /= np.float32(32768.0)
        part = self.layer.read(start, stop)
        part *= self.ducking.window(start, stop)
        part *= np.float32(10 ** (self.level_db / 20))
        out += part
        return out.reshape(-1, 1)


@dataclass(frozen=True)
class MixedSession:
    """A session with its bed, normalised: a :class:`~matcast.audio.stream.PcmSource`."""

    plan: Normalized | None
    signal: MixSignal

    @property
    def samples(self) -> int:
        return self.signal.samples

    def blocks(self) -> Iterator[np.ndarray]:
        if self.plan is None:  # silence: nothing to level
            for start in range(0, self.samples, BLOCK):
                yield to_int16(self.signal.read(start, min(start + BLOCK, self.samples))[:, 0])
            return
        for block in self.plan.blocks():
            yield to_int16(block[:, 0])


def mix_session(script: CueScript, voice: VoiceTrack, layer: GeneratedLayer | BedLoop,
                level_db: float, target_lufs: float, ceiling_dbtp: float
                ) -> tuple[MixedSession, LoudnessReport]:
    """The session with its bed mixed under it, ducked under every spoken line, and the loudness
    target and true-peak ceiling met again for the mix (a bed adds a little to both); and its
    loudness, with the limiter's ceiling as the bound on its true peak."""
    signal = MixSignal(voice, layer, Ducking(script), level_db)
    plan = plan_normalize(signal, SAMPLE_RATE, target_lufs, ceiling_dbtp)
    lufs = plan.lufs if plan is not None else -np.inf
    return MixedSession(plan, signal), LoudnessReport(lufs, ceiling_dbtp)
