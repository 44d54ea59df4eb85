"""Generated beds: soft rain and waves on a shore, any length, at the beds' common loudness.

Filtered noise shaped by envelopes drawn first at a 100 Hz control rate, for the whole length;
the audio is made in independent blocks (each block's filters run in on the noise before it), so
a build holds only the block it mixes. Its level is set from the filters' K-weighted power and
the envelopes, before any audio exists.
"""

from __future__ import annotations

import functools
import math
import os
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass
from typing import assert_never

import numpy as np

from matcast.audio import designs
from matcast.audio.bed import BED_LUFS, BedKind
from matcast.audio.designs import WHITE_VAR
from matcast.audio.gating import _STEP_S, gated_lufs
from matcast.audio.iir import impulse_response, sosfilt
from matcast.cues import SAMPLE_RATE

_CONTROL_RATE = 100
"""Envelope points per second, interpolated linearly to the audio rate (inaudibly: 10 ms is far
faster than anything the envelopes do)."""

_BLOCK_HOPS = 4800
"""Control intervals per audio block (48 s): large enough that per-block overhead is nothing."""
_RENDER_HOPS = 480  # control intervals filtered at a time in a block (4.8 s; 4n samples)

_MAX_WORKERS = 4  # threads rendering a whole generated bed's blocks at once

_SALT = {BedKind.rain: 1, BedKind.ocean: 2}
"""Mixed into the seed: rain and ocean with the same seed share no random numbers."""


def generate_bed(kind: BedKind, samples: int, sample_rate: int = SAMPLE_RATE,
                 seed: int = 0) -> np.ndarray:
    """``samples`` of float32 mono bed at :data:`BED_LUFS`, the same every time for a seed (up
    to its gain, the start of any longer bed of that kind, seed and rate). A build reads its bed
    a block at a time from a :class:`BedPlan` instead."""
    plan = BedPlan(kind, samples, sample_rate, seed)
    out = np.empty(samples, dtype=np.float32)

    def render(start: int) -> None:
        out[start:start + plan.block] = plan.render(start)[:samples - start]

    starts = range(0, samples, plan.block)
    workers = min(_MAX_WORKERS, os.cpu_count() or 1, len(starts))
    if workers <= 1:
        for start in starts:
            render(start)
    else:
        # sosfilt and numpy's large-array loops release the GIL, so blocks render in parallel.
        with ThreadPoolExecutor(workers) as pool:
            list(pool.map(render, starts))
    return out


