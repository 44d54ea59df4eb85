"""Loudness: ITU-R BS.1770 measurement, and normalisation to a podcast target under a true-peak cap.

Owns how loud a finished session is. :func:`measure` reports integrated loudness (pyloudnorm) and
true peak (4x oversampling); :func:`normalize` applies one gain to reach the target loudness and
then a look-ahead true-peak limiter, re-measuring and correcting because limiting costs loudness.

A session is an hour of mostly silence and speech, so :func:`normalize` never materialises the
oversampled signal: it streams the input in chunks, oversamples only the few samples that could
come near the ceiling, and runs the limiter only around those. It keeps pyloudnorm's K-weighting
filters and gating rules but applies them chunk by chunk, so a re-measurement after limiting only
re-filters the stretches the limiter touched.
"""

from __future__ import annotations

import logging
import math
from collections.abc import Iterator
from dataclasses import dataclass

import numpy as np
from scipy import ndimage

from matcast.audio.gating import _BLOCK_S, _STEP_S
from matcast.audio.gating import gated_lufs as _gated_lufs
from matcast.audio.kweighting import CHUNK_STEPS, Energies, KWeighting
from matcast.audio.levels import LoudnessReport
from matcast.audio.stream import ArraySignal, Signal, steps
from matcast.audio.truepeak import SCREEN_CONTEXT, SCREEN_STEP, as_2d, step_peaks, true_peak

_MARGIN_DB = 0.5
"""The limiter aims this far under the ceiling: resampling, the MP3 encoder and the gain ramps
inside one interpolation window may each add a little overshoot."""

_LOOKAHEAD_S = 0.005
"""Attack: the gain is fully down this long before the peak, ramping along a raised line."""

_RELEASE_S = 0.06
"""Release time constant: the reduction (in dB) decays exponentially, so a click costing 20 dB
is back within 1 dB in ~180 ms while a 3 dB syllable peak does not pump."""

_FLOOR_DB = 0.01
"""Reduction below this is treated as none: where a release tail ends and a span may stop."""

_TOLERANCE_LU = 0.05
_MAX_PASSES = 6
_CANDIDATE_HEADROOM_DB = 1.0
"""Oversample every sample that could exceed the ceiling with this much more gain, so the
correction passes (which raise the gain by what limiting cost, usually a fraction of a dB) reuse
the same peaks. More headroom multiplies the samples to oversample on dense material."""

_PREFETCH_DB = 2.0
"""The first read of a signal finds the peaks a gain this much over the expected one could push
over the ceiling: enough for the correction passes, so the signal is read through only once."""

log = logging.getLogger(__name__)



def measure(samples: np.ndarray, sample_rate: int) -> LoudnessReport:
    """Integrated loudness (BS.1770-4, pyloudnorm's filters) and true peak of float samples.

    ``samples`` is (n,) mono or (n, channels). Input shorter than one 400 ms gating block (which
    pyloudnorm refuses) is measured as a single block.
    """
    x = as_2d(samples)
    if x.shape[0] == 0:
        return LoudnessReport(-math.inf, -math.inf)
    return LoudnessReport(integrated_loudness(x, sample_rate), _to_db(true_peak(x)))


def integrated_loudness(samples: np.ndarray, sample_rate: int) -> float:
    """BS.1770-4 gated integrated loudness in LUFS (-inf for silence), without the true peak.

    Runs pyloudnorm's K-weighting chunk by chunk: equal to pyloudnorm within 1e-5 LU (tested),
    without its float64 copies (3 GB and 10 s for an hour).
    """
    x = as_2d(samples)
    if x.shape[0] == 0:
        return -math.inf
    kw = KWeighting(sample_rate, x.shape[1])
    if x.shape[0] >= round(_BLOCK_S * sample_rate):
        return _gated_lufs(kw.stream_energies(x), x.shape[0], sample_rate)
    energies, _ = kw.energies(np.asarray(x, dtype=np.float64), kw.initial_state())
    return _gated_lufs(energies, x.shape[0], sample_rate)


