"""BS.1770 K-weighting: pyloudnorm's pre-filter, run over a signal a block at a time.

Energies are summed per 100 ms gating step ("segment"); :mod:`matcast.audio.gating` turns them
into a loudness. :class:`Energies` takes a signal in blocks of any size and gives what the whole
array would.
"""

from __future__ import annotations

import numpy as np

from matcast.audio.gating import _STEP_S
from matcast.audio.iir import sosfilt
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
        self.sos = np.array([_high_shelf(4.0, 1 / np.sqrt(2), 1500.0, sample_rate),
                             _high_pass(0.5, 38.0, sample_rate)])
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
        filtered, state = sosfilt(sos, block, state.astype(block.dtype), axis=0)
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


# pyloudnorm's IIRfilter coefficients (RBJ's audio EQ cookbook), computed here with the same
# operations in the same order, so they are equal to the bit (tested): pyloudnorm's module
# imports scipy.signal, which a build otherwise never needs (see matcast.audio.iir).


def _high_shelf(gain_db: float, q: float, fc: float, rate: int) -> np.ndarray:
    """pyloudnorm's ``IIRfilter(gain_db, q, fc, rate, "high_shelf")`` as one SOS row."""
    a = 10 ** (gain_db / 40.0)
    w0 = 2.0 * np.pi * (fc / rate)
    alpha = np.sin(w0) / (2.0 * q)
    cos, root = np.cos(w0), np.sqrt(a)
    b0 = a * ((a + 1) + (a - 1) * cos + 2 * root * alpha)
    b1 = -2 * a * ((a - 1) + (a + 1) * cos)
    b2 = a * ((a + 1) + (a - 1) * cos - 2 * root * alpha)
    a0 = (a + 1) - (a - 1) * cos + 2 * root * alpha
    a1 = 2 * ((a - 1) - (a + 1) * cos)
    a2 = (a + 1) - (a - 1) * cos - 2 * root * alpha
    return _row(b0, b1, b2, a0, a1, a2)


def _high_pass(q: float, fc: float, rate: int) -> np.ndarray:
    """pyloudnorm's ``IIRfilter(0.0, q, fc, rate, "high_pass")`` as one SOS row."""
    w0 = 2.0 * np.pi * (fc / rate)
    alpha = np.sin(w0) / (2.0 * q)
    cos = np.cos(w0)
    return _row((1 + cos) / 2, -(1 + cos), (1 + cos) / 2, 1 + alpha, -2 * cos, 1 - alpha)


def _row(b0: float, b1: float, b2: float, a0: float, a1: float, a2: float) -> np.ndarray:
    return np.concatenate([np.array([b0, b1, b2]) / a0, np.array([a0, a1, a2]) / a0])