class BedPlan:
    """A generated bed but its audio (filters, controls, gain: a few MB for an hour); its audio
    is made one independent :attr:`block` at a time (:meth:`render`), in any order."""

    def __init__(self, kind: BedKind, samples: int, sample_rate: int = SAMPLE_RATE,
                 seed: int = 0) -> None:
        if samples < 0:
            raise ValueError(f"samples must be >= 0, got {samples}")
        self.samples = samples
        self.design = design = _design(BedKind(kind), sample_rate)
        self.block = design.hop * _BLOCK_HOPS
        hops = max(1, -(-samples // self.block)) * _BLOCK_HOPS
        self.noise_seed, *control_seeds = np.random.SeedSequence(
            [seed, _SALT[design.kind]]).spawn(8)
        controls = _controls(design, hops,
                             [np.random.Generator(np.random.PCG64(s)) for s in control_seeds])
        lufs = _expected_lufs(design, controls, samples, sample_rate) if samples else 0.0
        gain = np.float32(10 ** ((BED_LUFS - lufs) / 20))
        self.controls = _Controls([(e * gain).astype(np.float32) for e in controls.envs],
                                  controls.drop_pos, controls.drop_var,
                                  controls.drop_amp * gain)

    def render(self, start: int) -> np.ndarray:
        """The block of the bed from sample ``start`` (a multiple of :attr:`block`)."""
        out = np.empty(self.block, dtype=np.float32)
        _render_block(self.design, self.noise_seed, self.controls, start, out)
        return out


def _render_block(design: _Design, noise_seed: np.random.SeedSequence, controls: _Controls,
                  start: int, out: np.ndarray) -> None:
    """Render the bed from sample ``start`` into ``out`` (one block, or the bed's short end).

    Blocks do not depend on each other: the noise generator jumps straight to the block's place
    in the stream, and the filters run in on the :func:`_warmup` samples of noise before it,
    which leaves them in the state the previous block ended in (to 1e-13): no seam. They run in
    float64: with poles this close to 1, float32 leaves a rounding-noise floor only 90 dB down
    that differs from run to run, so two blocks would not quite meet.
    """
    hop = design.hop
    noise = np.random.PCG64(noise_seed)
    # Noise sample i is raw draw (warm + i) / 4: the first block has run-in noise too.
    noise.advance(start // 4)
    white = _raw_int16(noise, _warmup(hop * _CONTROL_RATE)).astype(np.float64)
    states = [sosfilt(sos, white, np.zeros((len(sos), 2)))[1] for sos in design.bands]
    first = start // hop
    frac = (np.arange(hop, dtype=np.float32) / np.float32(hop))[None, :]
    whole = out.size == _BLOCK_HOPS * hop  # mixed in place; only a short end through a copy
    mixed = out.reshape(_BLOCK_HOPS, hop) if whole else np.empty((_BLOCK_HOPS, hop), np.float32)
    # A few seconds at a time, the filters' state carried on (as if filtered at once).
    for row in range(0, _BLOCK_HOPS, _RENDER_HOPS):
        rows = min(_RENDER_HOPS, _BLOCK_HOPS - row)
        white = _raw_int16(noise, rows * hop).astype(np.float64)
        part, ramp = mixed[row:row + rows], np.empty((rows, hop), np.float32)
        for i, (sos, env_all) in enumerate(zip(design.bands, controls.envs, strict=True)):
            band, states[i] = sosfilt(sos, white, states[i])
            band = band.reshape(-1, hop)
            env = env_all[first + row:first + row + rows + 1]
            np.multiply((env[1:] - env[:-1])[:, None], frac, out=ramp)
            ramp += env[:-1, None]
            if i == 0:
                np.multiply(band, ramp, out=part, casting="same_kind")
            else:
                band *= ramp
                np.add(part, band, out=part, casting="same_kind")
    flat = mixed.reshape(-1)
    _add_drops(flat, start, controls.drop_pos, controls.drop_var, controls.drop_amp,
               design.drops)
    if not whole:
        out[:] = flat[:out.size]


def _warmup(sample_rate: int) -> int:
    """Samples of noise each block's filters run in on: a quarter second, ~50 times the
    slowest filter's time constant (5 ms), a whole number of 64-bit draws."""
    return -(-sample_rate // 16) * 4


@dataclass(frozen=True)
class _Design:
    """The fixed parts of a kind of bed at one sample rate."""

    kind: BedKind
    hop: int
    """Samples per control interval."""
    bands: list[np.ndarray]
    """One SOS filter per band, each scaled to unit output RMS for the raw white noise."""
    drops: np.ndarray
    """(variants, length) float32 raindrop waveforms, peak 1 (empty for ocean)."""
    k_power: np.ndarray
    """(bands, bands) expected K-weighted power of the bands' products, per sample."""
    drop_energy: np.ndarray
    """K-weighted energy of each raindrop variant."""


@dataclass(frozen=True)
class _Controls:
    """Everything random about a bed except its noise, at the control rate."""

    envs: list[np.ndarray]
    """Per band, the linear gain at each control point."""
    drop_pos: np.ndarray
    """First sample of each raindrop, ascending."""
    drop_var: np.ndarray
    """Which waveform each drop uses."""
    drop_amp: np.ndarray
    """Each drop's peak amplitude."""


@functools.cache
def _design(kind: BedKind, sample_rate: int) -> _Design:
    """The filters, drops and K-weighted powers of ``kind`` at ``sample_rate``."""
    hop = round(sample_rate / _CONTROL_RATE)
    bands = designs.bed_bands(kind, sample_rate)
    drops = (_drop_bank(sample_rate) if kind is BedKind.rain
             else np.zeros((0, 1), dtype=np.float32))
    k_sos = _k_weighting(sample_rate)
    weighted = [sosfilt(k_sos, impulse_response(sos, sample_rate), np.zeros((len(k_sos), 2)))[0]
                for sos in bands]
    k_power = WHITE_VAR * np.array([[float(a @ b) for b in weighted] for a in weighted])
    drop_energy = np.array([
        float(np.sum(sosfilt(k_sos, np.concatenate([d, np.zeros(sample_rate // 10)]),
                             np.zeros((len(k_sos), 2)))[0] ** 2))
        for d in drops.astype(np.float64)
    ])
    return _Design(kind, hop, bands, drops, k_power, drop_energy)


def _k_weighting(sample_rate: int) -> np.ndarray:
    from matcast.audio.kweighting import KWeighting

    return np.asarray(KWeighting(sample_rate, 1).sos, dtype=np.float64)


_DROP_VARIANTS = 12
_DROP_S = 0.025


@functools.cache
def _drop_bank(sample_rate: int) -> np.ndarray:
    """Raindrop waveforms: a short sine gliding upwards as it dies away (the "plip" of a drop
    landing in water), with a 1 ms raised-cosine onset so that no drop clicks."""
    rng = np.random.default_rng(20240611)  # the bank is part of the sound, not of the seed
    length = round(_DROP_S * sample_rate)
    t = np.arange(length) / sample_rate
    f0 = np.exp(rng.uniform(np.log(1800.0), np.log(4200.0), _DROP_VARIANTS))[:, None]
    glide = rng.uniform(1.15, 1.4, _DROP_VARIANTS)[:, None]
    tau = rng.uniform(0.004, 0.009, _DROP_VARIANTS)[:, None]
    phase = 2 * np.pi * f0 * (t + (glide - 1) * t**2 / (2 * _DROP_S))
    onset = np.minimum(t / 0.001, 1.0)
    # The decay is down to a few per cent by the end; the last 5 ms taper that to zero.
    offset = np.minimum((_DROP_S - t) / 0.005, 1.0)
    shape = np.sin(phase) * np.exp(-t / tau) * (0.5 - 0.5 * np.cos(np.pi * onset)) * (
        0.5 - 0.5 * np.cos(np.pi * offset))
    shape /= np.abs(shape).max(axis=1, keepdims=True)
    return shape.astype(np.float32)


_RAIN_DROP_RATE = 3.0
"""Raindrops per second at the rain's average level."""
_RAIN_DROP_DB = (-18.0, -6.0)
"""Range of drop peaks relative to the rain's RMS: heard as soft ticks, never as clicks."""
_OCEAN_PERIOD_S = (6.0, 12.0)
_OCEAN_TROUGH_DB = -10.0
"""Level between waves relative to a crest: the swell."""
_OCEAN_WASH_DB = -10.0
"""Level of the wash at a crest, relative to the body of the wave."""
_OCEAN_WASH_TROUGH_DB = -24.0
"""How far the wash dies away between waves, relative to its crest: it all but stops."""
_WAVE_PEAK = 0.4
"""Where in its cycle a wave crests: it builds faster than it recedes."""


def _controls(design: _Design, hops: int, streams: list[np.random.Generator]) -> _Controls:
    """The envelopes and drops of ``hops`` control intervals, drawn from ``streams``.

    Each quantity has its own stream and draws in time order, so a longer bed repeats a shorter
    one's controls.
    """
    rate = _CONTROL_RATE
    t = np.arange(hops + 1) / rate
    seconds = hops / rate
    match design.kind:
        case BedKind.rain:
            level_db = _wander(streams[0], t, 4.0, 1.5) + _wander(streams[1], t, 17.0, 1.0)
            # Heavier rain is louder and has more drops: thin a fast Poisson stream by the level.
            peak_db = 2 * (1.5 + 1.0)
            when = _arrivals(streams[2], _RAIN_DROP_RATE * 10 ** (peak_db / 10), seconds)
            level_then = np.interp(when, t, level_db)
            keep = streams[3].random(when.size) < 10 ** ((level_then - peak_db) / 10)
            variant = streams[4].integers(0, _DROP_VARIANTS, when.size)
            amp = 10 ** ((streams[5].uniform(*_RAIN_DROP_DB, when.size) + level_then) / 20)
            pos = np.round(when * design.hop * rate).astype(np.int64)
            return _Controls([10 ** (level_db / 20)], pos[keep], variant[keep],
                             amp[keep].astype(np.float32))
        case BedKind.ocean:
            # Irregular waves: each lasts its own 6-12 s and crests at its own height.
            count = int(seconds / _OCEAN_PERIOD_S[0]) + 2
            periods = streams[0].uniform(*_OCEAN_PERIOD_S, count)
            crest_db = np.clip(streams[1].normal(0.0, 1.5, count), -3.0, 3.0)
            edges = np.concatenate([[0.0], np.cumsum(periods)])
            wave = np.searchsorted(edges, t, side="right") - 1
            phase = (t - edges[wave]) / periods[wave]
            sets_db = _wander(streams[2], t, 40.0, 1.5)
            crest = crest_db[wave]
            body_db = sets_db + _OCEAN_TROUGH_DB + (crest - _OCEAN_TROUGH_DB) * _swell(phase)
            # The wash starts a little after the wave does and peaks more sharply.
            wash = _swell(np.clip((phase - 0.1) / 0.9, 0.0, 1.0)) ** 1.5
            wash_db = (sets_db + _OCEAN_WASH_DB + _OCEAN_WASH_TROUGH_DB
                       + (crest - _OCEAN_WASH_TROUGH_DB) * wash)
            none = np.zeros(0, dtype=np.int64)
            return _Controls([10 ** (body_db / 20), 10 ** (wash_db / 20)], none, none,
                             np.zeros(0, dtype=np.float32))
        case _:
            assert_never(design.kind)


def _swell(phase: np.ndarray) -> np.ndarray:
    """0 → 1 → 0 over one wave (phase 0..1), cresting at :data:`_WAVE_PEAK`, flat at both ends
    so that consecutive waves of different heights join smoothly."""
    warp = math.log(0.5) / math.log(_WAVE_PEAK)
    return np.sin(np.pi * phase**warp) ** 2


def _wander(rng: np.random.Generator, t: np.ndarray, spacing_s: float, sd_db: float
            ) -> np.ndarray:
    """A slow random level in dB at times ``t``: random targets every ``spacing_s`` joined by
    half-cosines (smooth, and never beyond two standard deviations)."""
    count = int(t[-1] / spacing_s) + 2
    knots = np.clip(rng.normal(0.0, sd_db, count), -2 * sd_db, 2 * sd_db)
    where = t / spacing_s
    index = np.minimum(where.astype(np.int64), count - 2)
    w = 0.5 - 0.5 * np.cos(np.pi * (where - index))
    return knots[index] * (1 - w) + knots[index + 1] * w


def _arrivals(rng: np.random.Generator, rate: float, seconds: float) -> np.ndarray:
    """Times of a Poisson process of ``rate`` per second up to ``seconds``, drawn in order."""
    parts = [np.zeros(0)]
    now = 0.0
    while now < seconds:
        gaps = rng.exponential(1 / rate, 1024)
        times = now + np.cumsum(gaps)
        parts.append(times)
        now = float(times[-1])
    times = np.concatenate(parts)
    return times[times < seconds]


def _add_drops(block: np.ndarray, start: int, pos: np.ndarray, variant: np.ndarray,
               amp: np.ndarray, bank: np.ndarray) -> None:
    """Add the drops that sound in ``block`` (which starts at sample ``start``), in place: a
    stretch of 256K samples at a time (each sample's sum has the same terms in the same order)."""
    length = bank.shape[1]
    for a in range(0, block.size if pos.size else 0, 1 << 18):
        b = min(a + (1 << 18), block.size)
        lo, hi = np.searchsorted(pos, [start + a - length + 1, start + b])
        where = (pos[lo:hi] - start - a)[:, None] + np.arange(length)
        values = amp[lo:hi, None] * bank[variant[lo:hi]]
        inside = (where >= 0) & (where < b - a)
        block[a:b] += np.bincount(where[inside], weights=values[inside],
                                  minlength=b - a).astype(np.float32)


def _raw_int16(noise: np.random.BitGenerator, samples: int) -> np.ndarray:
    # Little-endian on every machine, so a seed gives the same bed everywhere.
    return noise.random_raw(samples // 4).astype("<u8", copy=False).view("<i2")


def _expected_lufs(design: _Design, controls: _Controls, samples: int, sample_rate: int
                   ) -> float:
    """The BS.1770 integrated loudness of the first ``samples`` of a bed, before its gain.

    Read off the controls, without the audio: the bed's K-weighted energy in each 100 ms step is
    the bands' K-weighted power times their envelopes, integrated, plus the drops' energy (the
    envelopes move slowly enough that weighting them and the noise apart is exact to 0.01 dB).
    BS.1770 gating then runs on those energies as it would on the audio. What it leaves out is
    the noise's own random wobble, which averages out over a gating block.
    """
    hop = design.hop
    hops = -(-samples // hop)
    per_hop = np.zeros(hops)
    for i, e_i in enumerate(controls.envs):
        for j, e_j in enumerate(controls.envs):
            a_i, b_i, a_j, b_j = e_i[:hops], e_i[1:hops + 1], e_j[:hops], e_j[1:hops + 1]
            # The integral of the product of two linear ramps over one control interval.
            per_hop += design.k_power[i, j] * hop * (
                2 * a_i * a_j + a_i * b_j + b_i * a_j + 2 * b_i * b_j) / 6
    cumulative = np.concatenate([[0.0], np.cumsum(per_hop)])
    seg = round(_STEP_S * sample_rate)
    edges = np.minimum(np.arange(0, samples + seg, seg), samples)
    energy = np.diff(np.interp(edges / hop, np.arange(hops + 1), cumulative))
    heard = controls.drop_pos < samples
    if heard.any():
        energy += np.bincount(controls.drop_pos[heard] // seg,
                              weights=controls.drop_amp[heard].astype(np.float64) ** 2
                              * design.drop_energy[controls.drop_var[heard]],
                              minlength=energy.size)[:energy.size]
    return gated_lufs(energy, samples, sample_rate)
