"""The streamed session is the whole-array session, sample for sample.

The oracle (tests/audio/whole_oracle.py) is main's whole-array path before streaming: the voice
joined whole, the bed generated whole under a whole-session ducking gain, the whole-array limiter,
the MP3 check on the whole decoded file. A build now never holds the session; here both run on the
same cues and clips (a session a little over a minute, so it spans several blocks of every kind:
the 24 s blocks of the voice and the limiter, the 48 s blocks of a generated bed).
"""

from __future__ import annotations

import itertools
import math
import shutil
import zlib
from dataclasses import replace
from pathlib import Path

import numpy as np
import pytest
import whole_oracle as oracle

from matcast.audio import encoded
from matcast.audio.bed import BedLoop, Ducking
from matcast.audio.ffmpeg import decode_float, decode_pcm, encode_mp3, mp3_level_change_db
from matcast.audio.levels import SESSION_CEILING_DBTP, TARGET_LUFS
from matcast.audio.loudness import normalize, plan_normalize
from matcast.audio.master import master
from matcast.audio.mixer import VoiceTrack
from matcast.audio.session_mix import bed_layer, mix_session
from matcast.audio.stream import ArraySignal, steps
from matcast.audio.truepeak import true_peak
from matcast.bounds import BED_LEVEL_MAX
from matcast.build.session import Builder, BuildOptions
from matcast.compiler import CompileOptions
from matcast.cues import SAMPLE_RATE
from matcast.routine.loader import load_routine

ROOT = Path(__file__).resolve().parents[2]
ROUTINE = """\
title: Streamed
defaults: {hold: {breaths: 3}, rest: 6}
intro: [Settle in, and let the shoulders soften.]
sequence:
  - pose: childs-pose
  - pose: knees-to-chest
outro: [Rest here as long as you like.]
"""
SLUG = "streamed"


@pytest.fixture(scope="module")
def routine(tmp_path_factory: pytest.TempPathFactory) -> Path:
    lib = tmp_path_factory.mktemp("library")
    (lib / "poses").mkdir()
    for pose in ("childs-pose", "knees-to-chest"):
        shutil.copy(ROOT / "routines" / "poses" / f"{pose}.yaml", lib / "poses")
    (lib / f"{SLUG}.yaml").write_text(ROUTINE)
    return lib / f"{SLUG}.yaml"


@pytest.fixture(scope="module")
def cache(tmp_path_factory: pytest.TempPathFactory) -> Path:
    return tmp_path_factory.mktemp("cache")


@pytest.fixture(scope="module")
def session(routine: Path, cache: Path, tmp_path_factory: pytest.TempPathFactory):
    """(script, mastered clips) as a build makes them."""
    loaded = load_routine(routine)
    with Builder(BuildOptions(out_dir=tmp_path_factory.mktemp("out"), cache_dir=cache)) as b:
        engine, voice, rate = b.voice_for(loaded)
        script, clips, _ = b._speak(loaded, replace(CompileOptions(), rate=rate), engine, voice,
                                    rate)
        target = TARGET_LUFS - mp3_level_change_db("96k", 1)
        mastered = master(script, clips, target, profiles=b.profiles)
    assert script.duration > 2 * (441 * 4800), "the session should span several bed blocks"
    return script, mastered, target


def joined(blocks) -> np.ndarray:
    return np.concatenate(list(blocks))


def test_the_voice_track_is_the_joined_session(session) -> None:
    script, mastered, _ = session
    whole = oracle.assemble(script, mastered.speech, mastered.chimes)
    track = VoiceTrack(script, mastered.speech, mastered.chimes)
    assert track.samples == whole.size
    assert np.array_equal(joined(track.blocks()), whole)
    # Any cut: blocks ending inside clips, silences and chimes.
    assert np.array_equal(joined(track.blocks(size=12_345)), whole)


@pytest.mark.parametrize(("kind", "level", "ceiling"), [
    ("rain", 0.0, SESSION_CEILING_DBTP),
    pytest.param("ocean", BED_LEVEL_MAX, SESSION_CEILING_DBTP, marks=pytest.mark.slow),
    # A low ceiling, so the limiter works through the session: spans cross block edges.
    pytest.param("rain", BED_LEVEL_MAX, -4.5, marks=pytest.mark.slow),
    pytest.param("file", BED_LEVEL_MAX, -4.5, marks=pytest.mark.slow),
])
def test_the_streamed_mix_is_the_whole_array_mix(session, tmp_path: Path, kind: str,
                                                 level: float, ceiling: float) -> None:
    script, mastered, target = session
    path = None
    if kind == "file":
        path = tmp_path / "loop.wav"
        encode_wav(path)
    whole = oracle.with_bed(oracle.assemble(script, mastered.speech, mastered.chimes), script,
                            kind, path, level, SLUG, target, ceiling)
    track = VoiceTrack(script, mastered.speech, mastered.chimes)
    layer = bed_layer(kind, path, track.samples, zlib.crc32(SLUG.encode()))
    mixed, report = mix_session(script, track, layer, -12.0 + level, target, ceiling)
    streamed = joined(mixed.blocks())
    assert streamed.size == whole.size
    differ = np.flatnonzero(streamed != whole)
    assert differ.size == 0, (differ.size, differ[:5], np.abs(
        streamed.astype(int) - whole).max())
    if ceiling == SESSION_CEILING_DBTP:  # a low ceiling costs more loudness than it can win
        assert abs(report.integrated_lufs - target) <= 0.05


