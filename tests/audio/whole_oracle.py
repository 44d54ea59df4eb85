"""The whole-array session path as it was before streaming: the oracle the streamed build is
compared with, sample for sample. Copied from main (matcast 15da3a9) and used only by the tests:
the voice joined whole, the bed generated whole and ducked by a whole-session gain, normalised by
the whole-array limiter, and the MP3 check run on the whole decoded file and the whole PCM.
"""

# ruff: noqa: E501
from __future__ import annotations

import math
import zlib
from collections.abc import Callable, Iterator, Mapping
from dataclasses import dataclass
from pathlib import Path

import numpy as np
from scipy import ndimage

from matcast.audio import bed as beds
from matcast.audio import encoded
from matcast.audio.chimes import chime
from matcast.audio.ffmpeg import decode_float
from matcast.audio.gating import _STEP_S
from matcast.audio.gating import gated_lufs as _gated_lufs
from matcast.audio.generated_bed import generate_bed
from matcast.audio.kweighting import KWeighting as _KWeighting
from matcast.audio.levels import SESSION_CEILING_DBTP, TARGET_LUFS, LoudnessReport
from matcast.audio.loudness import integrated_loudness
from matcast.audio.master import LIMIT_RAMP_S
from matcast.audio.truepeak import (
    _FAR_GAIN,
    _NEAR_GAIN,
    _SCREEN_BLOCK,
    _SCREEN_STEP,
    _spread,
    as_2d,
    true_peaks_at,
)
from matcast.cues import SAMPLE_RATE, ChimeKind, CueScript, EventKind

_MARGIN_DB = 0.5
_LOOKAHEAD_S = 0.005
_RELEASE_S = 0.06
_FLOOR_DB = 0.01
_TOLERANCE_LU = 0.05
_MAX_PASSES = 6
_CANDIDATE_HEADROOM_DB = 1.0
_CHUNK_STEPS = 240
_MIX_BLOCK = 1 << 20


def _int16(samples: np.ndarray) -> np.ndarray:
    if samples.dtype == np.int16:
        return samples
    return np.clip(np.round(samples * 32767.0), -32768, 32767).astype(np.int16)


def assemble(script: CueScript, speech: Mapping[str, np.ndarray],
             chimes: Mapping[ChimeKind, np.ndarray] | None = None) -> np.ndarray:
    chunks: list[bytes] = []
    bells: dict[ChimeKind, bytes] = {}
    for event in script.events:
        if event.kind is EventKind.speech:
            clip = speech[event.text or ""]
        elif event.kind is EventKind.chime:
            assert event.chime is not None
            if event.chime not in bells:
                given = chimes.get(event.chime) if chimes else None
                bells[event.chime] = _int16(given if given is not None
                                            else chime(event.chime)).tobytes()
            chunks.append(bells[event.chime])
            continue
        else:
            chunks.append(bytes(2 * event.length))
            continue
        assert len(clip) == event.length
        chunks.append(_int16(clip).tobytes())
    return np.frombuffer(b"".join(chunks), dtype=np.int16)


def _stream_energies(kw: _KWeighting, x: np.ndarray) -> np.ndarray:
    state = kw.initial_state()
    parts = []
    step = kw.seg * _CHUNK_STEPS
    for start in range(0, x.shape[0], step):
        part, state = kw.energies(x[start:start + step].astype(np.float32), state)
        parts.append(part)
    return np.concatenate(parts)


def with_bed(audio: np.ndarray, script: CueScript, kind: str, path: Path | None,
             level_db: float, slug: str, target_lufs: float,
             ceiling_dbtp: float = SESSION_CEILING_DBTP) -> np.ndarray:
    voice = audio.astype(np.float32) / 32768.0
    if kind == "file":
        assert path is not None
        layer = beds.load_bed(path, voice.size)
    else:
        layer = generate_bed(beds.BedKind(kind), voice.size, seed=zlib.crc32(slug.encode()))
    mixed = beds.mix_bed(voice, layer, ducking_gain(script),
                         beds.DEFAULT_LEVEL_DB + level_db)
    del layer
    mixed = normalize(mixed, SAMPLE_RATE, target_lufs, ceiling_dbtp)
    return _int16(mixed)


