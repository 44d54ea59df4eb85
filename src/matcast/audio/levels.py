"""Loudness figures passed between stages (kept light: importing it pulls in no DSP library)."""

from __future__ import annotations

from dataclasses import dataclass


@dataclass
class LoudnessReport:
    """Loudness of a signal."""

    integrated_lufs: float
    """BS.1770 gated integrated loudness, LUFS; -inf for silence."""
    true_peak_dbtp: float
    """Largest absolute value of the 4x oversampled signal, dBTP; -inf for silence."""
