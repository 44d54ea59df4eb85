"""Tests for the audio building blocks: chimes, loudness, cover, ffmpeg and ID3 tags.

Everything runs for real: imageio-ffmpeg's ffmpeg, mutagen, Pillow, pyloudnorm.
"""

from __future__ import annotations

import io
import itertools
import math
from pathlib import Path

import numpy as np
import pytest
from PIL import Image
from scipy import signal

from matcast.audio import chimes, truepeak
from matcast.audio.chimes import chime
from matcast.audio.cover import make_cover
from matcast.audio.ffmpeg import decode_pcm, encode_mp3, ffmpeg_exe
from matcast.audio.loudness import measure, normalize
from matcast.audio.tags import EpisodeTags, read_tags, samples_to_ms, write_tags
from matcast.cues import CHIME_SAMPLES, SAMPLE_RATE, Chapter, ChimeKind
from matcast.errors import OutputError, ToolError

SR = SAMPLE_RATE


def speechlike(seconds: float, seed: int = 0, level: float = 0.05) -> np.ndarray:
    """Band-passed noise in syllable-like bursts with pauses: loudness gating has work to do."""
    rng = np.random.default_rng(seed)
    n = round(seconds * SR)
    b, a = signal.butter(2, [150 / (SR / 2), 5000 / (SR / 2)], "band")
    noise = signal.lfilter(b, a, rng.standard_normal(n))
    t = np.arange(n) / SR
    syllables = np.clip(np.sin(2 * np.pi * 3.1 * t), 0, None) ** 2
    phrases = rng.random(int(seconds) + 1).repeat(SR)[:n] > 0.3
    return (level * noise * syllables * phrases).astype(np.float32)


