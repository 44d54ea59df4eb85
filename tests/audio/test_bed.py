"""Tests for background sound beds: generated rain and ocean, a user's file looped, ducking, mixing.

Everything runs for real (imageio-ffmpeg's ffmpeg for the user files); beds are kept to a few
minutes so the whole file runs in seconds.
"""

from __future__ import annotations

import hashlib
import math
from pathlib import Path

import numpy as np
import pytest
from scipy import ndimage, signal
from scipy.io import wavfile

from matcast.audio import generated_bed
from matcast.audio.bed import (
    BED_LUFS,
    DEFAULT_LEVEL_DB,
    BedKind,
    ducking_gain,
    load_bed,
    mix_bed,
)
from matcast.audio.ffmpeg import decode_pcm, encode_mp3
from matcast.audio.generated_bed import generate_bed
from matcast.audio.loudness import integrated_loudness
from matcast.audio.master import level_clip, master
from matcast.audio.mixer import assemble, to_float
from matcast.compiler import CompileOptions, compile_routine
from matcast.cues import SAMPLE_RATE, CueScript, Event, EventKind
from matcast.errors import UsageError
from matcast.routine.loader import load_routine

SR = SAMPLE_RATE
ROOT = Path(__file__).resolve().parents[2]
KINDS = list(BedKind)


def rms(x: np.ndarray) -> float:
    return float(np.sqrt(np.mean(np.square(x, dtype=np.float64))))


def db(x: float) -> float:
    return 20 * math.log10(x)


