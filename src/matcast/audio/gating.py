"""BS.1770 gating: integrated loudness from K-weighted energies per 100 ms step.

Pure numpy, so that a warm build, which reads cached energies, imports no DSP library.
"""

from __future__ import annotations

import math

import numpy as np

from matcast.cues import SAMPLE_RATE

_BLOCK_S = 0.4
_STEP_S = 0.1
"""BS.1770 gating: 400 ms blocks every 100 ms (75 % overlap)."""
_ABSOLUTE_GATE = -70.0
_RELATIVE_GATE = -10.0
STEP = round(_STEP_S * SAMPLE_RATE)
"""Samples per gating step at the session rate; a 400 ms block is four steps."""


def gated_lufs(energy: np.ndarray, n: int, sample_rate: int) -> float:
    """BS.1770 gated loudness from per-segment energies, blocked the way pyloudnorm blocks them."""
    seg = round(_STEP_S * sample_rate)
    block = 4 * seg
    if n < block:
        z = np.array([energy.sum() / n])
    else:
        # pyloudnorm's count: a last, partly filled block is kept when at least half a step remains.
        count = int(np.round((n / sample_rate - _BLOCK_S) / _STEP_S)) + 1
        padded = np.zeros(count + 3)
        used = min(energy.size, padded.size)
        padded[:used] = energy[:used]
        cumulative = np.concatenate([[0.0], np.cumsum(padded)])
        z = (cumulative[4:count + 4] - cumulative[:count]) / block
    # Energies are sums of squares: one below zero is rounding in the caller's arithmetic (a
    # difference of running sums), and its log would be NaN, read as "the signal has NaNs".
    z = np.maximum(z, 0.0)  # NaN stays NaN
    with np.errstate(divide="ignore"):
        levels = -0.691 + 10 * np.log10(z)
    if np.isnan(levels).any():
        return math.nan
    above = levels >= _ABSOLUTE_GATE
    if not above.any():
        return -math.inf
    relative = -0.691 + 10 * math.log10(z[above].mean()) + _RELATIVE_GATE
    kept = (levels > relative) & (levels > _ABSOLUTE_GATE)
    if not kept.any():
        return -math.inf
    return -0.691 + 10 * math.log10(z[kept].mean())
