"""The level of the encoded MP3 itself: measured after encoding, corrected where coding moved it.

A lossy encoder does not keep the waveform. Its quantisation noise adds to the peaks, and most
where the signal is high-pitched and loud: eSpeak's sibilants, whose 4-8 kHz energy a 96 kbit/s
MP3 codes only about 10 dB above its noise. On speech over silence the MP3's true peak lands about
0.35 dB above the PCM's (less the encoder's own -0.45 dB), which
:data:`~matcast.audio.levels.SESSION_CEILING_DBTP` leaves room for. With a noise bed under the
voice it is 1 dB and more (post-run with rain measured -1.03 dBTP at the default level and -1.12
at +6 dB, from PCM limited to -2.0), and a user's own bed file can be anything.

Limiting the whole session harder does not help: the MP3's peak is whichever sibilant codes
worst, and that moves erratically with the limiter. With rain at +6 dB, post-run's MP3 measured
-1.12 dBTP from PCM limited to -2.0 dBTP, and -0.83 from PCM limited to -2.5. So a session with a
bed is checked where the promise is made: the MP3 is decoded and measured, and where its true
peak is over :data:`PEAK_AIM_DBTP` the PCM dips by the excess (over ~20 ms, as the clip limiter
does), leaving the rest and the loudness alone, and is encoded again.
"""

from __future__ import annotations

import logging
import math
from collections.abc import Callable, Iterator
from dataclasses import dataclass
from pathlib import Path

import numpy as np

from matcast.audio.ffmpeg import decode_blocks, decode_float
from matcast.audio.gating import STEP, gated_lufs
from matcast.audio.kweighting import Energies, KWeighting
from matcast.audio.levels import MP3_CEILING_DBTP, TARGET_LUFS, LoudnessReport
from matcast.audio.loudness import integrated_loudness
from matcast.audio.master import LIMIT_RAMP_S
from matcast.audio.stream import PcmSource, steps
from matcast.audio.truepeak import SCREEN_CONTEXT, SCREEN_STEP, step_peaks
from matcast.cues import SAMPLE_RATE
from matcast.errors import MatcastError

PEAK_AIM_DBTP = MP3_CEILING_DBTP - 0.2
"""The MP3's true peak aims this far under the ceiling: meters oversample differently (ffmpeg's
ebur128 reads within 0.05 dB of ours on these files)."""

DIP_MARGIN_DB = 0.5
"""A peak over the aim dips this much further: the re-encoded noise there is a new draw."""

LUFS_TOLERANCE = 0.3
"""The MP3's loudness may be this far off :data:`TARGET_LUFS` (the promise is ±0.5 LU)."""

_PASSES = 4
"""Encodes at most, the first included."""

log = logging.getLogger(__name__)


def hold_levels(source: PcmSource, path: Path, rewrite: Callable[[PcmSource], None]
                ) -> tuple[PcmSource, LoudnessReport]:
    """Measure ``path``, encoded from ``source``; while it is over the aim or off target,
    correct the source and ``rewrite`` the file from it. Return the file's source and its levels
    (the true peak as a bound: the aim, unless it is over).

    The file is measured as it decodes and the corrections are a gain and a few short dips laid
    over the source's blocks, so neither the session nor its MP3 is ever held whole. Raises
    :class:`MatcastError` if the file is still over the ceiling after :data:`_PASSES` encodes (it
    never has been).
    """
    lufs, where, peaks = _measure(path)
    for _ in range(_PASSES - 1):
        off = lufs - TARGET_LUFS
        if not where.size and abs(off) <= LUFS_TOLERANCE:
            break
        log.info("MP3 at %.2f LUFS with %d true peaks over %.1f dBTP (highest %.2f): encoding "
                 "again", lufs, where.size, PEAK_AIM_DBTP, _db(peaks.max(initial=0.0)))
        gain = None
        if abs(off) > LUFS_TOLERANCE:
            # Rare (a bed moves the loudness by a few hundredths): a gain, whose new peaks the
            # next pass measures.
            gain = np.float32(10 ** (-off / 20))
            peaks = peaks * gain
        source = Corrected(source, gain, _dips(source.samples, where, peaks))
        rewrite(source)
        lufs, where, peaks = _measure(path)
    peak = max(_db(peaks.max(initial=0.0)), PEAK_AIM_DBTP)
    if peak > MP3_CEILING_DBTP or abs(lufs - TARGET_LUFS) > 0.5:
        raise MatcastError(f"the encoded session measures {lufs:.2f} LUFS and {peak:.2f} dBTP "
                           f"after {_PASSES} encodes; it should be {TARGET_LUFS:g} LUFS under "
                           f"{MP3_CEILING_DBTP:g} dBTP")
    return source, LoudnessReport(lufs, peak)