def short_term_db(x: np.ndarray, seconds: float) -> np.ndarray:
    """RMS in dB over consecutive windows of ``seconds``."""
    size = round(seconds * SR)
    frames = x[: x.size // size * size].astype(np.float64).reshape(-1, size)
    return 10 * np.log10(np.mean(frames**2, axis=1))


def centroid(x: np.ndarray) -> float:
    freqs, power = signal.welch(x, SR, nperseg=8192)
    return float((freqs * power).sum() / power.sum())


def worst_jump(x: np.ndarray) -> float:
    """The largest sample-to-sample step relative to the typical step around it (over ~1 s).

    Smooth material and noise alike stay well under 7 (a Gaussian tail over millions of steps);
    a click or a seam stands out as a step many times the local ones.
    """
    step = np.diff(x.astype(np.float64))
    local = np.sqrt(ndimage.uniform_filter1d(step**2, SR, mode="nearest"))
    return float(np.max(np.abs(step) / local))


@pytest.fixture(scope="module")
def beds() -> dict[BedKind, np.ndarray]:
    return {kind: generate_bed(kind, 120 * SR, seed=3) for kind in KINDS}


# --- generated beds ------------------------------------------------------------------------------


@pytest.mark.parametrize("kind", KINDS)
@pytest.mark.parametrize("samples", [0, 1, 441, 12_345, 441 * 4800 + 7])
def test_generated_bed_is_exactly_as_long_as_asked(kind: BedKind, samples: int) -> None:
    x = generate_bed(kind, samples)
    assert x.shape == (samples,)
    assert x.dtype == np.float32
    assert np.isfinite(x).all()


@pytest.mark.parametrize("kind", KINDS)
def test_generated_bed_is_deterministic_per_seed(kind: BedKind) -> None:
    a, b = generate_bed(kind, 5 * SR, seed=7), generate_bed(kind, 5 * SR, seed=7)
    assert np.array_equal(a, b)
    c = generate_bed(kind, 5 * SR, seed=8)
    assert np.corrcoef(a, c)[0, 1] < 0.1
    # The kind is mixed into the seed: rain and ocean share no noise.
    assert np.corrcoef(a, generate_bed(BedKind.rain if kind is BedKind.ocean else BedKind.ocean,
                                       5 * SR, seed=7))[0, 1] < 0.1


@pytest.mark.parametrize("kind", KINDS)
def test_blocks_join_without_a_seam(kind: BedKind, monkeypatch: pytest.MonkeyPatch) -> None:
    whole = generate_bed(kind, 20 * SR, seed=1)
    # One-second blocks put nineteen joins inside the same stretch; threads or not, the bed is
    # the same samples, so the joins are as seamless as the inside of a block.
    monkeypatch.setattr(generated_bed, "_BLOCK_HOPS", 100)
    pieces = generate_bed(kind, 20 * SR, seed=1)
    monkeypatch.setattr(generated_bed, "_MAX_WORKERS", 1)
    serial = generate_bed(kind, 20 * SR, seed=1)
    assert np.array_equal(pieces, serial)
    assert np.max(np.abs(pieces - whole)) < 1e-5 * rms(whole)


@pytest.mark.parametrize("kind", KINDS)
def test_a_shorter_bed_is_the_start_of_a_longer_one(kind: BedKind) -> None:
    short, long = generate_bed(kind, 30 * SR), generate_bed(kind, 90 * SR)[: 30 * SR]
    gain = float(np.dot(short, long) / np.dot(long, long))
    assert abs(db(gain)) < 1.5
    assert np.allclose(short, long * gain, atol=1e-5 * rms(short))


@pytest.mark.parametrize("kind", KINDS)
def test_generated_bed_is_at_bed_loudness(kind: BedKind, beds: dict[BedKind, np.ndarray]
                                          ) -> None:
    assert integrated_loudness(beds[kind], SR) == pytest.approx(BED_LUFS, abs=0.2)
    short = generate_bed(kind, 20 * SR, seed=11)
    assert integrated_loudness(short, SR) == pytest.approx(BED_LUFS, abs=0.3)
    other_rate = generate_bed(kind, 20 * 48_000, sample_rate=48_000, seed=11)
    assert other_rate.size == 20 * 48_000
    assert integrated_loudness(other_rate, 48_000) == pytest.approx(BED_LUFS, abs=0.3)


def test_rain_is_brighter_than_ocean(beds: dict[BedKind, np.ndarray]) -> None:
    rain, ocean = centroid(beds[BedKind.rain]), centroid(beds[BedKind.ocean])
    assert rain > 2 * ocean
    # Calm, not harsh: little of the rain's energy is above 8 kHz, and the sea is mostly low.
    freqs, power = signal.welch(beds[BedKind.rain], SR, nperseg=8192)
    assert power[freqs > 8000].sum() / power.sum() < 0.15
    assert 100 < centroid(beds[BedKind.ocean]) < 1000


def test_ocean_swells_like_waves(beds: dict[BedKind, np.ndarray]) -> None:
    level = short_term_db(beds[BedKind.ocean], 0.25)
    per_second = short_term_db(beds[BedKind.ocean], 1.0)
    assert per_second.max() - per_second.min() > 6
    # Count the waves: upward crossings of the median level, over two minutes.
    smooth = ndimage.uniform_filter1d(level, 8)  # 2 s
    above = smooth > np.median(smooth)
    waves = int(np.sum(above[1:] & ~above[:-1]))
    assert 120 / 13 <= waves <= 120 / 5


def test_rain_varies_gently(beds: dict[BedKind, np.ndarray]) -> None:
    per_second = short_term_db(beds[BedKind.rain], 1.0)
    assert 1 < per_second.max() - per_second.min() < 10
    assert np.max(np.abs(np.diff(per_second))) < 3


@pytest.mark.parametrize("kind", KINDS)
def test_generated_bed_has_no_clicks(kind: BedKind, beds: dict[BedKind, np.ndarray]) -> None:
    x = beds[kind]
    assert worst_jump(x) < 7
    assert np.max(np.abs(np.diff(x))) < 4 * rms(x)
    # Peaks stay modest: nothing pokes out of the bed.
    assert np.max(np.abs(x)) < 10 * rms(x)


# --- a user's own file ---------------------------------------------------------------------------


def user_clip(seconds: float) -> np.ndarray:
    """A tone whose pitch does not fit the clip and whose level grows: looped naively, it would
    jump at every seam (checked below); a little noise keeps it from being a pure tone."""
    t = np.arange(round(seconds * SR)) / SR
    rng = np.random.default_rng(5)
    tone = np.sin(2 * np.pi * 220.7 * t + 1.0) * (0.2 + 0.15 * t / seconds)
    return np.round((tone + 0.005 * rng.standard_normal(t.size)) * 32767).astype(np.int16)


def assert_loops_cleanly(out: np.ndarray, clip: np.ndarray, crossfade_s: float,
                         slack: float) -> None:
    fade = round(crossfade_s * SR)
    period = clip.size - fade
    body = np.max(np.abs(np.diff(clip.astype(np.float64) / 32768)))
    gain = rms(out[:period]) / rms(clip[:period].astype(np.float64) / 32768)
    # A plain repeat would jump by more than the bound at each seam: the check can see one.
    assert abs(int(clip[-1]) - int(clip[0])) / 32768 > 3 * body
    seams = np.arange(period, out.size, period)
    assert seams.size >= 3
    for seam in seams:
        window = out[max(seam - fade, 0):seam + fade].astype(np.float64)
        assert np.max(np.abs(np.diff(window))) <= slack * body * gain, seam
    # The first pass plays the file from its true start.
    assert np.allclose(out[: SR // 2], clip[: SR // 2] / 32768 * gain, atol=1e-4)


def test_load_bed_loops_a_wav_seamlessly(tmp_path: Path) -> None:
    clip = user_clip(3.0)
    path = tmp_path / "brook.wav"
    wavfile.write(path, SR, clip)
    samples = 11 * SR + 123
    out = load_bed(path, samples, crossfade_s=1.0)
    assert out.shape == (samples,) and out.dtype == np.float32
    # Equal-power crossfading two tones can reach √2 times either one's slope.
    assert_loops_cleanly(out, clip, 1.0, slack=1.5)
    assert integrated_loudness(out, SR) == pytest.approx(BED_LUFS, abs=0.5)


def test_load_bed_loops_an_mp3_seamlessly(tmp_path: Path) -> None:
    clip = user_clip(4.0)
    path = tmp_path / "brook.mp3"
    encode_mp3(clip, SR, path, bitrate="192k")
    samples = 20 * SR
    out = load_bed(path, samples, crossfade_s=1.0)
    assert out.shape == (samples,)
    # Compare with the file as decoded (the codec changes the samples a little), less the
    # digital silence at its ends that load_bed trims.
    decoded = decode_pcm(path)
    sound = np.flatnonzero(np.abs(decoded.astype(np.int32)) > 2)
    assert_loops_cleanly(out, decoded[sound[0]:sound[-1] + 1], 1.0, slack=1.6)
    assert integrated_loudness(out, SR) == pytest.approx(BED_LUFS, abs=0.5)


def test_load_bed_shorter_than_the_file_plays_its_start(tmp_path: Path) -> None:
    clip = user_clip(6.0)
    path = tmp_path / "long.wav"
    wavfile.write(path, SR, clip)
    out = load_bed(path, 2 * SR)
    gain = rms(out) / rms(clip[: 2 * SR].astype(np.float64) / 32768)
    assert np.allclose(out, clip[: 2 * SR] / 32768 * gain, atol=1e-4)


def test_load_bed_rejects_a_clip_too_short_to_crossfade(tmp_path: Path) -> None:
    path = tmp_path / "blip.wav"
    wavfile.write(path, SR, user_clip(3.0))
    with pytest.raises(UsageError, match=r"too short to loop.*at least 4 s"):
        load_bed(path, 60 * SR, crossfade_s=2.0)


def test_load_bed_rejects_what_is_not_audio(tmp_path: Path) -> None:
    text = tmp_path / "notes.mp3"
    text.write_text("not a sound at all\n" * 50)
    with pytest.raises(UsageError, match=r"notes\.mp3: ffmpeg cannot read it as audio"):
        load_bed(text, SR)
    with pytest.raises(UsageError, match="no such file"):
        load_bed(tmp_path / "missing.wav", SR)
    silent = tmp_path / "silent.wav"
    wavfile.write(silent, SR, np.zeros(10 * SR, dtype=np.int16))
    with pytest.raises(UsageError, match="silent"):
        load_bed(silent, SR)


# --- ducking -------------------------------------------------------------------------------------


def script_of(*spans: tuple[str, float, float]) -> CueScript:
    events = tuple(
        Event(round(a * SR), round(b * SR), EventKind(kind), text="x" if kind == "speech" else None)
        for kind, a, b in spans
    )
    return CueScript("test", "Test", events, ())


DUCK = 10 ** (-12 / 20)
CLOSE_LINES = script_of(
    ("silence", 0, 10), ("speech", 10, 13), ("silence", 13, 13.8), ("speech", 13.8, 16),
    ("silence", 16, 30), ("speech", 30, 32), ("silence", 32, 40),
)


def at(gain: np.ndarray, seconds: float) -> float:
    return float(gain[round(seconds * SR)])


def test_ducking_gain_is_one_in_silence_and_down_under_speech() -> None:
    gain = ducking_gain(CLOSE_LINES)
    assert gain.shape == (CLOSE_LINES.duration,) and gain.dtype == np.float32
    assert np.all(gain[4 * SR:9 * SR] == 1.0)
    assert np.all(gain[20 * SR:29 * SR] == 1.0)
    assert np.allclose(gain[10 * SR:16 * SR], DUCK, rtol=1e-6)
    assert np.allclose(gain[30 * SR:32 * SR], DUCK, rtol=1e-6)


def test_ducking_dips_before_the_voice_and_recovers_after() -> None:
    gain = ducking_gain(CLOSE_LINES, attack_s=0.25, release_s=0.8, lead_s=0.15)
    assert at(gain, 10 - 0.15) == pytest.approx(DUCK, rel=1e-3)  # fully down before the voice
    assert DUCK < at(gain, 10 - 0.275) < 1  # falling
    assert at(gain, 10 - 0.15 - 0.25 - 0.01) == 1.0  # not yet
    assert DUCK < at(gain, 32.4) < 1  # rising after the last line
    assert at(gain, 32 + 0.81) == 1.0


def test_ducking_is_smooth() -> None:
    gain = ducking_gain(CLOSE_LINES, attack_s=0.25, release_s=0.8)
    # A raised cosine in dB: the steepest step is where the gain is highest, mid-fall.
    steepest = math.log(10) / 20 * 12 * math.pi / 2 / (0.25 * SR)
    assert np.max(np.abs(np.diff(gain.astype(np.float64)))) < 1.05 * steepest


def test_ducking_stays_down_between_close_lines_and_opens_for_a_pause() -> None:
    gain = ducking_gain(CLOSE_LINES)
    assert np.allclose(gain[13 * SR:round(13.8 * SR)], DUCK, rtol=1e-6)
    # A gap just long enough to fall, rise and stay up for half a second opens up fully.
    gap = 0.15 + 0.25 + 0.8 + 0.5 + 0.1
    script = script_of(("silence", 0, 5), ("speech", 5, 7), ("silence", 7, 7 + gap),
                       ("speech", 7 + gap, 9 + gap), ("silence", 9 + gap, 15))
    opened = ducking_gain(script)[7 * SR:round((7 + gap) * SR)]
    assert opened.max() == 1.0
    # A shade shorter, and it stays down rather than bobbing up.
    shorter = gap - 0.2
    script = script_of(("silence", 0, 5), ("speech", 5, 7), ("silence", 7, 7 + shorter),
                       ("speech", 7 + shorter, 9 + shorter), ("silence", 9 + shorter, 15))
    assert np.allclose(ducking_gain(script)[7 * SR:round((7 + shorter) * SR)], DUCK, rtol=1e-6)


def test_ducking_fades_the_bed_in_and_out() -> None:
    gain = ducking_gain(CLOSE_LINES, fade_s=3.0)
    assert gain[0] < 0.001 and gain[-1] < 0.001
    assert 0.4 < at(gain, 1.5) < 0.6
    assert at(gain, 3.01) == 1.0
    assert np.all(np.diff(gain[: 3 * SR]) >= 0)
    plain = ducking_gain(CLOSE_LINES, fade_s=0)
    assert plain[0] == 1.0 and plain[-1] == 1.0


def test_ducking_a_line_at_the_very_start() -> None:
    script = script_of(("speech", 0, 2), ("silence", 2, 10))
    gain = ducking_gain(script, fade_s=0)
    assert np.allclose(gain[: 2 * SR], DUCK, rtol=1e-6)
    assert gain[-1] == 1.0


# --- mixing --------------------------------------------------------------------------------------


def test_mix_bed_adds_the_ducked_bed_in_place() -> None:
    rng = np.random.default_rng(0)
    voice = rng.standard_normal(3 * SR).astype(np.float32) * 0.1
    bed = rng.standard_normal(3 * SR).astype(np.float32) * 0.01
    gain = np.linspace(0, 1, 3 * SR, dtype=np.float32)
    expected = voice + bed * gain * 10 ** (-6 / 20)
    out = mix_bed(voice, bed, gain, -6.0)
    assert out is voice
    assert out.dtype == np.float32
    assert np.allclose(out, expected, atol=1e-7)
    pcm = np.full(3 * SR, 16384, dtype=np.int16)
    mixed = mix_bed(pcm, bed, gain, 0.0)
    assert mixed.dtype == np.float32
    assert np.allclose(mixed, 0.5 + bed * gain, atol=1e-7)
    with pytest.raises(ValueError, match="same length"):
        mix_bed(voice[:-1], bed, gain, 0.0)


def speechlike(text: str) -> np.ndarray:
    """A deterministic stand-in for a spoken line, as long as its text suggests."""
    rng = np.random.default_rng(int(hashlib.sha256(text.encode()).hexdigest()[:8], 16))
    n = round((0.3 + 0.05 * len(text)) * SR)
    t = np.arange(n) / SR
    voice = signal.lfilter([1.0], [1.0, -0.9], rng.standard_normal(n)) * np.sin(
        2 * np.pi * 3 * t) ** 2
    return np.round(voice / np.abs(voice).max() * 20000).astype(np.int16)


@pytest.fixture(scope="module")
def session() -> tuple[CueScript, np.ndarray]:
    """Thunderbolt, timed with stand-in lines and mastered to -16 LUFS."""
    loaded = load_routine(ROOT / "routines" / "thunderbolt.yaml")
    clips: dict[str, np.ndarray] = {}
    script = compile_routine(loaded)
    while missing := [t for t in script.speech_texts() if t not in clips]:
        clips.update({t: level_clip(speechlike(t)) for t in missing})
        script = compile_routine(loaded, CompileOptions(), {t: len(c) for t, c in clips.items()})
    done = master(script, clips)
    return script, to_float(assemble(script, done.speech, done.chimes))


@pytest.mark.parametrize("kind", KINDS)
def test_a_bed_at_the_default_level_leaves_the_session_loudness_alone(
        kind: BedKind, session: tuple[CueScript, np.ndarray]) -> None:
    script, voice = session
    alone = integrated_loudness(voice, SR)
    assert alone == pytest.approx(-16.0, abs=0.5)
    bed = generate_bed(kind, script.duration)
    gain = ducking_gain(script)
    mixed = mix_bed(voice.copy(), bed, gain, DEFAULT_LEVEL_DB)
    assert abs(integrated_loudness(mixed, SR) - alone) < 0.5

    # ...and yet it is clearly there in the silences: the longest pause, away from its ends.
    pause = max((e for e in script.events if e.kind is EventKind.silence),
                key=lambda e: e.length)
    middle = slice(pause.start + SR, pause.end - SR)
    assert pause.length > 3 * SR
    assert np.all(voice[middle] == 0)
    heard = db(rms(mixed[middle]))
    assert -55 < heard < -35  # 16-bit dither sits near -100 dBFS; the voice near -20
