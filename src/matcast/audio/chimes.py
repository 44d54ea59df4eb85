"""The bells: synthesised chimes that mark the start, transitions, side switches, quiet holds
and the end.

Owns what each chime sounds like and guarantees its length is exactly
:data:`matcast.cues.CHIME_SAMPLES`, so the compiler can schedule a chime without rendering it.
"""

from __future__ import annotations

import functools
import math
from dataclasses import dataclass

import numpy as np

from matcast.cues import CHIME_SAMPLES, SAMPLE_RATE, ChimeKind

PEAK = 0.3
"""Peak amplitude of every chime: well under a voice normalised to ~0.9, so bells never startle."""

_FADE_S = 0.05
"""The tail is faded to exact zero over this long, so cutting after a chime can never click."""

_PARTIALS: tuple[tuple[float, float, float], ...] = (
    # (frequency ratio, relative amplitude, relative decay time). The inharmonic ratios are those
    # of a struck bar/bell; higher partials die faster, which is what makes the tone sound struck.
    (1.0, 1.0, 1.0),
    (2.76, 0.42, 0.55),
    (5.40, 0.2, 0.32),
    (8.93, 0.09, 0.2),
)


@dataclass(frozen=True, slots=True)
class _Strike:
    """One hit of the bell."""

    at: float
    """Onset, in seconds from the start of the chime."""
    freq: float
    """Fundamental frequency in Hz."""
    amp: float
    """Relative loudness of this strike."""


@dataclass(frozen=True, slots=True)
class _Voice:
    """How one kind of chime is played."""

    strikes: tuple[_Strike, ...]
    decay: float
    """Decay time constant of the fundamental, in seconds."""
    attack: float
    """Raised-cosine attack length, in seconds: a soft mallet rather than a click."""
    brightness: float
    """Scales the upper partials: below 1 is mellower, above 1 is lighter and glassier."""


_VOICES: dict[ChimeKind, _Voice] = {
    # A rising fourth (G4 then C5): an invitation to begin.
    ChimeKind.start: _Voice(
        strikes=(_Strike(0.0, 392.00, 0.85), _Strike(0.7, 523.25, 1.0)),
        decay=0.75, attack=0.015, brightness=0.8,
    ),
    # One mid bell (D5): moving on to the next pose.
    ChimeKind.transition: _Voice(
        strikes=(_Strike(0.0, 587.33, 1.0),), decay=0.5, attack=0.01, brightness=1.0,
    ),
    # A short, high, light tap (A6): change sides, nothing more.
    ChimeKind.switch: _Voice(
        strikes=(_Strike(0.0, 1760.0, 1.0),), decay=0.2, attack=0.005, brightness=0.6,
    ),
    # One soft, mellow bell (E5), quicker to fade: a hold begins or ends, without words.
    ChimeKind.hold: _Voice(
        strikes=(_Strike(0.0, 659.26, 1.0),), decay=0.3, attack=0.02, brightness=0.4,
    ),
    # Three low, fading strikes (G3): the session is over.
    ChimeKind.end: _Voice(
        strikes=(_Strike(0.0, 196.00, 1.0), _Strike(1.1, 196.00, 0.8), _Strike(2.2, 196.00, 0.62)),
        decay=0.6, attack=0.02, brightness=0.7,
    ),
}


def chime_length(kind: ChimeKind, sample_rate: int = SAMPLE_RATE) -> int:
    """Number of samples :func:`chime` returns for ``kind`` at ``sample_rate``."""
    return round(CHIME_SAMPLES[kind] * sample_rate / SAMPLE_RATE)


def chime(kind: ChimeKind, sample_rate: int = SAMPLE_RATE) -> np.ndarray:
    """The chime ``kind`` as float32 mono of exactly :func:`chime_length` samples.

    The array is cached and read-only: copy it before changing it. Peak amplitude is
    :data:`PEAK`; the first and last samples are exactly zero.
    """
    return _render(ChimeKind(kind), int(sample_rate))


@functools.cache
def _render(kind: ChimeKind, sample_rate: int) -> np.ndarray:
    if sample_rate <= 0:
        raise ValueError(f"sample rate must be positive, got {sample_rate}")
    voice = _VOICES[kind]
    n = chime_length(kind, sample_rate)
    out = np.zeros(n, dtype=np.float64)
    nyquist = sample_rate / 2
    for strike in voice.strikes:
        onset = round(strike.at * sample_rate)
        t = np.arange(n - onset, dtype=np.float64) / sample_rate
        ring = np.zeros_like(t)
        for ratio, amp, decay in _PARTIALS:
            freq = strike.freq * ratio
            if freq >= 0.9 * nyquist:
                continue  # would alias (or ring harshly) at low sample rates
            level = amp if ratio == 1.0 else amp * voice.brightness
            ring += level * np.exp(-t / (voice.decay * decay)) * np.sin(2 * np.pi * freq * t)
        attack = max(1, round(voice.attack * sample_rate))
        head = min(attack, ring.size)
        ring[:head] *= 0.5 - 0.5 * np.cos(np.pi * np.arange(head) / attack)
        out[onset:] += strike.amp * ring
    fade = min(n, max(1, round(_FADE_S * sample_rate)))
    # Fade the ring-out rather than cut it: the mixer butts the next sound right up against it.
    out[n - fade:] *= np.cos(0.5 * math.pi * np.arange(1, fade + 1) / fade) ** 2
    if n:
        out[-1] = 0.0  # cos² of π/2 is ~1e-33, not zero; a cut must land on true silence
    peak = float(np.max(np.abs(out))) if n else 0.0
    if peak > 0:
        out *= PEAK / peak
    result = out.astype(np.float32)
    result.flags.writeable = False
    return result
