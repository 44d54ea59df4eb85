"""True peak: the peaks of the 4x-oversampled signal (ITU-R BS.1770-4 Annex 2), found without
oversampling the whole signal.

:func:`true_peak` measures a signal; :func:`peak_needs` finds where it exceeds a ceiling, which
is what the limiter in :mod:`matcast.audio.loudness` and the MP3 level checks work from. Only
samples whose neighbourhood could come near the limit are oversampled (:func:`candidates`), so an
hour of speech and silence costs a fraction of a second.
"""

from __future__ import annotations

import numpy as np

from matcast.audio.designs import tp_filter

OVERSAMPLE = 4
"""True-peak oversampling factor (BS.1770-4 Annex 2 asks for at least 4x at 48 kHz)."""

_TP_REACH = 10
"""Input samples each side the interpolation filter reaches: resample_poly's default design."""

_TP_FILTER = tp_filter()
"""The same low-pass :func:`scipy.signal.resample_poly` designs for up=4 (pass as ``window=``):
``firwin(2 * _TP_REACH * OVERSAMPLE + 1, 1 / OVERSAMPLE, window=("kaiser", 5.0))``."""

_GATHER_BATCH = 1 << 13
"""Candidates oversampled at a time: each needs 21 int64 indices and their float64 values
(~0.4 KB), so a batch is a few MB of temporaries."""


def peak_needs(samples: np.ndarray, ceiling: float) -> tuple[np.ndarray, np.ndarray]:
    """Where the 4x-oversampled peaks of mono ``samples`` exceed linear ``ceiling``.

    Returns (indices, true peaks there); only the samples that could exceed it are oversampled.
    """
    x = as_2d(samples)
    idx = candidates(x, ceiling)
    if idx.size == 0:
        return idx, np.empty(0, dtype=np.float32)
    peaks = true_peaks_at(x, idx)
    over = peaks > ceiling
    return idx[over], peaks[over]


def true_peak(samples: np.ndarray) -> float:
    """Linear true peak: the largest absolute value of the 4x oversampled signal.

    Equal to ``max(abs(resample_poly(x, 4, 1)))`` with resample_poly's default filter (and never
    below the sample peak), but only samples whose neighbourhood could beat the sample peak are
    oversampled.
    """
    x = as_2d(samples)
    if x.shape[0] == 0:
        return 0.0
    sample_peak = float(max(np.max(x), -np.min(x)))
    if sample_peak == 0.0:
        return 0.0
    near = candidates(x, sample_peak * (1 - 1e-6))
    peaks = true_peaks_at(x, near)
    return max(sample_peak, float(peaks.max()) if peaks.size else 0.0)


def _phase_matrix() -> np.ndarray:
    """(2*reach+1, 4) weights W: phase k after input i is ``x[i-reach..i+reach] @ W[:, k]``.

    resample_poly aligns output sample 4i+k with input i; its tap for input i+o is
    ``4*h[centre + k - 4*o]``.
    """
    taps = OVERSAMPLE * _TP_FILTER
    centre = _TP_REACH * OVERSAMPLE
    weights = np.zeros((2 * _TP_REACH + 1, OVERSAMPLE))
    for row, offset in enumerate(range(-_TP_REACH, _TP_REACH + 1)):
        for phase in range(OVERSAMPLE):
            tap = centre + phase - OVERSAMPLE * offset
            if 0 <= tap < taps.size:
                weights[row, phase] = taps[tap]
    return weights


_PHASES = _phase_matrix()
_NEAR = slice(_TP_REACH - 1, _TP_REACH + 3)
"""Rows of the input samples i-1..i+2, which carry most of the weight between i and i+1."""
_NEAR_GAIN = float(np.abs(_PHASES[_NEAR]).sum(axis=0).max())
_FAR_GAIN = float(
    (np.abs(_PHASES).sum(axis=0) - np.abs(_PHASES[_NEAR]).sum(axis=0)).max()
)
_SCREEN_BLOCK = 16
"""Block for the far maximum: at least the filter reach, so a block and its neighbours cover it."""
_SCREEN_STEP = _SCREEN_BLOCK << 14


SCREEN_STEP = _SCREEN_STEP
"""Samples :func:`candidates` screens at a time: a stream measured in these steps (from sample
0) finds exactly what the whole array would (:func:`step_peaks`)."""
SCREEN_CONTEXT = 2 * _SCREEN_BLOCK
"""Samples of context either side of a step that :func:`step_peaks` needs."""