def ducking_gain(script: CueScript, sample_rate: int = SAMPLE_RATE,
                 duck_db: float = beds.DEFAULT_DUCK_DB, attack_s: float = 0.25,
                 release_s: float = 0.8, lead_s: float = 0.15,
                 fade_s: float = beds.DEFAULT_FADE_S) -> np.ndarray:
    if min(attack_s, release_s, lead_s, fade_s) < 0:
        raise ValueError("attack, release, lead and fade must not be negative")

    def at(seconds: float) -> int:
        return round(seconds * sample_rate)

    def rescale(positions: np.ndarray) -> np.ndarray:
        if sample_rate == SAMPLE_RATE:
            return positions
        return np.round(positions * (sample_rate / SAMPLE_RATE)).astype(np.int64)

    n = int(rescale(np.array([script.duration]))[0])
    gain = np.ones(n, dtype=np.float32)
    spans = np.array([(e.start, e.end) for e in script.events if e.kind is EventKind.speech],
                     dtype=np.int64).reshape(-1, 2)
    attack, release = at(attack_s), at(release_s)
    if spans.size:
        down = rescale(spans[:, 0]) - at(lead_s)
        up = rescale(spans[:, 1])
        # Where the bed would be back up between two lines for less than _MIN_OPEN_S, the two
        # lines share one dip.
        opens = (down[1:] - attack) - (up[:-1] + release) >= at(beds._MIN_OPEN_S)
        breaks = np.flatnonzero(opens) + 1
        firsts = np.concatenate([[0], breaks])
        lasts = np.concatenate([breaks - 1, [up.size - 1]])
        duck = 10 ** (duck_db / 20)
        fall = (10 ** (duck_db * _cos_ramp(attack) / 20)).astype(np.float32)
        rise = (10 ** (duck_db * _cos_ramp(release)[::-1] / 20)).astype(np.float32)
        # One step per group of lines (hundreds in a session), each a few slice writes.
        for lo, hi in zip(down[firsts].tolist(), up[lasts].tolist(), strict=True):
            _put(gain, lo - attack, fall)
            gain[max(lo, 0):max(min(hi, n), 0)] = duck
            _put(gain, hi, rise)
    edge = min(at(fade_s), n // 2)
    if edge:
        ramp = _cos_ramp(edge).astype(np.float32)
        gain[:edge] *= ramp
        gain[n - edge:] *= ramp[::-1]
    return gain


def _cos_ramp(length: int) -> np.ndarray:
    return 0.5 - 0.5 * np.cos(np.pi * (np.arange(length) + 0.5) / max(length, 1))


def _put(into: np.ndarray, start: int, values: np.ndarray) -> None:
    lo, hi = max(start, 0), min(start + values.size, into.size)
    if lo < hi:
        into[lo:hi] = values[lo - start:hi - start]


def normalize(
    samples: np.ndarray,
    sample_rate: int,
    target_lufs: float = -16.0,
    ceiling_dbtp: float = -1.0,
) -> np.ndarray:
    if not np.issubdtype(np.asarray(samples).dtype, np.floating):
        raise TypeError(f"normalize wants float samples, got {np.asarray(samples).dtype}")
    x = as_2d(samples)
    n = x.shape[0]
    if n == 0:
        return np.array(samples, dtype=np.float32)
    kw = _KWeighting(sample_rate, x.shape[1])
    base_energy = _stream_energies(kw, x)
    base_lufs = _gated_lufs(base_energy, n, sample_rate)
    if math.isnan(base_lufs):
        raise ValueError("samples contain NaN or infinity")
    if base_lufs == -math.inf:
        return np.array(samples, dtype=np.float32)

    limiter = _Limiter(x, sample_rate, ceiling_dbtp - _MARGIN_DB)

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
            print("loudness normalisation reached", lufs)

    out = np.empty(x.shape, dtype=np.float32)
    gain = np.float32(10 ** (gain_db / 20))
    step = kw.seg * _CHUNK_STEPS
    for start in range(0, n, step):
        np.multiply(x[start:start + step], gain, out=out[start:start + step], casting="unsafe")
    for span in limiter.spans(gain_db):
        for start, env in limiter.envelope(span):
            out[start:start + env.size] *= env[:, None]
    return out.reshape(np.shape(samples))


@dataclass(frozen=True, slots=True)
class _Span:

    start: int
    stop: int
    positions: np.ndarray
    reduction_db: np.ndarray


class _Limiter:

    def __init__(self, x: np.ndarray, sample_rate: int, ceiling_dbtp: float) -> None:
        self.x = x
        self.n = x.shape[0]
        self.ceiling = 10 ** (ceiling_dbtp / 20)
        self.lookahead = max(1, round(_LOOKAHEAD_S * sample_rate))
        self.decay = 1 / (_RELEASE_S * sample_rate)  # per sample, in ln(reduction)
        self.seg = round(_STEP_S * sample_rate)
        # Two segments (200 ms) of K-filter run-in before a span: its slowest pole (the 38 Hz
        # high-pass) has forgotten any earlier state to ~1e-9 by then.
        self.preroll = 2 * self.seg
        self.piece = self.seg * _CHUNK_STEPS
        self._cand_gain_db = -math.inf
        self._cand_idx = np.empty(0, dtype=np.int64)
        self._cand_peak = np.empty(0, dtype=np.float32)

    def _ensurecandidates(self, gain_db: float) -> None:
        if gain_db <= self._cand_gain_db:
            return
        reach_db = gain_db + _CANDIDATE_HEADROOM_DB
        limit = self.ceiling / 10 ** (reach_db / 20)
        idx = candidates(self.x, limit)
        peaks = true_peaks_at(self.x, idx)
        keep = peaks > limit
        self._cand_idx, self._cand_peak = idx[keep], peaks[keep]
        self._cand_gain_db = reach_db

    def spans(self, gain_db: float) -> list[_Span]:
        self._ensurecandidates(gain_db)
        over = self._cand_peak * 10 ** (gain_db / 20) / self.ceiling
        hit = over > 1.0
        if not hit.any():
            return []
        positions = self._cand_idx[hit]
        reduction = 20 * np.log10(over[hit].astype(np.float64))
        start = positions - self.lookahead + 1
        tail = np.log(np.maximum(reduction, _FLOOR_DB) / _FLOOR_DB) / self.decay
        stop = positions + np.ceil(tail).astype(np.int64) + self.lookahead
        seg = self.seg
        start = np.maximum(start // seg * seg, 0)
        stop = np.minimum(-(-(stop + seg) // seg) * seg, self.n)
        reach = np.maximum.accumulate(stop)
        # A new span only where the gap leaves room for an untouched K-filter pre-roll.
        breaks = np.flatnonzero(start[1:] >= reach[:-1] + self.preroll) + 1
        firsts = np.concatenate([[0], breaks])
        lasts = np.concatenate([breaks, [positions.size]])
        return [
            _Span(int(start[a]), int(reach[b - 1]), positions[a:b], reduction[a:b])
            for a, b in zip(firsts, lasts, strict=True)
        ]

    def envelope(self, span: _Span) -> Iterator[tuple[int, np.ndarray]]:
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

    def span_energies(self, kw: _KWeighting, span: _Span) -> np.ndarray:
        state = kw.initial_state()
        run_in = max(0, span.start - self.preroll)
        if run_in < span.start:
            _, state = kw.energies(self.x[run_in:span.start].astype(np.float32), state)
        parts = []
        for start, env in self.envelope(span):
            block = self.x[start:start + env.size] * env[:, None]
            part, state = kw.energies(block, state)
            parts.append(part)
        return np.concatenate(parts)


def candidates(x: np.ndarray, limit: float) -> np.ndarray:
    n = x.shape[0]
    blk = _SCREEN_BLOCK
    found = []
    for start in range(0, n, _SCREEN_STEP):
        stop = min(n, start + _SCREEN_STEP)
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
            continue
        # Sample i looks at j in [i-1, i+2], so hot j makes i in [j-2, j+1] a candidate.
        mask = np.zeros(size + 3, dtype=bool)
        for shift in range(4):
            mask[hot + shift] = True
        near = np.flatnonzero(mask) + (lo - 2)
        found.append(near[(near >= start) & (near < stop)])
    return np.concatenate(found) if found else np.empty(0, dtype=np.int64)


def hold_levels(pcm: np.ndarray, path: Path, rewrite: Callable[[np.ndarray], None]
                ) -> tuple[np.ndarray, LoudnessReport]:
    lufs, where, peaks = _measure(path)
    for _ in range(encoded._PASSES - 1):
        off = lufs - TARGET_LUFS
        if not where.size and abs(off) <= encoded.LUFS_TOLERANCE:
            break
        print("MP3 at %.2f LUFS with %d true peaks over %.1f dBTP (highest %.2f): encoding "
                 "again", lufs, where.size, encoded.PEAK_AIM_DBTP, _db(peaks.max(initial=0.0)))
        if abs(off) > encoded.LUFS_TOLERANCE:
            # Rare (a bed moves the loudness by a few hundredths): a gain, whose new peaks the
            # next pass measures.
            gain = np.float32(10 ** (-off / 20))
            pcm = _round16(pcm.astype(np.float32) * gain)
            peaks = peaks * gain
        else:
            pcm = pcm.copy()
        _dip(pcm, where, peaks)
        rewrite(pcm)
        lufs, where, peaks = _measure(path)
    peak = max(_db(peaks.max(initial=0.0)), encoded.PEAK_AIM_DBTP)
    if peak > encoded.MP3_CEILING_DBTP or abs(lufs - TARGET_LUFS) > 0.5:
        raise AssertionError(f"the encoded session measures {lufs:.2f} LUFS and {peak:.2f} dBTP "
                           f"after {encoded._PASSES} encodes; it should be {TARGET_LUFS:g} LUFS under "
                           f"{encoded.MP3_CEILING_DBTP:g} dBTP")
    return pcm, LoudnessReport(lufs, peak)


def _measure(path: Path) -> tuple[float, np.ndarray, np.ndarray]:
    x = decode_float(path)
    ceiling = 10 ** (encoded.PEAK_AIM_DBTP / 20)
    idx = candidates(as_2d(x), ceiling)
    peaks = true_peaks_at(as_2d(x), idx)
    where, peaks = idx[peaks > ceiling], peaks[peaks > ceiling]
    return integrated_loudness(x, SAMPLE_RATE), where, peaks


def _dip(pcm: np.ndarray, where: np.ndarray, peaks: np.ndarray) -> None:
    from scipy import ndimage

    if not where.size:
        return
    ramp = max(1, round(LIMIT_RAMP_S * SAMPLE_RATE))
    goal = 10 ** ((encoded.PEAK_AIM_DBTP - encoded.DIP_MARGIN_DB) / 20)
    reach = 2 * ramp + 1
    order = np.argsort(where)
    where, peaks = where[order], peaks[order]
    # Each dip reaches 2 * ramp samples either side; dips closer than that are one span.
    breaks = np.flatnonzero(np.diff(where) > 2 * reach) + 1
    for part_where, part_peaks in zip(np.split(where, breaks), np.split(peaks, breaks),
                                      strict=True):
        lo = max(int(part_where[0]) - reach, 0)
        hi = min(int(part_where[-1]) + reach + 1, pcm.size)
        need = np.ones(hi - lo, dtype=np.float32)
        np.minimum.at(need, part_where - lo, (goal / part_peaks).astype(np.float32))
        held = ndimage.minimum_filter1d(need, size=reach, mode="nearest")
        gain = ndimage.uniform_filter1d(held, size=reach, mode="nearest")
        pcm[lo:hi] = _round16(pcm[lo:hi].astype(np.float32) * gain)


def _round16(x: np.ndarray) -> np.ndarray:
    return np.clip(np.round(x), -32768, 32767).astype(np.int16)


def _db(linear: float) -> float:
    return 20 * math.log10(linear) if linear > 0 else -math.inf