def normalize(
    samples: np.ndarray,
    sample_rate: int,
    target_lufs: float = -16.0,
    ceiling_dbtp: float = -1.0,
) -> np.ndarray:
    """Float32 copy of ``samples`` at ``target_lufs`` (±0.5 LU) with true peak ≤ ``ceiling_dbtp``.

    ``samples`` is float (n,) or (n, channels) in [-1, 1]: :func:`plan_normalize` over the
    array, rendered whole. Silence, and input whose every gating block is below -70 LUFS, comes
    back unchanged (as float32).
    """
    if not np.issubdtype(np.asarray(samples).dtype, np.floating):
        raise TypeError(f"normalize wants float samples, got {np.asarray(samples).dtype}")
    x = as_2d(samples)
    if x.shape[0] == 0:
        return np.array(samples, dtype=np.float32)
    plan = plan_normalize(ArraySignal(x), sample_rate, target_lufs, ceiling_dbtp)
    if plan is None:
        return np.array(samples, dtype=np.float32)
    out = np.empty(x.shape, dtype=np.float32)
    at = 0
    for block in plan.blocks():
        out[at:at + block.shape[0]] = block
        at += block.shape[0]
    return out.reshape(np.shape(samples))


def plan_normalize(signal: Signal, sample_rate: int, target_lufs: float = -16.0,
                   ceiling_dbtp: float = -1.0, expect_gain_db: float = 0.0) -> Normalized | None:
    """How to bring ``signal`` to ``target_lufs`` (±0.5 LU) with true peak ≤ ``ceiling_dbtp``;
    None for silence (every gating block under -70 LUFS).

    One gain sets the loudness, then a look-ahead limiter (linked across channels) holds the
    4x-oversampled peaks under the ceiling; the gain is corrected and the limiter rerun until
    the loudness is back on target. The signal is read once from start to end (its loudness,
    and the peaks that a gain up to ``expect_gain_db`` plus a margin could push over), then only
    around the peaks being limited; :meth:`Normalized.blocks` reads it once more.
    """
    n = signal.samples
    kw = KWeighting(sample_rate, signal.channels)
    limiter = _Limiter(signal, sample_rate, ceiling_dbtp - _MARGIN_DB)
    base_energy = limiter.scan(expect_gain_db + _PREFETCH_DB, kw)
    base_lufs = _gated_lufs(base_energy, n, sample_rate)
    if math.isnan(base_lufs):
        raise ValueError("samples contain NaN or infinity")
    if base_lufs == -math.inf:
        return None

    def loudness_at(gain_db: float) -> float:
        # Re-gate even without limiting: the -70 LUFS gate is absolute, so a gain can let blocks
        # of quiet room tone into the average.
        energy = base_energy.copy()
        for span in limiter.spans(gain_db):
            first = span.start // kw.seg
            values = limiter.span_energies(kw, span)
            energy[first:first + values.size] = values
        return _gated_lufs(energy * 10 ** (gain_db / 10), n, sample_rate)

    # The limiter only ever lowers loudness, and lowers it more the harder it works, so a secant
    # step (slope clamped to a sane range) converges in two or three passes.
    gain_db = target_lufs - base_lufs
    tried: list[tuple[float, float]] = []
    for _ in range(_MAX_PASSES):
        lufs = loudness_at(gain_db)
        tried.append((gain_db, lufs))
        error = target_lufs - lufs
        if abs(error) <= _TOLERANCE_LU:
            break
        slope = 1.0
        if len(tried) >= 2:
            (g0, l0), (g1, l1) = tried[-2], tried[-1]
            if g1 != g0:
                slope = min(1.0, max(0.1, (l1 - l0) / (g1 - g0)))
        gain_db += error / slope
    else:
        gain_db, lufs = min(tried, key=lambda t: abs(target_lufs - t[1]))
        if abs(target_lufs - lufs) > 0.5:
            log.warning("loudness normalisation reached %.2f LUFS, not %.2f", lufs, target_lufs)
    return Normalized(limiter, gain_db, lufs)


