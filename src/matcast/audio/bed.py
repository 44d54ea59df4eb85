"""Background sound beds: generated rain and ocean, a user's own audio looped, ducking under speech.

Owns what a bed sounds like and how loud it is relative to the voice: :func:`generate_bed` and
:func:`load_bed` make a bed of exactly the session's length at :data:`BED_LUFS`,
:func:`ducking_gain` turns a cue script into the gain that lowers the bed under every spoken line,
and :func:`mix_bed` adds the ducked bed to the voice at a level relative to :data:`BED_LUFS`.
Whether a session has a bed, and which, is the build's business.

Generated beds are filtered noise shaped by envelopes that change over seconds. The envelopes and
raindrops are drawn first at a 100 Hz control rate, for the whole length, from their own random
streams; the audio is then made in independent blocks (in parallel), each block's filters running
in on the noise just before it, so a bed is seamless and costs memory proportional to its length.
Its level is set before any audio exists: its loudness follows from the filters' K-weighted power
and the envelopes, so an hour of audio is never measured.
"""

from __future__ import annotations

import functools
import math
import os
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass
from enum import StrEnum
from pathlib import Path
from typing import assert_never

import numpy as np
from scipy import signal

from matcast.audio.ffmpeg import decode_pcm
from matcast.audio.gating import _STEP_S, gated_lufs
from matcast.cues import SAMPLE_RATE, CueScript, EventKind
from matcast.errors import ToolError, UsageError

BED_LUFS = -30.0
"""Integrated loudness every bed is brought to before ``level_db`` is applied.

Low enough that a bed at 0 dB never clips (noise peaks sit ~15 dB above its RMS), and a round
number for ``level_db`` to be relative to.
"""

DEFAULT_LEVEL_DB = -12.0
"""Bed level relative to :data:`BED_LUFS`: the bed plays at -42 LUFS in silences.

That is 26 LU under a -16 LUFS voice: at a volume where the voice is comfortable, the bed is a
soft sound a little above a quiet room's own, clearly there through a long hold, and ducked a
further 12 dB under speech (38 LU down) it never competes with a word. It is as loud as it can be
while staying out of the session's loudness reading with room to spare: BS.1770 leaves out
blocks 10 LU under the session's average, and that average falls as routines talk less. With
stand-in voices, every shipped routine measures within 0.2 LU of its voice alone at -12 dB (the
0.1-0.2 LU is the same at any bed level: silence that was under the -70 LUFS gate now counts
towards the average the relative gate is set from). At -6 dB the ocean's crests already lower
legs-up-the-wall (16 % speech) by 2.5 LU; a quieter bed (-18 dB) gains nothing in the reading
and starts to vanish under everyday room noise on earbuds.
"""

DEFAULT_DUCK_DB = -12.0
"""How far the bed dips under speech."""

DEFAULT_FADE_S = 3.0
"""The bed fades in over the session's first seconds and out over its last (under the start and
end chimes), so it neither starts nor stops abruptly."""

_MIN_OPEN_S = 0.5
"""Between two lines the bed comes back up only if it can stay up this long: rising for a moment
and falling straight back is the pumping ducking must avoid."""

_CONTROL_RATE = 100
"""Envelope points per second, interpolated linearly to the audio rate (10 ms between points is
far faster than anything the envelopes do, so the interpolation is inaudible)."""

_BLOCK_HOPS = 4800
"""Control intervals per audio block (48 s): large enough that per-block overhead is nothing,
small enough that temporaries stay a few MB."""

_MAX_WORKERS = 4
"""Threads rendering a generated bed's blocks at once: a laptop's cores, no more (the rest of the
build may be busy too)."""

_WHITE_VAR = (2 * 32768**2 + 1) / 6
"""Variance of uniform int16 noise, the raw material (four samples per 64-bit draw, ~10x faster
than Gaussian draws; the filters make it Gaussian enough)."""

_MIX_BLOCK = 1 << 20
"""Samples per step of :func:`mix_bed`: bounds its temporaries."""

_SILENT = 2
"""Leading and trailing samples of a user's file at or under this (int16) are trimmed before
looping: decoders and editors leave a few milliseconds of digital silence that would gap the
loop."""


class BedKind(StrEnum):
    """A generated bed."""

    rain = "rain"
    """Soft steady rain: high-passed pink-ish noise that wanders a little, with sparse drops."""
    ocean = "ocean"
    """Waves on a shore: low-passed brown-ish noise swelling every 6-12 s, with a hiss of wash."""


_SALT = {BedKind.rain: 1, BedKind.ocean: 2}
"""Mixed into the seed so that rain and ocean with the same seed share no random numbers."""


