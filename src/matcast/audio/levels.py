"""Loudness figures passed between stages (kept light: importing it pulls in no DSP library)."""

from __future__ import annotations

from dataclasses import dataclass

TARGET_LUFS = -16.0
"""Integrated loudness of every session's MP3 (the usual podcast target)."""
CLIP_LUFS = -15.5
"""Loudness every spoken line is levelled to when it is rendered. A session measures about 1 LU
below its lines (gating blocks straddle the quiet between them), so lines sit a little above the
session target and the session gain stays small."""
CLIP_CEILING_DBTP = -3.5
"""True-peak ceiling of a levelled line."""
MP3_CEILING_DBTP = -1.0
"""True-peak ceiling promised for every MP3."""
SESSION_CEILING_DBTP = -1.5
"""True-peak ceiling of the session PCM: under the -1 dBTP promised for the MP3, leaving room for
the overshoot of lossy coding (measured: about +0.35 dB, less the encoder's -0.45 dB level)."""
LEVEL_ID = f"level:{CLIP_LUFS:g}:{CLIP_CEILING_DBTP:g}:2"
"""Names the levelling in cache keys, so changing it re-renders instead of mixing levels."""


@dataclass
class LoudnessReport:
    """Loudness of a signal."""

    integrated_lufs: float
    """BS.1770 gated integrated loudness, LUFS; -inf for silence."""
    true_peak_dbtp: float
    """Largest absolute value of the 4x oversampled signal, dBTP; -inf for silence."""