@dataclass(frozen=True)
class Corrected:
    """``source`` with a gain, then dips, applied block by block (a
    :class:`~matcast.audio.stream.PcmSource`)."""

    source: PcmSource
    gain: np.float32 | None
    dips: list[tuple[int, np.ndarray]]
    """(first sample, gain from there) of each dip, in order, not overlapping."""

    @property
    def samples(self) -> int:
        return self.source.samples

    def blocks(self) -> Iterator[np.ndarray]:
        at = 0
        for block in self.source.blocks():
            if self.gain is not None:
                block = _int16(block.astype(np.float32) * self.gain)
            else:
                block = block.copy()
            stop = at + block.size
            for lo, gain in self.dips:
                a, b = max(lo, at), min(lo + gain.size, stop)
                if a < b:
                    block[a - at:b - at] = _int16(block[a - at:b - at].astype(np.float32)
                                                  * gain[a - lo:b - lo])
            at = stop
            yield block


def _measure(path: Path) -> tuple[float, np.ndarray, np.ndarray]:
    """Loudness of the decoded file (unclipped), and where its true peak is over the aim: read
    as it decodes, a step at a time."""
    aim = 10 ** (PEAK_AIM_DBTP / 20)
    energies = Energies(KWeighting(SAMPLE_RATE, 1))
    where, peaks = [np.empty(0, dtype=np.int64)], [np.empty(0, dtype=np.float32)]
    n = 0
    for start, window, offset, count in steps(decode_blocks(path), SCREEN_STEP, SCREEN_CONTEXT):
        energies.feed(window[offset:offset + count])
        idx, found = step_peaks(window, offset, count, aim)
        where.append(idx + start)
        peaks.append(found)
        n = start + count
    if n < 4 * STEP:  # shorter than one gating block: measured as one, in float64
        lufs = integrated_loudness(decode_float(path), SAMPLE_RATE)
    else:
        lufs = gated_lufs(energies.result(), n, SAMPLE_RATE)
    return lufs, np.concatenate(where), np.concatenate(peaks)


def _dips(samples: int, where: np.ndarray, peaks: np.ndarray) -> list[tuple[int, np.ndarray]]:
    """Gains that lower int16 PCM around samples ``where`` so that ``peaks`` there would land
    :data:`DIP_MARGIN_DB` under the aim: each needed gain held ±ramp, then averaged over ±ramp
    (as :func:`~matcast.audio.master._smooth_limit` does), so the gain moves over ~20 ms."""
    from scipy import ndimage

    if not where.size:
        return []
    ramp = max(1, round(LIMIT_RAMP_S * SAMPLE_RATE))
    goal = 10 ** ((PEAK_AIM_DBTP - DIP_MARGIN_DB) / 20)
    reach = 2 * ramp + 1
    order = np.argsort(where)
    where, peaks = where[order], peaks[order]
    # Each dip reaches 2 * ramp samples either side; dips closer than that are one span.
    breaks = np.flatnonzero(np.diff(where) > 2 * reach) + 1
    dips = []
    for part_where, part_peaks in zip(np.split(where, breaks), np.split(peaks, breaks),
                                      strict=True):
        lo = max(int(part_where[0]) - reach, 0)
        hi = min(int(part_where[-1]) + reach + 1, samples)
        need = np.ones(hi - lo, dtype=np.float32)
        np.minimum.at(need, part_where - lo, (goal / part_peaks).astype(np.float32))
        held = ndimage.minimum_filter1d(need, size=reach, mode="nearest")
        dips.append((lo, ndimage.uniform_filter1d(held, size=reach, mode="nearest")))
    return dips


def _int16(x: np.ndarray) -> np.ndarray:
    return np.clip(np.round(x), -32768, 32767).astype(np.int16)


def _db(linear: float) -> float:
    return 20 * math.log10(linear) if linear > 0 else -math.inf
