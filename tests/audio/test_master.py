"""Mastering clip by clip agrees with measuring the joined session."""

from __future__ import annotations

import hashlib
import math
from pathlib import Path

import numpy as np
import pyloudnorm
import pytest
from scipy import signal

from matcast.audio.loudness import measure
from matcast.audio.master import (
    CLIP_CEILING_DBTP,
    CLIP_LUFS,
    ProfileStore,
    level_clip,
    master,
    session_loudness,
)
from matcast.audio.mixer import assemble, pcm
from matcast.compiler import CompileOptions, compile_routine
from matcast.cues import SAMPLE_RATE, EventKind
from matcast.routine.loader import load_routine

ROOT = Path(__file__).resolve().parents[2]


def speechlike(text: str) -> np.ndarray:
    """A deterministic, peaky stand-in for a spoken line, as long as its text suggests."""
    rng = np.random.default_rng(int(hashlib.sha256(text.encode()).hexdigest()[:8], 16))
    n = round((0.3 + 0.05 * len(text)) * SAMPLE_RATE)
    t = np.arange(n) / SAMPLE_RATE
    voice = signal.lfilter([1.0], [1.0, -0.9], rng.standard_normal(n)) * np.sin(
        2 * np.pi * 3 * t) ** 2
    voice[rng.integers(0, n, 5)] *= 8  # clicks a plain gain would clip
    return np.clip(voice / np.abs(voice).max() * 20000, -32768, 32767).astype(np.int16)


@pytest.fixture(scope="module")
def session() -> tuple:  # type: ignore[type-arg]
    loaded = load_routine(ROOT / "routines" / "thunderbolt.yaml")
    script = compile_routine(loaded)
    clips = {t: level_clip(speechlike(t)) for t in script.speech_texts()}
    script = compile_routine(loaded, CompileOptions(), {t: len(c) for t, c in clips.items()})
    return script, clips


def test_level_clip_hits_target_under_ceiling() -> None:
    for text in ("Inhale.", "Sit tall, with your head balanced right over your spine."):
        report = measure(level_clip(speechlike(text)).astype(np.float32) / 32768, SAMPLE_RATE)
        assert report.true_peak_dbtp <= CLIP_CEILING_DBTP + 0.01
        # Within 1 LU: a very peaky line may end a little under; the session gain evens it out.
        assert abs(report.integrated_lufs - CLIP_LUFS) <= 1.0


def test_session_loudness_from_profiles_matches_a_meter(session: tuple, tmp_path: Path
                                                        ) -> None:  # type: ignore[type-arg]
    script, clips = session
    joined = pcm(assemble(script, clips)).astype(np.float64) / 32768
    reference = pyloudnorm.Meter(SAMPLE_RATE).integrated_loudness(joined)
    store = ProfileStore(tmp_path)
    sounds = {e.text: clips[e.text] for e in script.events if e.kind is EventKind.speech}
    from matcast.audio.chimes import chime

    sounds.update({e.chime: chime(e.chime) for e in script.events if e.kind is EventKind.chime})
    profiles = {k: store.get(v) for k, v in sounds.items()}
    assert abs(session_loudness(script, profiles) - reference) <= 0.1
    # A second read comes from disk and gives the same answer.
    again = {k: store.get(v) for k, v in sounds.items()}
    assert all(np.array_equal(profiles[k], again[k]) for k in profiles)


def test_master_brings_the_joined_session_to_target(session: tuple, tmp_path: Path
                                                    ) -> None:  # type: ignore[type-arg]
    script, clips = session
    for target in (-16.0, -14.0, -20.0):
        done = master(script, clips, target, profiles=ProfileStore(tmp_path))
        joined = pcm(assemble(script, done.speech, done.chimes)).astype(np.float32) / 32768
        report = measure(joined, SAMPLE_RATE)
        assert abs(report.integrated_lufs - target) <= 0.2, target
        assert report.true_peak_dbtp <= -1.5 + 0.05, target


def test_gating_reads_a_rounding_below_zero_as_silence_and_nan_as_nan() -> None:
    """A session's step energies are differences of running sums: a near-silent clip tail can
    leave one an ulp below zero. That once made the loudness NaN, and the session went out at
    0 dB gain (happy-baby, 8 min, slow, with eSpeak)."""
    from matcast.audio.gating import STEP, gated_lufs

    energy = np.zeros(200)
    energy[:50] = 1e3
    n = 200 * STEP
    clean = gated_lufs(energy, n, SAMPLE_RATE)
    energy[120] = -2.91e-11  # inside a stretch of digital silence
    assert math.isfinite(clean) and gated_lufs(energy, n, SAMPLE_RATE) == clean
    energy[10] = np.nan
    assert math.isnan(gated_lufs(energy, n, SAMPLE_RATE))