def candidates(x: np.ndarray, limit: float) -> np.ndarray:
    """Sorted indices of the samples whose true peak could exceed ``limit``.

    Rigorous and cheap: an oversampled value between samples i and i+1 is at most
    ``_NEAR_GAIN * max|x[i-1..i+2]| + _FAR_GAIN * max|x[i-10..i+10]|``. The far maximum is taken
    over 16-sample blocks (three blocks cover any sample's reach), leaving a per-block threshold on
    the near maximum that ordinary programme material (noise, the body of speech) rarely crosses.
    """
    n = x.shape[0]
    found = [_step_candidates(x, start, min(n, start + _SCREEN_STEP), limit)
             for start in range(0, n, _SCREEN_STEP)]
    return np.concatenate(found) if found else np.empty(0, dtype=np.int64)


def step_peaks(window: np.ndarray, offset: int, count: int, limit: float
               ) -> tuple[np.ndarray, np.ndarray]:
    """:func:`peak_needs` for one step of a stream: the step is ``window[offset:offset+count]``,
    with :data:`SCREEN_CONTEXT` samples of the stream either side (fewer at its ends). Returns
    indices relative to the step's start and the true peaks there over ``limit``."""
    x = as_2d(window)
    idx = _step_candidates(x, offset, offset + count, limit)
    if idx.size == 0:
        return idx, np.empty(0, dtype=np.float32)
    peaks = true_peaks_at(x, idx)
    over = peaks > limit
    return idx[over] - offset, peaks[over]


def _step_candidates(x: np.ndarray, start: int, stop: int, limit: float) -> np.ndarray:
    """:func:`candidates` over samples ``start`` to ``stop`` of ``x``."""
    n = x.shape[0]
    blk = _SCREEN_BLOCK
    lo, hi = max(0, start - blk), min(n, stop + blk)
    size = -(-(hi - lo) // blk) * blk
    level = np.zeros(size, dtype=np.float32)
    window = x[lo:hi]
    if window.shape[1] == 1:
        np.abs(window[:, 0], out=level[:hi - lo], casting="unsafe")
    else:
        level[:hi - lo] = np.abs(window).max(axis=1)
    blocks = level.reshape(-1, blk)
    spread = _spread(np.maximum.reduceat(level, np.arange(0, size, blk)), np.maximum)
    # Near-maximum threshold per block; a sample j matters to candidates in blocks up to one
    # away from its own, so take the lowest threshold among them.
    threshold = _spread((limit - _FAR_GAIN * spread) / _NEAR_GAIN, np.minimum)
    hot = np.flatnonzero(blocks > threshold[:, None])
    if hot.size == 0:
        return np.empty(0, dtype=np.int64)
    # Sample i looks at j in [i-1, i+2], so hot j makes i in [j-2, j+1] a candidate.
    mask = np.zeros(size + 3, dtype=bool)
    for shift in range(4):
        mask[hot + shift] = True
    near = np.flatnonzero(mask) + (lo - 2)
    return near[(near >= start) & (near < stop)]


def _spread(values: np.ndarray, pick: np.ufunc) -> np.ndarray:
    """Combine each block with its two neighbours (pick is np.maximum or np.minimum)."""
    out = values.copy()
    pick(out[1:], values[:-1], out=out[1:])
    pick(out[:-1], values[1:], out=out[:-1])
    return out


def true_peaks_at(x: np.ndarray, idx: np.ndarray) -> np.ndarray:
    """Per-sample true peak at ``idx``: max |value| of the 4 oversampled points from each sample
    up to the next, over all channels. Equal to reshaping resample_poly's output to (n, 4)."""
    n = x.shape[0]
    out = np.zeros(idx.size, dtype=np.float32)
    offsets = np.arange(-_TP_REACH, _TP_REACH + 1)
    for start in range(0, idx.size, _GATHER_BATCH):
        where = idx[start:start + _GATHER_BATCH, None] + offsets
        outside = (where < 0) | (where >= n)
        clipped = outside.any()
        if clipped:
            np.clip(where, 0, n - 1, out=where)
        best = out[start:start + _GATHER_BATCH]
        for channel in range(x.shape[1]):
            window = x[where, channel].astype(np.float64)
            if clipped:
                window[outside] = 0.0
            np.maximum(best, np.abs(window @ _PHASES).max(axis=1), out=best, casting="unsafe")
    return out


# --- Limiter -----------------------------------------------------------------------------------


def as_2d(samples: np.ndarray) -> np.ndarray:
    x = np.asarray(samples)
    if x.ndim == 1:
        return x.reshape(-1, 1)
    if x.ndim == 2:
        return x
    raise ValueError(f"samples must be (n,) or (n, channels), got shape {x.shape}")
