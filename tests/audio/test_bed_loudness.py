"""The -16 LUFS target and the -1 dBTP ceiling hold at every bed level a user can ask for.

Measured on the MP3 the build wrote, by an independent meter: ffmpeg's ebur128 filter (BS.1770
loudness, true peak by its own 4x oversampling), on a one-pose routine so that each build takes
seconds.
"""

from __future__ import annotations

import logging
import math
import re
import shutil
import subprocess
from pathlib import Path

import numpy as np
import pytest
from scipy import signal

from matcast.audio import encoded
from matcast.audio.ffmpeg import encode_mp3, ffmpeg_exe
from matcast.audio.loudness import integrated_loudness
from matcast.audio.stream import ArrayPcm, PcmSource
from matcast.bounds import BED_LEVEL_MAX, BED_LEVEL_MIN
from matcast.build.session import Builder, BuildOptions
from matcast.routine.loader import load_routine

ROOT = Path(__file__).resolve().parents[2]
ROUTINE = """\
title: Bed levels
defaults: {hold: {breaths: 2}, rest: 4}
intro: [Settle in, and let the shoulders soften.]
sequence:
  - pose: childs-pose
outro: [Rest here as long as you like.]
"""


def ebur128(mp3: Path) -> tuple[float, float]:
    """(integrated LUFS, true peak dBTP) of ``mp3`` by ffmpeg's ebur128 filter."""
    done = subprocess.run(
        [ffmpeg_exe(), "-hide_banner", "-nostats", "-i", str(mp3), "-af",
         "ebur128=peak=true:metadata=1,ametadata=mode=print:file=-", "-f", "null", "-"],
        capture_output=True, text=True, check=True)
    # Running values, one set per 100 ms frame: the last holds the whole file.
    lufs = float(re.findall(r"lavfi\.r128\.I=(-?[\d.]+)", done.stdout)[-1])
    peak = float(re.findall(r"lavfi\.r128\.true_peak=([\d.]+)", done.stdout)[-1])
    return lufs, 20 * math.log10(peak)


@pytest.fixture(scope="module")
def routine(tmp_path_factory: pytest.TempPathFactory) -> Path:
    lib = tmp_path_factory.mktemp("library")
    (lib / "poses").mkdir()
    shutil.copy(ROOT / "routines" / "poses" / "childs-pose.yaml", lib / "poses")
    (lib / "r.yaml").write_text(ROUTINE)
    return lib / "r.yaml"


@pytest.fixture(scope="module")
def cache(tmp_path_factory: pytest.TempPathFactory) -> Path:
    return tmp_path_factory.mktemp("cache")


def build(routine: Path, cache: Path, out: Path, bed: str, level: float) -> Path:
    options = BuildOptions(out_dir=out, cache_dir=cache, bed=bed, bed_level=level)
    with Builder(options) as builder:
        return builder.build(load_routine(routine)).mp3


@pytest.mark.parametrize(("bed", "level"), [
    ("rain", BED_LEVEL_MIN), ("rain", BED_LEVEL_MAX), ("ocean", BED_LEVEL_MAX),
])
def test_loudness_and_true_peak_at_the_extreme_bed_levels(
        routine: Path, cache: Path, tmp_path: Path, bed: str, level: float) -> None:
    lufs, peak = ebur128(build(routine, cache, tmp_path, bed, level))
    assert abs(lufs + 16) <= 0.5, lufs
    assert peak <= -1.0, peak


def test_the_encoded_file_is_corrected_where_coding_pushed_a_peak_over(
        routine: Path, cache: Path, tmp_path: Path, monkeypatch: pytest.MonkeyPatch,
        caplog: pytest.LogCaptureFixture) -> None:
    """The correction itself: with the aim set under what the encoder gives this session, the
    build must dip the offending peaks and encode again, leaving the loudness on target."""
    plain = ebur128(build(routine, cache, tmp_path / "plain", "rain", BED_LEVEL_MAX))
    aim = round(plain[1] - 0.6, 1)
    monkeypatch.setattr(encoded, "PEAK_AIM_DBTP", aim)
    monkeypatch.setattr(encoded, "MP3_CEILING_DBTP", aim + 0.2)
    with caplog.at_level(logging.INFO, logger=encoded.__name__):
        lufs, peak = ebur128(build(routine, cache, tmp_path / "held", "rain", BED_LEVEL_MAX))
    assert "encoding again" in caplog.text
    assert peak <= aim + 0.1, (plain, peak)  # ebur128 and our meter oversample differently
    assert abs(lufs - plain[0]) <= 0.1 and abs(lufs + 16) <= 0.5


def test_a_file_off_the_loudness_target_is_brought_back(tmp_path: Path) -> None:
    """The other correction: an encoded file 1 LU quiet gets the gain it lacks."""
    rng = np.random.default_rng(7)
    t = np.arange(12 * 44_100) / 44_100
    noise = signal.sosfilt(signal.butter(2, [300, 3000], "bandpass", fs=44_100, output="sos"),
                           rng.standard_normal(t.size))
    x = noise * (np.sin(2 * np.pi * 0.4 * t) > 0)  # bursts and silences, like speech
    x *= 10 ** ((-17 - integrated_loudness(x, 44_100)) / 20)
    pcm = np.round(x * 32767).astype(np.int16)
    path = tmp_path / "quiet.mp3"
    encode_mp3(pcm, 44_100, path)
    assert ebur128(path)[0] < -16.6

    def rewrite(samples: PcmSource) -> None:
        encode_mp3(samples.blocks(), 44_100, path)

    _, report = encoded.hold_levels(ArrayPcm(pcm), path, rewrite)
    lufs, peak = ebur128(path)
    assert abs(lufs + 16) <= encoded.LUFS_TOLERANCE + 0.05 and peak <= -1.0
    assert abs(report.integrated_lufs - lufs) <= 0.1
