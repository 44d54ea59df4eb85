"""BS.1770 K-weighting: pyloudnorm's pre-filter, run over a signal a block at a time.

Energies are summed per 100 ms gating step ("segment"); :mod:`matcast.audio.gating` turns them
into a loudness. :class:`Energies` takes a signal in blocks of any size and gives what the whole
array would.
"""

from __future__ import annotations

import numpy as np
from pyloudnorm.iirfilter import IIRfilter
from scipy import signal

from matcast.audio.gating import _STEP_S
from matcast.audio.truepeak import as_2d

_CHANNEL_WEIGHTS = (1.0, 1.0, 1.0, 1.41, 1.41)
"""BS.1770 channel weights: L, R, C, then the surrounds; pyloudnorm allows five channels."""

CHUNK_STEPS = 240
"""Streaming chunk size in 100 ms gating steps (~1 M samples at 44.1 kHz)."""


class KWeighting:
    """pyloudnorm's BS.1770 pre-filter as one second-order-sections filter, run chunk by chunk.

    Energies are summed per 100 ms gating step ("segment"); a 400 ms block is four segments.
    """

    def __init__(self, sample_rate: int, channels: int) -> None:
        if channels > len(_CHANNEL_WEIGHTS):
            raise ValueError(f"BS.1770 loudness supports up to 5 channels, got {channels}")
        # The same stages, parameters and order as pyloudnorm.Meter's "K-weighting" class.
        stages = (
            IIRfilter(4.0, 1 / np.sqrt(2), 1500.0, sample_rate, "high_shelf"),
            IIRfilter(0.0, 0.5, 38.0, sample_rate, "high_pass"),
        )
        self.sos = np.array([np.concatenate([s.b, s.a]) for s in stages])
        self.weights = np.array(_CHANNEL_WEIGHTS[:channels])
        self.channels = channels
        self.seg = round(_STEP_S * sample_rate)

    def initial_state(self, dtype: type = np.float32) -> np.ndarray:
        return np.zeros((self.sos.shape[0], 2, self.channels), dtype=dtype)

    def energies(self, block: np.ndarray, state: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
        """Weighted K-filtered energy per segment of ``block`` (which starts on a segment).

        Filters in the block's precision (float32 is plenty for a loudness reading and twice as
        fast) but sums each segment in float64.
        """
        sos = self.sos.astype(block.dtype, copy=False)
        filtered, state = signal.sosfilt(sos, block, axis=0, zi=state.astype(block.dtype))
        power = np.einsum("ij,ij,j->i", filtered, filtered, self.weights.astype(block.dtype))
        starts = np.arange(0, power.size, self.seg)
        return np.add.reduceat(power, starts, dtype=np.float64), state

    def stream_energies(self, x: np.ndarray) -> np.ndarray:
        energies = Energies(self)
        step = self.seg * CHUNK_STEPS
        for start in range(0, x.shape[0], step):
            energies.feed(x[start:start + step])
        return energies.result()


class Energies:
    """K-weighted segment energies of a signal fed in consecutive blocks of any size (the filter
    runs on whole segments, so the result does not depend on how the signal was cut)."""

    def __init__(self, kw: KWeighting) -> None:
        self.kw = kw
        self.state = kw.initial_state()
        self.parts: list[np.ndarray] = []
        self.rest = np.empty((0, kw.channels), dtype=np.float32)

    def feed(self, block: np.ndarray) -> None:
        block = as_2d(block).astype(np.float32, copy=False)  # read only: no copy needed
        if self.rest.shape[0]:
            block = np.concatenate([self.rest, block])
        whole = block.shape[0] // self.kw.seg * self.kw.seg
        if whole:
            part, self.state = self.kw.energies(block[:whole], self.state)
            self.parts.append(part)
        self.rest = block[whole:].copy()  # not a view keeping the caller's block alive

    def result(self) -> np.ndarray:
        if self.rest.shape[0]:
            part, self.state = self.kw.energies(self.rest, self.state)
            self.parts.append(part)
            self.rest = self.rest[:0]
        return np.concatenate(self.parts) if self.parts else np.zeros(0)