def encode_wav(path: Path) -> None:
    """A 9 s two-tone loop with a swell, as a user's bed file."""
    import wave

    t = np.arange(9 * SAMPLE_RATE) / SAMPLE_RATE
    x = (0.3 * np.sin(2 * np.pi * 220 * t) + 0.2 * np.sin(2 * np.pi * 331 * t)) * (
        0.6 + 0.4 * np.sin(2 * np.pi * t / 9))
    with wave.open(str(path), "wb") as out:
        out.setnchannels(1)
        out.setsampwidth(2)
        out.setframerate(SAMPLE_RATE)
        out.writeframes(np.round(x * 32767).astype("<i2").tobytes())


def test_a_user_bed_file_reads_the_same_in_any_window(tmp_path: Path) -> None:
    encode_wav(tmp_path / "loop.wav")
    loop = BedLoop(tmp_path / "loop.wav")
    whole = loop.read(0, 30 * SAMPLE_RATE)
    cuts = [0, 5, 44_100, 88_200, 400_000, 1_000_000, 30 * SAMPLE_RATE]
    assert np.array_equal(np.concatenate([loop.read(a, b) for a, b in itertools.pairwise(cuts)]),
                          whole)


def test_the_ducking_gain_is_the_same_in_any_window(session) -> None:
    script = session[0]
    whole = oracle.ducking_gain(script)
    ducking = Ducking(script)
    n = ducking.samples
    cuts = sorted({0, 1, 777, 100_000, n // 3, n // 2, n - 5_000, n - 1, n})
    pieces = [ducking.window(a, b) for a, b in itertools.pairwise(cuts)]
    assert np.array_equal(np.concatenate(pieces), whole)


@pytest.mark.slow
def test_normalize_is_the_whole_array_limiter() -> None:
    """On arrays (mono and stereo), whether or not the first read found every peak the gain
    search needs (a far-off expected gain makes it read the signal again)."""
    rng = np.random.default_rng(5)
    n = 3 * 1_100_000
    t = np.arange(n) / SAMPLE_RATE
    bursts = (np.sin(2 * np.pi * 0.3 * t) > 0.2) * (1 + np.sin(2 * np.pi * 0.05 * t))
    x = (rng.standard_normal((n, 2)) * 0.05 * bursts[:, None]).astype(np.float32)
    for samples in (x[:, 0], x):
        expected = oracle.normalize(samples, SAMPLE_RATE, -14.0, -3.0)
        assert np.array_equal(normalize(samples, SAMPLE_RATE, -14.0, -3.0), expected)
    plan = plan_normalize(ArraySignal(x), SAMPLE_RATE, -14.0, -3.0, expect_gain_db=-20.0)
    assert plan is not None
    assert np.array_equal(np.concatenate(list(plan.blocks())), oracle.normalize(x, SAMPLE_RATE,
                                                                                  -14.0, -3.0))


def test_steps_recut_a_stream_with_context() -> None:
    x = np.arange(1000, dtype=np.float32)
    chunks = [x[:7], x[7:300], x[300:301], x[301:]]
    seen = []
    for start, window, offset, count in steps(chunks, 128, 16):
        lo = max(start - 16, 0)
        assert np.array_equal(window, x[lo:min(start + count + 16, 1000)])
        assert offset == start - lo
        seen.append(window[offset:offset + count])
    assert np.array_equal(np.concatenate(seen), x)


@pytest.mark.slow
def test_the_build_encodes_what_the_whole_array_path_encoded(
        routine: Path, cache: Path, session, tmp_path: Path,
        monkeypatch: pytest.MonkeyPatch) -> None:
    """The whole build with a loud rain bed, its MP3 check made to dip peaks and encode again
    (its aim set under the peaks coding gives this session): the MP3's audio is the oracle's,
    encoded and corrected the whole-array way."""
    script, mastered, target = session
    whole = oracle.with_bed(oracle.assemble(script, mastered.speech, mastered.chimes), script,
                            "rain", None, BED_LEVEL_MAX, SLUG, target)
    path = tmp_path / "oracle.mp3"
    encode_mp3(whole, SAMPLE_RATE, path)
    aim = round(20 * math.log10(true_peak(decode_float(path))) - 0.6, 1)
    monkeypatch.setattr(encoded, "PEAK_AIM_DBTP", aim)
    monkeypatch.setattr(encoded, "MP3_CEILING_DBTP", aim + 0.2)
    rewrites = []

    def rewrite(pcm: np.ndarray) -> None:
        rewrites.append(1)
        encode_mp3(pcm, SAMPLE_RATE, path)

    oracle.hold_levels(whole, path, rewrite)
    assert rewrites, "the check should have had to dip peaks"
    options = BuildOptions(out_dir=tmp_path / "out", cache_dir=cache, bed="rain",
                           bed_level=BED_LEVEL_MAX)
    with Builder(options) as builder:
        result = builder.build(load_routine(routine), slug=SLUG)
    assert result.script.events == script.events
    assert np.array_equal(decode_pcm(result.mp3), decode_pcm(path))