def onsets(samples: np.ndarray) -> int:
    """Count strikes: 10 ms frames whose level more than doubles over 30 ms, merged per attack."""
    frame = SR // 100
    level = np.sqrt((samples[: samples.size // frame * frame].astype(np.float64)
                     .reshape(-1, frame) ** 2).mean(axis=1))
    level = np.concatenate([np.zeros(3), level])
    rises = np.flatnonzero((level[3:] > 2 * level[:-3]) & (level[3:] > 0.1 * level.max()))
    return int(np.sum(np.diff(np.concatenate([[-10], rises])) > 5))


def centroid(samples: np.ndarray) -> float:
    spectrum = np.abs(np.fft.rfft(samples))
    freqs = np.fft.rfftfreq(samples.size, 1 / SR)
    return float((spectrum * freqs).sum() / spectrum.sum())


# --- chimes ------------------------------------------------------------------------------------


@pytest.mark.parametrize("kind", list(ChimeKind))
def test_chime_has_exact_length_soft_peak_and_silent_ends(kind: ChimeKind) -> None:
    bell = chime(kind)
    assert bell.dtype == np.float32
    assert bell.shape == (CHIME_SAMPLES[kind],)
    assert 0.1 < np.abs(bell).max() <= 0.5
    assert bell[0] == 0.0 and bell[-1] == 0.0
    # The last 10 ms are inside the fade: a cut there cannot click.
    assert np.abs(bell[-SR // 100:]).max() < 0.002
    assert np.all(np.isfinite(bell))


@pytest.mark.parametrize("kind", list(ChimeKind))
def test_chime_length_scales_with_sample_rate(kind: ChimeKind) -> None:
    assert chime(kind, 22_050).shape == (CHIME_SAMPLES[kind] // 2,)
    assert chime(kind, 48_000).shape == (round(CHIME_SAMPLES[kind] * 48_000 / SR),)


def test_chime_is_cached_read_only_and_deterministic() -> None:
    bell = chime(ChimeKind.transition)
    assert chime(ChimeKind.transition) is bell
    assert not bell.flags.writeable
    with pytest.raises(ValueError):
        bell[0] = 1.0
    kept = bell.copy()
    chimes._render.cache_clear()
    again = chime(ChimeKind.transition)
    assert again is not bell
    assert np.array_equal(again, kept)


def test_chimes_sound_different() -> None:
    strikes = {kind: onsets(chime(kind)) for kind in ChimeKind}
    assert strikes == {
        ChimeKind.start: 2, ChimeKind.transition: 1, ChimeKind.switch: 1, ChimeKind.end: 3,
        ChimeKind.hold: 1,
    }
    # The hold bell is short: it must not eat into the quiet it marks.
    assert CHIME_SAMPLES[ChimeKind.hold] < CHIME_SAMPLES[ChimeKind.transition]
    # Low end bell, warm start, mid transition, high light switch.
    centres = {kind: centroid(chime(kind)) for kind in ChimeKind}
    order = [ChimeKind.end, ChimeKind.start, ChimeKind.transition, ChimeKind.switch]
    for low, high in itertools.pairwise(order):
        assert centres[high] > 1.2 * centres[low], (low, high, centres)


# --- loudness ----------------------------------------------------------------------------------


def test_true_peak_matches_resample_poly() -> None:
    rng = np.random.default_rng(3)
    x = signal.lfilter([1.0], [1.0, 0.7], rng.standard_normal(20_000)) * 0.05
    x[5_000] = 0.6
    x[12_000:12_002] = [0.5, -0.5]  # an inter-sample peak well above its samples
    reference = np.abs(signal.resample_poly(x, 4, 1)).max()
    assert truepeak.true_peak(x) == pytest.approx(reference, rel=1e-6)
    assert measure(x, SR).true_peak_dbtp == pytest.approx(20 * math.log10(reference), abs=1e-4)


def test_measure_agrees_with_pyloudnorm() -> None:
    import pyloudnorm

    for x in (speechlike(12), speechlike(7, seed=4, level=0.3)):
        reference = pyloudnorm.Meter(SR).integrated_loudness(x.astype(np.float64))
        assert measure(x, SR).integrated_lufs == pytest.approx(reference, abs=1e-3)


def test_normalize_speechlike_lands_on_target() -> None:
    x = speechlike(12)
    before = measure(x, SR)
    assert before.integrated_lufs < -30  # far from target: the gain is large
    y = normalize(x, SR)
    after = measure(y, SR)
    assert y.dtype == np.float32 and y.shape == x.shape
    assert after.integrated_lufs == pytest.approx(-16.0, abs=0.5)
    assert after.true_peak_dbtp <= -1.0


def test_normalize_limits_a_peaky_input_a_plain_gain_would_clip() -> None:
    x = speechlike(12, seed=4, level=0.01)
    rng = np.random.default_rng(5)
    clicks = rng.integers(0, x.size, 25)
    x[clicks] = 0.9 * np.sign(rng.standard_normal(25))
    before = measure(x, SR)
    plain_gain_peak = before.true_peak_dbtp + (-16.0 - before.integrated_lufs)
    assert plain_gain_peak > 10.0  # a plain gain would clip by more than 10 dB
    after = measure(normalize(x, SR), SR)
    assert after.integrated_lufs == pytest.approx(-16.0, abs=0.5)
    assert after.true_peak_dbtp <= -1.0


def test_limiter_ramps_down_ahead_of_a_click_and_recovers() -> None:
    t = np.arange(SR * 4) / SR
    x = (0.05 * np.sin(2 * np.pi * 997 * t)).astype(np.float32)
    click = 2 * SR
    x[click] = 0.95
    y = normalize(x, SR).astype(np.float64)
    valid = np.abs(x) > 0.02
    valid[click] = False
    index = np.flatnonzero(valid)
    ratio = y[index] / x[index]
    gain_db = 20 * np.log10(ratio / np.median(ratio))

    def gain_near(sample: int) -> float:
        return float(gain_db[np.searchsorted(index, sample)])

    assert gain_db.min() < -10  # the click was pulled down hard...
    assert gain_near(click - 150) < -1  # ...starting a few ms before it (look-ahead)...
    assert gain_near(click - 400) > -0.05  # ...but not long before,
    assert gain_near(click + SR // 2) > -0.1  # and it recovers within half a second.
    adjacent = np.diff(index) == 1
    assert np.abs(np.diff(gain_db)[adjacent]).max() < 0.5  # no steps: a smooth envelope


def test_normalize_keeps_ceiling_on_inter_sample_peaks() -> None:
    # A quarter-rate tone sampled off its crests: sample peak 0.707, true peak 1.0.
    n = SR * 3
    x = (np.cos(np.pi / 2 * np.arange(n) + np.pi / 4) * 0.3).astype(np.float32)
    after = measure(normalize(x, SR, target_lufs=-6.0), SR)
    assert after.true_peak_dbtp <= -1.0
    assert after.integrated_lufs == pytest.approx(-6.0, abs=0.5)


def test_normalize_is_a_plain_gain_when_no_peak_needs_limiting() -> None:
    t = np.arange(SR * 4) / SR
    x = (0.01 * np.sin(2 * np.pi * 440 * t)).astype(np.float32)
    y = normalize(x, SR)
    ratio = y[1000:-1000] / x[1000:-1000].astype(np.float64)
    valid = np.abs(x[1000:-1000]) > 1e-3
    assert np.ptp(ratio[valid]) < 1e-5  # one gain everywhere: no envelope
    assert measure(y, SR).integrated_lufs == pytest.approx(-16.0, abs=0.1)


def test_normalize_stereo_keeps_shape_and_targets() -> None:
    x = np.stack([speechlike(6, seed=1), speechlike(6, seed=2) * 1.5], axis=1)
    y = normalize(x, SR, target_lufs=-18.0, ceiling_dbtp=-2.0)
    assert y.shape == x.shape and y.dtype == np.float32
    after = measure(y, SR)
    assert after.integrated_lufs == pytest.approx(-18.0, abs=0.5)
    assert after.true_peak_dbtp <= -2.0


def test_normalize_leaves_silence_alone() -> None:
    zeros = np.zeros(SR * 2, dtype=np.float32)
    out = normalize(zeros, SR)
    assert out.dtype == np.float32 and np.array_equal(out, zeros)
    hiss = (np.random.default_rng(0).standard_normal(SR * 2) * 1e-6).astype(np.float32)
    assert np.array_equal(normalize(hiss, SR), hiss)  # below the -70 LUFS gate
    assert normalize(np.zeros(0, dtype=np.float32), SR).shape == (0,)
    report = measure(zeros, SR)
    assert report.integrated_lufs == -math.inf and report.true_peak_dbtp == -math.inf


def test_measure_and_normalize_short_input() -> None:
    t = np.arange(SR // 5) / SR  # 200 ms: shorter than one gating block
    x = (0.1 * np.sin(2 * np.pi * 300 * t)).astype(np.float32)
    assert math.isfinite(measure(x, SR).integrated_lufs)
    assert measure(normalize(x, SR), SR).integrated_lufs == pytest.approx(-16.0, abs=0.5)


def test_normalize_rejects_nan() -> None:
    x = speechlike(2)
    x[100] = np.nan
    with pytest.raises(ValueError, match="NaN"):
        normalize(x, SR)


# --- ffmpeg ------------------------------------------------------------------------------------


def test_encode_decode_round_trip_is_sample_exact(tmp_path: Path) -> None:
    rng = np.random.default_rng(7)
    n = 2 * SR + 777  # not a whole number of MP3 frames
    tone = signal.lfilter([1.0], [1.0, -0.9], rng.standard_normal(n))
    pcm = (tone / np.abs(tone).max() * 12_000).astype(np.int16)
    out = tmp_path / "session.mp3"
    encode_mp3(pcm, SR, out)
    head = out.read_bytes()[:2048]
    assert head[:2] in (b"\xff\xfb", b"\xff\xfa")  # an MPEG frame first: no ID3 tag yet
    assert b"Info" in head or b"Xing" in head  # the header that makes gapless trimming work
    decoded = decode_pcm(out)
    assert decoded.dtype == np.int16
    # With the Xing/LAME header, ffmpeg trims encoder delay and padding: we observed an exact
    # length and zero lag (without the header the decode is 1332 samples longer).
    assert abs(decoded.size - n) <= 1
    window = pcm[SR: SR + 4096].astype(np.float64)
    scores = np.correlate(decoded[SR - 100: SR + 4096 + 100].astype(np.float64), window, "valid")
    assert int(np.argmax(scores)) - 100 == 0
    match = np.corrcoef(decoded[:n].astype(np.float64), pcm[: decoded.size].astype(np.float64))
    assert match[0, 1] > 0.95


def test_encode_stereo_duplicates_mono(tmp_path: Path) -> None:
    pcm = (np.sin(2 * np.pi * 220 * np.arange(SR) / SR) * 8000).astype(np.int16)
    out = tmp_path / "stereo.mp3"
    encode_mp3(pcm, SR, out, bitrate="128k", channels=2)
    decoded = decode_pcm(out, channels=2)
    assert decoded.shape == (SR, 2)
    assert np.abs(decoded[:, 0].astype(int) - decoded[:, 1]).max() <= 1


def test_encode_resamples_to_44100(tmp_path: Path) -> None:
    pcm = (np.sin(2 * np.pi * 220 * np.arange(22_050) / 22_050) * 8000).astype(np.int16)
    out = tmp_path / "resampled.mp3"
    encode_mp3(pcm, 22_050, out)
    assert abs(decode_pcm(out).size - SR) <= 64  # one second, now at 44.1 kHz


def test_ffmpeg_failure_raises_tool_error(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("MATCAST_FFMPEG", "/bin/false")
    with pytest.raises(ToolError) as caught:
        encode_mp3(np.zeros(SR * 3, dtype=np.int16), SR, tmp_path / "x.mp3")
    assert caught.value.argv[0] == "/bin/false"
    assert caught.value.code == 1
    assert "exit code 1" in str(caught.value)
    assert "command: /bin/false" in str(caught.value)


def test_missing_ffmpeg_has_a_hint(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("MATCAST_FFMPEG", "/nonexistent/ffmpeg")
    with pytest.raises(ToolError, match="pip install imageio-ffmpeg"):
        ffmpeg_exe()


@pytest.mark.skipif(not Path("/dev/full").exists(), reason="needs /dev/full")
def test_disk_full_is_reported() -> None:
    with pytest.raises(ToolError, match="disk is full") as caught:
        encode_mp3(np.zeros(SR, dtype=np.int16), SR, Path("/dev/full"))
    assert caught.value.code not in (0, None)


def test_decode_failure_raises_tool_error(tmp_path: Path) -> None:
    with pytest.raises(ToolError, match="decoding"):
        decode_pcm(tmp_path / "missing.wav")
    garbage = tmp_path / "garbage.mp3"
    garbage.write_bytes(b"not audio at all" * 10)
    with pytest.raises(ToolError):
        decode_pcm(garbage)


def test_encode_rejects_float_or_empty_pcm(tmp_path: Path) -> None:
    with pytest.raises(ValueError, match="int16"):
        encode_mp3(np.zeros(10, dtype=np.float32), SR, tmp_path / "x.mp3")
    with pytest.raises(ValueError, match="no samples"):
        encode_mp3(np.zeros(0, dtype=np.int16), SR, tmp_path / "x.mp3")
    assert not (tmp_path / "x.mp3").exists()


# --- tags --------------------------------------------------------------------------------------


@pytest.fixture
def silent_mp3(tmp_path: Path) -> Path:
    out = tmp_path / "episode.mp3"
    encode_mp3(np.zeros(SR * 10, dtype=np.int16), SR, out)
    return out


def test_tags_round_trip(silent_mp3: Path) -> None:
    duration = SR * 10
    chapters = [
        Chapter("Intro", 0, SR * 2),
        Chapter("Downward Dog — left & right", SR * 2, SR * 7 + 17, pose="downward-dog"),
        Chapter("Closing", SR * 7 + 17, duration),
    ]
    cover = make_cover("Post-Run Stretch", size=200)
    tags = EpisodeTags(
        title="Évening flow", artist="matcast", album="Runner's yoga", track=3,
        genre="Podcast", year=2026, description="A calm session.", cover=cover,
    )
    write_tags(silent_mp3, tags, chapters, duration)

    raw = silent_mp3.read_bytes()
    assert raw[:4] == b"ID3\x03"  # ID3v2.3
    assert b"TYER" in raw[:4096] and b"TDRC" not in raw[:4096]
    back = read_tags(silent_mp3)
    assert back["version"] == (2, 3, 0)
    assert (back["title"], back["artist"], back["album"]) == (
        "Évening flow", "matcast", "Runner's yoga")
    assert (back["track"], back["genre"], back["year"]) == ("3", "Podcast", "2026")
    assert back["description"] == "A calm session."
    assert back["cover_type"] == 3 and back["cover_mime"] == "image/png"
    assert back["cover"] == cover
    assert back["chapters"] == [
        ("Intro", 0, 2000),
        ("Downward Dog — left & right", 2000, round((SR * 7 + 17) * 1000 / SR)),
        ("Closing", round((SR * 7 + 17) * 1000 / SR), 10_000),
    ]
    assert samples_to_ms(SR * 7 + 17) == 7000
    assert back["toc"] == {
        "element_id": "toc", "top_level": True, "ordered": True,
        "children": ["chp0", "chp1", "chp2"], "title": "Chapters",
    }
    # The audio is untouched by tagging.
    assert decode_pcm(silent_mp3).size == duration


def test_tags_replace_the_previous_tag(silent_mp3: Path) -> None:
    tags = EpisodeTags("One", "a", "b", None, "Podcast", None, None, None)
    write_tags(silent_mp3, tags, [Chapter(f"c{i}", i * SR, (i + 1) * SR) for i in range(5)],
               SR * 10)
    write_tags(silent_mp3, tags, [Chapter("only", 0, SR * 10)], SR * 10)
    back = read_tags(silent_mp3)
    assert back["chapters"] == [("only", 0, 10_000)]
    assert back["toc"]["children"] == ["chp0"]
    assert back["cover_type"] is None and back["year"] is None and back["track"] is None


def test_tags_reject_bad_chapters(silent_mp3: Path) -> None:
    tags = EpisodeTags("t", "a", "b", None, "Podcast", None, None, None)
    with pytest.raises(ValueError, match="chapter 1"):
        write_tags(silent_mp3, tags, [Chapter("a", 0, SR * 5), Chapter("b", SR * 4, SR * 9)],
                   SR * 10)
    with pytest.raises(ValueError, match="chapter 0"):
        write_tags(silent_mp3, tags, [Chapter("a", 0, SR * 11)], SR * 10)


def test_tags_unwritable_file_is_an_output_error(tmp_path: Path) -> None:
    tags = EpisodeTags("t", "a", "b", None, "Podcast", None, None, None)
    with pytest.raises(OutputError):
        write_tags(tmp_path / "no" / "such.mp3", tags, [], SR)


# --- cover -------------------------------------------------------------------------------------


@pytest.mark.parametrize("size", [1400, 2000])
def test_cover_is_a_square_png_of_the_requested_size(size: int) -> None:
    png = make_cover("Post-Run Stretch", "12 poses · 20 minutes", size=size)
    assert png[:8] == b"\x89PNG\r\n\x1a\n"
    image = Image.open(io.BytesIO(png))
    assert image.format == "PNG" and image.size == (size, size) and image.mode == "RGB"


def test_cover_is_deterministic_and_depends_on_the_title() -> None:
    assert make_cover("Evening flow", "gentle") == make_cover("Evening flow", "gentle")
    assert make_cover("Evening flow", "gentle") != make_cover("Morning flow", "gentle")


def test_cover_fits_long_titles_inside_the_margins() -> None:
    title = ("Legs Up the Wall and a Very Long Recovery Session For Runners Who Sit All Day "
             "Supercalifragilisticexpialidocious-unbreakably-long-words " * 3)
    size = 600
    image = np.asarray(Image.open(io.BytesIO(make_cover(title, "a subtitle " * 20, size=size))))
    side = round(size * 0.06)
    # Text makes sharp edges; the gradient alone changes by a level or so per pixel.
    for strip in (image[:, :side], image[:, -side:], image[:side, :]):
        steps = np.abs(np.diff(strip.astype(int), axis=1)).max()
        assert steps <= 3, steps
    # And something was drawn: the middle is not the plain gradient.
    middle = image[size // 3: 2 * size // 3, side:-side].astype(int)
    assert np.abs(np.diff(middle, axis=1)).max() > 50


def test_cover_folds_text_the_font_cannot_draw() -> None:
    # The built-in font has no "É" or "—"; folded, the title is drawn exactly like plain ASCII
    # (the palette may differ, the near-white text pixels must not).
    def text_pixels(title: str) -> np.ndarray:
        image = np.asarray(Image.open(io.BytesIO(make_cover(title, size=400))))
        return (image > 235).all(axis=2)

    plain, folded = text_pixels("Evening flow - calm"), text_pixels("Évening flow — calm")
    assert plain.sum() > 500
    assert np.mean(plain != folded) < 0.001
