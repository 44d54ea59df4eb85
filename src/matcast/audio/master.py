"""Mastering a session without touching the whole session: loudness and peaks, clip by clip.

A session is a sequence of clips (speech lines, chimes) separated by silence, and most lines
recur many times. So the expensive work is done once per distinct clip:

* when a line is first spoken, :func:`level_clip` brings it to :data:`CLIP_LUFS` with its true
  peak under :data:`CLIP_CEILING_DBTP` (the result is what the utterance cache stores);
* at build time, :func:`master` computes the session's BS.1770 integrated loudness from each
  distinct clip's K-weighted energy placed at its events' times (the gating is exactly that of a
  meter run over the joined session, up to filter memory across clip edges), and returns every
  clip scaled by the one gain that brings the session to the target. Only if that gain would push
  a clip's peaks over the ceiling is that clip limited again.
"""

from __future__ import annotations

from collections.abc import Hashable, Mapping
from dataclasses import dataclass

import numpy as np

from matcast.audio.chimes import chime
from matcast.audio.loudness import (
    LoudnessReport,
    _gated_lufs,
    _KWeighting,
    measure,
    normalize,
    true_peak,
)
from matcast.audio.mixer import to_int16
from matcast.cues import SAMPLE_RATE, ChimeKind, CueScript, EventKind

CLIP_LUFS = -16.0
"""Loudness every spoken line is levelled to when it is rendered."""
CLIP_CEILING_DBTP = -3.0
"""True-peak ceiling of a levelled line."""
SESSION_CEILING_DBTP = -2.0
"""True-peak ceiling of the session PCM: 1 dB under the -1 dBTP promised for the MP3, which
leaves room for the overshoot of lossy coding."""
LEVEL_ID = f"level:{CLIP_LUFS:g}:{CLIP_CEILING_DBTP:g}:1"
"""Names the levelling in cache keys, so changing it re-renders instead of mixing levels."""


def level_clip(clip: np.ndarray) -> np.ndarray:
    """A spoken line at :data:`CLIP_LUFS`, true peak under :data:`CLIP_CEILING_DBTP` (int16)."""
    x = clip.astype(np.float32) / 32768.0
    return to_int16(normalize(x, SAMPLE_RATE, CLIP_LUFS, CLIP_CEILING_DBTP))


@dataclass(frozen=True)
class Mastered:
    """Every distinct sound of a session, ready to join, and what the session measures."""

    speech: dict[str, np.ndarray]
    """Each spoken line, int16, with the session gain applied."""
    chimes: dict[ChimeKind, np.ndarray]
    """Each chime used, int16, with the session gain applied."""
    gain_db: float
    """The gain applied to everything."""
    loudness: LoudnessReport
    """Integrated loudness of the session and a bound on its true peak."""


def master(script: CueScript, speech: Mapping[str, np.ndarray],
           target_lufs: float = -16.0,
           ceiling_dbtp: float = SESSION_CEILING_DBTP) -> Mastered:
    """Scale the session's clips so that the joined session is at ``target_lufs``."""
    sounds: dict[Hashable, np.ndarray] = {}
    for event in script.events:
        if event.kind is EventKind.speech and event.text not in sounds:
            sounds[event.text] = speech[event.text or ""].astype(np.float32) / 32768.0
        elif event.kind is EventKind.chime and event.chime not in sounds:
            assert event.chime is not None
            sounds[event.chime] = chime(event.chime)
    lufs = session_loudness(script, sounds)
    gain_db = target_lufs - lufs if np.isfinite(lufs) else 0.0
    gain = np.float32(10 ** (gain_db / 20))
    # Levelled lines peak under CLIP_CEILING_DBTP and chimes far lower; a small gain keeps every
    # clip under the ceiling without measuring. A larger one limits the clips that would clip.
    need_check = gain_db > ceiling_dbtp - CLIP_CEILING_DBTP
    ceiling = 10 ** (ceiling_dbtp / 20)
    peak = 0.0
    out: dict[Hashable, np.ndarray] = {}
    for key, x in sounds.items():
        y = x * gain
        if need_check:
            tp = true_peak(y)
            if tp > ceiling:
                clip_lufs = measure(y, SAMPLE_RATE).integrated_lufs
                y = normalize(y, SAMPLE_RATE, clip_lufs, ceiling_dbtp)
                tp = ceiling
            peak = max(peak, tp)
        out[key] = to_int16(y)
    if not need_check:
        bound = max(10 ** (CLIP_CEILING_DBTP / 20), max(
            (float(np.max(np.abs(s))) for k, s in sounds.items() if isinstance(k, ChimeKind)),
            default=0.0))
        peak = bound * float(gain)
    report = LoudnessReport(lufs + gain_db if np.isfinite(lufs) else lufs,
                            20 * float(np.log10(peak)) if peak > 0 else -np.inf)
    return Mastered(
        speech={k: v for k, v in out.items() if isinstance(k, str)},
        chimes={k: v for k, v in out.items() if isinstance(k, ChimeKind)},
        gain_db=gain_db,
        loudness=report,
    )


def session_loudness(script: CueScript, sounds: Mapping[Hashable, np.ndarray]) -> float:
    """Integrated loudness (LUFS) of the joined session, from its distinct clips.

    Each clip's K-weighted power is summed into a prefix array once; the session's energy per
    100 ms gating step is then read off those prefixes at the step boundaries inside each event.
    Silence adds nothing. Filter memory does not carry across clip edges, which are quiet.
    """
    kw = _KWeighting(SAMPLE_RATE, 1)
    prefix: dict[Hashable, np.ndarray] = {}
    for key, x in sounds.items():
        power = _kweighted_power(kw, x)
        prefix[key] = np.concatenate([[0.0], np.cumsum(power, dtype=np.float64)])
    n = script.duration
    grid = np.arange(0, n + kw.seg, kw.seg)
    grid[-1] = min(grid[-1], n)
    cumulative = np.zeros(grid.size, dtype=np.float64)
    total = 0.0
    for event in script.events:
        key = event.text if event.kind is EventKind.speech else event.chime
        first = -(-event.start // kw.seg)
        last = -(-event.end // kw.seg)  # grid points in [start, end)
        if event.kind is EventKind.silence or key is None:
            cumulative[first:last] = total
            continue
        p = prefix[key]
        cumulative[first:last] = total + p[grid[first:last] - event.start]
        total += p[min(event.length, p.size - 1)]
    cumulative[grid >= n] = total
    energies = np.diff(cumulative)
    return _gated_lufs(energies, n, SAMPLE_RATE)


def _kweighted_power(kw: _KWeighting, x: np.ndarray) -> np.ndarray:
    from scipy import signal

    sos = kw.sos.astype(np.float32)
    filtered = signal.sosfilt(sos, x.astype(np.float32))
    return (filtered.astype(np.float64) ** 2) * kw.weights[0]