@dataclass(frozen=True)
class Normalized:
    """A signal's loudness gain and limiting, ready to render block by block."""

    limiter: _Limiter
    gain_db: float
    lufs: float
    """The loudness the rendered signal measures."""

    def blocks(self) -> Iterator[np.ndarray]:
        """The normalised signal from its start: float32 (m, channels) blocks."""
        signal, gain = self.limiter.signal, np.float32(10 ** (self.gain_db / 20))
        size = SCREEN_STEP  # a few MB of float32 at a time; the envelope pieces may straddle
        pieces = (piece for span in self.limiter.spans(self.gain_db)
                  for piece in self.limiter.envelope(span))
        pending = next(pieces, None)
        for start in range(0, signal.samples, size):
            stop = min(start + size, signal.samples)
            out = np.empty((stop - start, signal.channels), dtype=np.float32)
            np.multiply(signal.read(start, stop), gain, out=out, casting="unsafe")
            while pending is not None and pending[0] < stop:
                at, env = pending
                lo, hi = max(at, start), min(at + env.size, stop)
                if lo < hi:
                    out[lo - start:hi - start] *= env[lo - at:hi - at, None]
                if at + env.size > stop:
                    break
                pending = next(pieces, None)
            yield out


# --- True peak ---------------------------------------------------------------------------------


@dataclass(frozen=True, slots=True)
class _Span:
    """A stretch the limiter touches, padded to whole gating segments plus the filter's ring-out."""

    start: int
    stop: int
    positions: np.ndarray
    """Samples over the ceiling, sorted."""
    reduction_db: np.ndarray
    """How far each is over the ceiling."""