# --- generated beds ------------------------------------------------------------------------------


def generate_bed(kind: BedKind, samples: int, sample_rate: int = SAMPLE_RATE,
                 seed: int = 0) -> np.ndarray:
    """``samples`` of float32 mono bed at :data:`BED_LUFS`, the same every time for a seed.

    Up to its gain (a fraction of a dB), a bed is the start of any longer bed of the same kind,
    seed and rate.
    """
    if samples < 0:
        raise ValueError(f"samples must be >= 0, got {samples}")
    design = _design(BedKind(kind), sample_rate)
    out = np.empty(samples, dtype=np.float32)
    if samples == 0:
        return out
    block = design.hop * _BLOCK_HOPS
    hops = -(-samples // block) * _BLOCK_HOPS
    noise_seed, *control_seeds = np.random.SeedSequence([seed, _SALT[design.kind]]).spawn(8)
    controls = _controls(design, hops,
                         [np.random.Generator(np.random.PCG64(s)) for s in control_seeds])
    lufs = _expected_lufs(design, controls, samples, sample_rate)
    gain = np.float32(10 ** ((BED_LUFS - lufs) / 20))
    scaled = _Controls([(e * gain).astype(np.float32) for e in controls.envs],
                       controls.drop_pos, controls.drop_var, controls.drop_amp * gain)

    def render(start: int) -> None:
        _render_block(design, noise_seed, scaled, start, out[start:start + block])

    starts = range(0, samples, block)
    workers = min(_MAX_WORKERS, os.cpu_count() or 1, len(starts))
    if workers == 1:
        for start in starts:
            render(start)
    else:
        # sosfilt and numpy's large-array loops release the GIL, so blocks render in parallel.
        with ThreadPoolExecutor(workers) as pool:
            list(pool.map(render, starts))
    return out


def _render_block(design: _Design, noise_seed: np.random.SeedSequence, controls: _Controls,
                  start: int, out: np.ndarray) -> None:
    """Render the bed from sample ``start`` into ``out`` (one block, or the bed's short end).

    Blocks do not depend on each other, so they can render in any order: the noise generator
    jumps straight to the block's place in the stream, and the filters run in on the
    :func:`_warmup` samples of noise before it. Their memory is a few milliseconds, so that
    leaves them in the state the previous block ended in (to 1e-13): no seam. They run in
    float64 because with poles this close to 1, float32 arithmetic leaves a rounding-noise floor
    only 90 dB down that differs from run to run, so two blocks would not quite meet.
    """
    hop = design.hop
    block = hop * _BLOCK_HOPS
    warm = _warmup(hop * _CONTROL_RATE)
    noise = np.random.PCG64(noise_seed)
    # Noise sample i is raw draw (warm + i) / 4: the first block has run-in noise too.
    noise.advance(start // 4)
    white = _raw_int16(noise, warm + block).astype(np.float64)
    first = start // hop
    frac = (np.arange(hop, dtype=np.float32) / np.float32(hop))[None, :]
    ramp = np.empty((_BLOCK_HOPS, hop), dtype=np.float32)
    mixed = np.empty((_BLOCK_HOPS, hop), dtype=np.float32)
    for i, (sos, env_all) in enumerate(zip(design.bands, controls.envs, strict=True)):
        band = signal.sosfilt(sos, white)[warm:].reshape(-1, hop)
        env = env_all[first:first + _BLOCK_HOPS + 1]
        np.multiply((env[1:] - env[:-1])[:, None], frac, out=ramp)
        ramp += env[:-1, None]
        if i == 0:
            np.multiply(band, ramp, out=mixed, casting="same_kind")
        else:
            band *= ramp
            np.add(mixed, band, out=mixed, casting="same_kind")
    flat = mixed.reshape(-1)
    _add_drops(flat, start, controls.drop_pos, controls.drop_var, controls.drop_amp,
               design.drops)
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
    two_pi = 2 * np.pi
    match kind:
        case BedKind.rain:
            # Pink between 400 Hz and 3.2 kHz from two pole-zero pairs an octave apart
            # (-3 dB/octave on average, which is what makes noise sound soft rather than hissy),
            # a first-order high-pass at 250 Hz so there is no rumble, and a first-order roll-off
            # above 7 kHz so there is no sizzle.
            zeros = two_pi * -np.array([0.0, 800.0, 3200.0])
            poles = two_pi * -np.array([250.0, 400.0, 1600.0, 7000.0])
            bands = [_analog_sos(zeros, poles, sample_rate)]
            drops = _drop_bank(sample_rate)
        case BedKind.ocean:
            # The body of the wave: brown noise (a leaky integrator above 60 Hz) with the rumble
            # below 30 Hz cut (earbuds and phones cannot play it; it would only eat headroom) and
            # everything above 800 Hz rolled off steeply, so it roars rather than hisses.
            lp_z, lp_p, _ = signal.butter(2, two_pi * 800.0, analog=True, output="zpk")
            zeros = np.concatenate([[0.0], lp_z])
            poles = np.concatenate([two_pi * -np.array([30.0, 60.0]), lp_p])
            # The wash: a gentle band of hiss that rises as a wave breaks and fades as it
            # recedes.
            bp_z, bp_p, _ = signal.butter(1, [two_pi * 700.0, two_pi * 5000.0],
                                          btype="bandpass", analog=True, output="zpk")
            bands = [_analog_sos(zeros, poles, sample_rate),
                     _analog_sos(bp_z, bp_p, sample_rate)]
            drops = np.zeros((0, 1), dtype=np.float32)
        case _:
            assert_never(kind)

    k_sos = _k_weighting(sample_rate)
    impulse = np.zeros(sample_rate)
    impulse[0] = 1.0
    weighted = [signal.sosfilt(k_sos, signal.sosfilt(sos, impulse))
                for sos in bands]
    k_power = _WHITE_VAR * np.array([[float(a @ b) for b in weighted] for a in weighted])
    drop_energy = np.array([
        float(np.sum(signal.sosfilt(k_sos, np.concatenate([d, np.zeros(sample_rate // 10)]))**2))
        for d in drops.astype(np.float64)
    ])
    return _Design(kind, hop, bands, drops, k_power, drop_energy)


def _analog_sos(zeros: np.ndarray, poles: np.ndarray, sample_rate: int) -> np.ndarray:
    """SOS of an analog design (rad/s), scaled to unit output RMS for the raw noise."""
    z, p, k = signal.bilinear_zpk(zeros, poles, 1.0, sample_rate)
    sos = signal.zpk2sos(z, p, k)
    impulse = np.zeros(sample_rate)
    impulse[0] = 1.0
    power = _WHITE_VAR * float(np.sum(signal.sosfilt(sos, impulse) ** 2))
    sos[0, :3] /= math.sqrt(power)
    return sos


def _k_weighting(sample_rate: int) -> np.ndarray:
    from matcast.audio.loudness import _KWeighting

    return np.asarray(_KWeighting(sample_rate, 1).sos, dtype=np.float64)


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
    """Add the drops that sound in ``block`` (which starts at sample ``start``), in place."""
    if pos.size == 0:
        return
    length = bank.shape[1]
    lo, hi = np.searchsorted(pos, [start - length + 1, start + block.size])
    if lo == hi:
        return
    where = (pos[lo:hi] - start)[:, None] + np.arange(length)
    values = amp[lo:hi, None] * bank[variant[lo:hi]]
    inside = (where >= 0) & (where < block.size)
    block += np.bincount(where[inside], weights=values[inside],
                         minlength=block.size).astype(np.float32)


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


# --- a user's own file ---------------------------------------------------------------------------


def load_bed(path: Path, samples: int, sample_rate: int = SAMPLE_RATE,
             crossfade_s: float = 2.0) -> np.ndarray:
    """A user's audio file as ``samples`` of float32 mono at :data:`BED_LUFS`, looped as needed.

    The file plays from its start; each time it runs out, its last ``crossfade_s`` is crossfaded
    (equal power) into its first, so loops join without a click or a gap. Raises
    :class:`~matcast.errors.UsageError` for a missing, undecodable, silent or too-short file
    (it must last at least two crossfades), and lets :class:`~matcast.errors.ToolError` through
    when ffmpeg itself is missing.
    """
    if samples < 0:
        raise ValueError(f"samples must be >= 0, got {samples}")
    if not crossfade_s >= 0:
        raise UsageError(f"the background sound crossfade must be 0 s or more, got {crossfade_s}")
    path = Path(path)
    what = f"background sound {path}"
    if not path.is_file():
        raise UsageError(f"{what}: no such file")
    try:
        pcm = decode_pcm(path, sample_rate, 1)
    except ToolError as exc:
        if exc.code is None:  # ffmpeg is missing or would not start: not the file's fault
            raise
        said = [line for line in exc.stderr.strip().splitlines() if line.strip()]
        reason = f" ({said[-1].strip()})" if said else ""
        raise UsageError(f"{what}: ffmpeg cannot read it as audio{reason}") from exc
    sound = (pcm > _SILENT) | (pcm < -_SILENT)
    if not sound.any():
        raise UsageError(f"{what}: the file is silent")
    first, last = int(sound.argmax()), pcm.size - int(sound[::-1].argmax())
    clip = np.multiply(pcm[first:last], np.float32(1 / 32768), dtype=np.float32)
    fade = round(crossfade_s * sample_rate)
    if clip.size < 2 * fade:
        raise UsageError(
            f"{what}: {clip.size / sample_rate:.1f} s of sound is too short to loop; it must "
            f"last at least {2 * crossfade_s:g} s (twice the {crossfade_s:g} s crossfade)"
        )
    # One loop: the clip less its tail, whose first `fade` samples hold the tail fading out over
    # the head fading in. Repeated, each loop runs on from the sample the previous one ended on.
    period = clip.size - fade
    loop = clip[:period].copy()
    t = (np.arange(fade, dtype=np.float64) + 0.5) * (np.pi / 2 / max(fade, 1))
    loop[:fade] = clip[period:] * np.cos(t) + clip[:fade] * np.sin(t)

    from matcast.audio.loudness import integrated_loudness

    lufs = integrated_loudness(loop, sample_rate)
    if not math.isfinite(lufs):
        raise UsageError(f"{what}: the file is too quiet to use")
    gain = np.float32(10 ** ((BED_LUFS - lufs) / 20))
    loop *= gain
    out = np.resize(loop, samples)
    # The first time through, the file plays from its true start, not from the crossfade.
    head = min(fade, samples)
    np.multiply(clip[:head], gain, out=out[:head])
    return out


# --- ducking and mixing --------------------------------------------------------------------------


def ducking_gain(script: CueScript, sample_rate: int = SAMPLE_RATE,
                 duck_db: float = DEFAULT_DUCK_DB, attack_s: float = 0.25,
                 release_s: float = 0.8, lead_s: float = 0.15,
                 fade_s: float = DEFAULT_FADE_S) -> np.ndarray:
    """The bed's float32 gain over ``script``: 1 in silence, ``10**(duck_db/20)`` under speech.

    Before each line the gain falls over ``attack_s`` and is fully down ``lead_s`` before the
    voice starts (so the first syllable never lands on a bed still falling); after it, it rises
    over ``release_s``. Both moves are raised-cosine in dB. Lines closer than it takes to rise,
    stay up for :data:`_MIN_OPEN_S` and fall again keep the bed down between them. The bed also
    fades in over the first ``fade_s`` and out over the last (``fade_s=0``: no fades).

    Times in the script are at :data:`~matcast.cues.SAMPLE_RATE`; the envelope is at
    ``sample_rate`` (``script.duration`` samples long at the default).
    """
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
        opens = (down[1:] - attack) - (up[:-1] + release) >= at(_MIN_OPEN_S)
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


def mix_bed(voice: np.ndarray, bed: np.ndarray, gain: np.ndarray, level_db: float
            ) -> np.ndarray:
    """``voice + bed * gain * 10**(level_db/20)`` as float32 mono.

    A float32 ``voice`` is mixed into in place and returned (a session is long; this makes no
    full-length copy). Any other float ``voice`` is copied to float32 first; int16 is scaled to
    [-1, 1). ``level_db`` is relative to :data:`BED_LUFS` (see :data:`DEFAULT_LEVEL_DB`).
    """
    if not (voice.ndim == 1 and voice.shape == bed.shape == gain.shape):
        raise ValueError(f"voice, bed and gain must be 1-D and the same length; got "
                         f"{voice.shape}, {bed.shape} and {gain.shape}")
    if voice.dtype == np.float32 and voice.flags.writeable:
        out = voice
    elif voice.dtype == np.int16:
        out = voice.astype(np.float32)
        out *= np.float32(1 / 32768)
    else:
        out = voice.astype(np.float32)
    level = np.float32(10 ** (level_db / 20))
    scratch = np.empty(min(_MIX_BLOCK, out.size), dtype=np.float32)
    for start in range(0, out.size, _MIX_BLOCK):
        stop = min(start + _MIX_BLOCK, out.size)
        part = scratch[:stop - start]
        np.multiply(bed[start:stop], gain[start:stop], out=part, casting="unsafe")
        part *= level
        out[start:stop] += part
    return out


def _cos_ramp(length: int) -> np.ndarray:
    """``length`` points of a raised cosine from 0 towards 1, sampled mid-step (so neither end
    is repeated when a ramp meets a flat stretch)."""
    return 0.5 - 0.5 * np.cos(np.pi * (np.arange(length) + 0.5) / max(length, 1))


def _put(into: np.ndarray, start: int, values: np.ndarray) -> None:
    """``into[start:start + len(values)] = values``, for the part that falls inside ``into``."""
    lo, hi = max(start, 0), min(start + values.size, into.size)
    if lo < hi:
        into[lo:hi] = values[lo - start:hi - start]