class _Limiter:
    """A look-ahead true-peak limiter over one signal, for any gain applied before it.

    The gain reduction needed at sample i is ``att[i] = max(0, dB(gain * tp[i] / ceiling))``.
    The envelope releases each reduction exponentially (``rel[i] = max_k att[k] * exp(-(i-k)/T)``,
    a running maximum in the log domain), takes the maximum over the next ``L`` samples
    (look-ahead) and averages over the last ``L`` (a smooth attack ramp). Every averaged window
    contains the peak it answers, so the envelope is at least ``att`` at every sample: no peak
    gets through, and the gain is exactly 1 away from peaks.
    """

    def __init__(self, signal: Signal, sample_rate: int, ceiling_dbtp: float) -> None:
        self.signal = signal
        self.n = signal.samples
        self.ceiling = 10 ** (ceiling_dbtp / 20)
        self.lookahead = max(1, round(_LOOKAHEAD_S * sample_rate))
        self.decay = 1 / (_RELEASE_S * sample_rate)  # per sample, in ln(reduction)
        self.seg = round(_STEP_S * sample_rate)
        # Two segments (200 ms) of K-filter run-in before a span: its slowest pole (the 38 Hz
        # high-pass) has forgotten any earlier state to ~1e-9 by then.
        self.preroll = 2 * self.seg
        self.piece = self.seg * CHUNK_STEPS
        self._cand_gain_db = -math.inf
        self._cands: list[tuple[np.ndarray, np.ndarray]] = []
        """Per screening step with any, the candidate samples (sorted) and their true peaks:
        kept as found, never joined into one array (a joined copy would double them at once)."""
        self._index = np.int32 if self.n < 2**31 else np.int64

    def _ensurecandidates(self, gain_db: float) -> None:
        if gain_db > self._cand_gain_db:
            self.scan(gain_db + _CANDIDATE_HEADROOM_DB)

    def scan(self, reach_db: float, kw: KWeighting | None = None) -> np.ndarray:
        """Read the signal through once: find the true peaks a gain up to ``reach_db`` could
        push over the ceiling, and return its K-weighted segment energies (given ``kw``)."""
        limit = self.ceiling / 10 ** (reach_db / 20)
        energies = Energies(kw) if kw is not None else None
        self._cands = []
        # Read in screening steps, not envelope pieces: a step's window is all that is held.
        chunks = (self.signal.read(a, min(a + SCREEN_STEP, self.n))
                  for a in range(0, self.n, SCREEN_STEP))
        for start, window, offset, count in steps(chunks, SCREEN_STEP, SCREEN_CONTEXT):
            idx, found = step_peaks(window, offset, count, limit)
            if idx.size:
                self._cands.append(((idx + start).astype(self._index), found))
            if energies is not None:
                energies.feed(window[offset:offset + count])
        self._cand_gain_db = reach_db
        return energies.result() if energies is not None else np.empty(0)

    def spans(self, gain_db: float) -> list[_Span]:
        """The stretches where the envelope for ``gain_db`` is not 0 dB, merged and padded.

        Worked out a screening step of candidates at a time (a span may run on across steps),
        so the temporaries are a step's, whatever the signal's length.
        """
        self._ensurecandidates(gain_db)
        gain, seg = 10 ** (gain_db / 20), self.seg
        found: list[_Span] = []
        first = 0  # start of the open span
        reach = -1  # how far the open span reaches; -1: no span open
        pieces: list[tuple[np.ndarray, np.ndarray]] = []  # its positions and reductions

        def close() -> None:
            positions = [p for p, _ in pieces]
            reductions = [r for _, r in pieces]
            found.append(_Span(first, reach, _joined(positions), _joined(reductions)))
            pieces.clear()

        for idx, peak in self._cands:
            over = peak * gain / self.ceiling
            hit = over > 1.0
            if not hit.any():
                continue
            positions = idx[hit]
            reduction = 20 * np.log10(over[hit].astype(np.float64))
            start = positions - self.lookahead + 1
            tail = np.log(np.maximum(reduction, _FLOOR_DB) / _FLOOR_DB) / self.decay
            stop = positions + np.ceil(tail).astype(np.int64) + self.lookahead
            start = np.maximum(start // seg * seg, 0)
            stop = np.minimum(-(-(stop + seg) // seg) * seg, self.n)
            reaches = np.maximum.accumulate(np.maximum(stop, reach))
            before = np.concatenate([[reach], reaches[:-1]])
            # A new span only where the gap leaves room for an untouched K-filter pre-roll.
            opens = start >= before + self.preroll
            if reach < 0:
                opens[0] = True
            cuts = np.concatenate([np.flatnonzero(opens), [positions.size]])
            if cuts[0] > 0:  # the open span runs on into this step
                pieces.append((positions[:cuts[0]], reduction[:cuts[0]]))
                reach = int(reaches[cuts[0] - 1])
            for a, b in zip(cuts[:-1].tolist(), cuts[1:].tolist(), strict=True):
                if pieces:
                    close()
                first, reach = int(start[a]), int(reaches[b - 1])
                pieces.append((positions[a:b], reduction[a:b]))
        if pieces:
            close()
        return found

    def envelope(self, span: _Span) -> Iterator[tuple[int, np.ndarray]]:
        """(start, linear gain) pieces covering the span; rel carries across pieces."""
        look, mu = self.lookahead, self.decay
        carry = -math.inf  # ln rel just before the window: a release running in from before
        for start in range(span.start, span.stop, self.piece):
            stop = min(start + self.piece, span.stop)
            lo, hi = max(start - look + 1, span.start), min(stop + look - 1, span.stop)
            a, b = np.searchsorted(span.positions, [lo, hi])
            # ln rel[i] = max_k(ln att[k] + k*mu) - i*mu: a running maximum, no loop over samples.
            ramp = np.arange(hi - lo, dtype=np.float64) * mu
            log_rel = np.full(hi - lo, -np.inf)
            log_rel[span.positions[a:b] - lo] = np.log(span.reduction_db[a:b])
            log_rel += ramp
            log_rel[0] = max(log_rel[0], carry - mu)
            np.maximum.accumulate(log_rel, out=log_rel)
            log_rel -= ramp
            if stop < span.stop:
                carry = float(log_rel[stop - look - lo])
            rel = np.exp(log_rel)
            ahead = ndimage.maximum_filter1d(rel, look, origin=-(look // 2), mode="constant")
            total = np.concatenate([[0.0], np.cumsum(ahead)])
            upto = np.arange(start - lo + 1, stop - lo + 1)
            smooth = (total[upto] - total[np.maximum(upto - look, 0)]) / look
            yield start, np.power(10.0, smooth / -20).astype(np.float32)

    def span_energies(self, kw: KWeighting, span: _Span) -> np.ndarray:
        """K-weighted segment energies of the limited (unit-gain) signal over ``span``."""
        state = kw.initial_state()
        run_in = max(0, span.start - self.preroll)
        if run_in < span.start:
            _, state = kw.energies(self.signal.read(run_in, span.start).astype(np.float32),
                                   state)
        parts = []
        for start, env in self.envelope(span):
            block = self.signal.read(start, start + env.size) * env[:, None]
            part, state = kw.energies(block, state)
            parts.append(part)
        return np.concatenate(parts)


# --- helpers -----------------------------------------------------------------------------------


def _joined(parts: list[np.ndarray]) -> np.ndarray:
    return parts[0] if len(parts) == 1 else np.concatenate(parts)


def _to_db(value: float) -> float:
    return 20 * math.log10(value) if value > 0 else -math.inf
