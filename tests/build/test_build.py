"""End to end: real pyttsx3 + bundled eSpeak NG, real ffmpeg, the MP3 checked with a decoder."""

from __future__ import annotations

import hashlib
import itertools
import json
import os
import re
import shutil
import signal
import subprocess
import sys
import time
from dataclasses import dataclass
from pathlib import Path

import numpy as np
import pyloudnorm
import pytest
from mutagen.id3 import ID3
from mutagen.mp3 import MP3
from scipy import signal as dsp

from matcast.audio.ffmpeg import decode_pcm
from matcast.build.session import Builder, BuildOptions, BuildResult
from matcast.compiler import CompileOptions
from matcast.cues import SAMPLE_RATE, CueScript, EventKind
from matcast.routine.loader import load_routine

ROOT = Path(__file__).resolve().parents[2]
ROUTINE = "downward-dog-back"


@dataclass(frozen=True)
class Built:
    result: BuildResult
    out: Path
    cache: Path
    audio: np.ndarray
    """The MP3 decoded by ffmpeg, float mono."""
    cues: CueScript
    """The cues.json sidecar, read back."""


@pytest.fixture(scope="module")
def built(tmp_path_factory: pytest.TempPathFactory) -> Built:
    out = tmp_path_factory.mktemp("out")
    cache = tmp_path_factory.mktemp("cache")
    loaded = load_routine(ROOT / "routines" / f"{ROUTINE}.yaml")
    with Builder(BuildOptions(out_dir=out, cache_dir=cache)) as builder:
        result = builder.build(loaded, CompileOptions(), track=3)
    audio = decode_pcm(out / f"{ROUTINE}.mp3").astype(np.float64) / 32768.0
    cues = CueScript.from_dict(json.loads((out / f"{ROUTINE}.cues.json").read_text()))
    return Built(result, out, cache, audio, cues)


def test_writes_the_mp3_and_its_sidecars(built: Built) -> None:
    names = sorted(p.name for p in built.out.iterdir())
    assert names == [f"{ROUTINE}.chapters.json", f"{ROUTINE}.cues.json", f"{ROUTINE}.mp3",
                     f"{ROUTINE}.vtt"]
    assert built.result.speech.rendered > 20 and built.result.speech.cached == 0


def test_decoded_duration_matches_the_cue_script(built: Built) -> None:
    assert built.cues == built.result.script
    # The Xing/LAME header lets the decoder drop the encoder delay and padding.
    assert abs(len(built.audio) - built.cues.duration) <= 1152


def test_every_speech_onset_is_within_30_ms_of_its_timestamp(built: Built) -> None:
    """Onsets found in the decoded MP3 (an independent measurement), for every line that
    follows at least 300 ms of silence."""
    x = built.audio
    window = round(0.005 * SAMPLE_RATE)
    frames = len(x) // window
    level = 20 * np.log10(np.sqrt(np.mean(
        x[: frames * window].reshape(frames, window) ** 2, axis=1)) + 1e-12)
    events = built.cues.events
    checked = 0
    for before, event in itertools.pairwise(events):
        if event.kind is not EventKind.speech or before.kind is not EventKind.silence:
            continue
        if before.length < 0.3 * SAMPLE_RATE:
            continue
        lo = (event.start - round(0.2 * SAMPLE_RATE)) // window
        hi = (event.start + round(0.3 * SAMPLE_RATE)) // window
        loud = np.nonzero(level[lo:hi] > -45)[0]
        assert loud.size, f"no speech found near {event.start / SAMPLE_RATE:.2f}s: {event.text}"
        onset = (lo + loud[0]) * window
        error_ms = abs(onset - event.start) * 1000 / SAMPLE_RATE
        assert error_ms <= 30, f"{event.text!r}: onset off by {error_ms:.1f} ms"
        checked += 1
    assert checked >= 30


def test_loudness_and_true_peak_of_the_mp3(built: Built) -> None:
    lufs = pyloudnorm.Meter(SAMPLE_RATE).integrated_loudness(built.audio)
    assert -17.0 <= lufs <= -15.0, lufs
    true_peak = np.abs(dsp.resample_poly(built.audio, 4, 1)).max()
    assert 20 * np.log10(true_peak) <= -1.0


def test_id3_tags_cover_and_chapters(built: Built) -> None:
    path = built.out / f"{ROUTINE}.mp3"
    tags = ID3(path)
    assert tags.version[:2] == (2, 3)
    assert str(tags["TIT2"]) == "Downward dog for back tension"
    assert str(tags["TALB"]) and str(tags["TPE1"]) and str(tags["TCON"])
    assert str(tags["TRCK"]) == "3"
    covers = tags.getall("APIC")
    assert len(covers) == 1 and covers[0].type == 3 and covers[0].data[:8] == b"\x89PNG\r\n\x1a\n"
    chapters = tags.getall("CHAP")  # in file order, which must be time order
    assert [c.start_time for c in chapters] == sorted(c.start_time for c in chapters)
    assert [c.sub_frames["TIT2"].text[0] for c in chapters] == [
        c.title for c in built.cues.chapters]
    for chap, expected in zip(chapters, built.cues.chapters, strict=True):
        assert abs(chap.start_time - expected.start * 1000 / SAMPLE_RATE) <= 1
        assert abs(chap.end_time - expected.end * 1000 / SAMPLE_RATE) <= 1
    (toc,) = tags.getall("CTOC")
    assert toc.flags & 0x03 == 0x03  # top level, ordered
    assert list(toc.child_element_ids) == [c.element_id for c in chapters]
    info = MP3(path).info
    assert info.sample_rate == 44_100 and info.channels == 1 and info.bitrate == 96_000


def test_webvtt_has_one_cue_per_spoken_line(built: Built) -> None:
    text = (built.out / f"{ROUTINE}.vtt").read_text()
    assert text.startswith("WEBVTT\n")
    spoken = [e for e in built.cues.events if e.kind is EventKind.speech]
    arrows = [line for line in text.splitlines() if " --> " in line]
    assert len(arrows) == len(spoken)
    first = spoken[0]
    h, m, s = arrows[0].split(" --> ")[0].split(":")
    assert abs(int(h) * 3600 + int(m) * 60 + float(s) - first.start / SAMPLE_RATE) < 0.002


def test_second_build_renders_nothing(built: Built) -> None:
    loaded = load_routine(ROOT / "routines" / f"{ROUTINE}.yaml")
    with Builder(BuildOptions(out_dir=built.out, cache_dir=built.cache)) as builder:
        again = builder.build(loaded)
    assert again.speech.rendered == 0
    assert again.speech.cached == built.result.speech.rendered


def run(*args: str, env: dict[str, str] | None = None) -> subprocess.CompletedProcess[str]:
    return subprocess.run([sys.executable, "-m", "matcast.cli", *args], capture_output=True,
                          text=True, check=False, cwd=ROOT, env={**os.environ, **(env or {})})


def digest(path: Path) -> str:
    return hashlib.sha256(path.read_bytes()).hexdigest()


@pytest.fixture(scope="module")
def previous(built: Built, tmp_path_factory: pytest.TempPathFactory) -> Path:
    """An output folder holding a finished build, to check failures leave it intact."""
    out = tmp_path_factory.mktemp("previous")
    for p in built.out.iterdir():
        shutil.copy(p, out / p.name)
    return out


def outputs(folder: Path) -> list[Path]:
    """The files in an output folder (the build lock adds none)."""
    return sorted(folder.iterdir())


def assert_intact(out: Path, built: Built) -> None:
    assert [p.name for p in outputs(out)] == [p.name for p in outputs(built.out)]
    for p in outputs(out):
        assert digest(p) == digest(built.out / p.name), p.name


def test_cli_build_prints_a_summary(built: Built, tmp_path: Path) -> None:
    result = run("build", "thunderbolt", "-o", str(tmp_path), "--cache-dir", str(built.cache),
                 "--stereo", "--bitrate", "128k")
    assert result.returncode == 0, result.stderr
    line = result.stdout.strip()
    assert line.startswith(str(tmp_path / "thunderbolt.mp3")) and " MB " in line
    info = MP3(tmp_path / "thunderbolt.mp3").info
    assert info.channels == 2 and info.bitrate == 128_000
    quiet = run("build", "thunderbolt", "-o", str(tmp_path), "--cache-dir", str(built.cache),
                "--quiet")
    assert quiet.returncode == 0 and quiet.stdout == "" and quiet.stderr == ""


@pytest.mark.parametrize(("env", "expected"), [
    ({"MATCAST_FFMPEG": "/nonexistent/ffmpeg"}, "ffmpeg"),
    ({"MATCAST_FFMPEG": "/bin/false"}, "encoding"),
], ids=["missing-ffmpeg", "broken-ffmpeg"])
def test_ffmpeg_failures_exit_1_and_keep_previous_files(
        built: Built, previous: Path, env: dict[str, str], expected: str) -> None:
    # Other cue sounds: another session, written to the same files.
    result = run("build", ROUTINE, "-o", str(previous), "--cache-dir", str(built.cache),
                 "--cues", "no-chimes", env=env)
    assert result.returncode == 1, result.stderr
    assert expected in result.stderr and "Traceback" not in result.stderr
    assert_intact(previous, built)


def test_output_folder_under_a_file_exits_2(built: Built, tmp_path: Path) -> None:
    blocker = tmp_path / "a-file"
    blocker.write_text("not a folder")
    result = run("build", ROUTINE, "-o", str(blocker / "out"), "--cache-dir", str(built.cache))
    assert result.returncode == 2
    assert f"{blocker} is a file, not a folder" in result.stderr
    assert "Traceback" not in result.stderr and ".matcast.lock" not in result.stderr


def test_full_disk_exits_1_and_keeps_previous_files(built: Built, tmp_path: Path) -> None:
    disk = tmp_path / "disk"
    disk.mkdir()
    mounted = subprocess.run(["mount", "-t", "tmpfs", "-o", "size=1200k", "tmpfs", str(disk)],
                             capture_output=True, check=False)
    if mounted.returncode != 0:
        pytest.skip(f"cannot mount a small tmpfs to fill (needs root): {mounted.stderr!r}")
    try:
        for p in built.out.iterdir():
            if p.suffix != ".mp3":
                shutil.copy(p, disk / p.name)
        # Room for the sidecars but not for a new MP3 beside them.
        (disk / "filler").write_bytes(b"\0" * 400_000)
        before = {p.name: digest(p) for p in outputs(disk)}
        result = run("build", ROUTINE, "-o", str(disk), "--cache-dir", str(built.cache),
                     "--cues", "no-chimes")
        assert result.returncode == 1, result.stderr
        assert re.search(r"disk (is )?full", result.stderr) and "Traceback" not in result.stderr
        assert {p.name: digest(p) for p in outputs(disk)} == before
    finally:
        subprocess.run(["umount", str(disk)], check=False)


def test_killed_build_leaves_previous_files_and_next_build_cleans_up(
        built: Built, tmp_path: Path) -> None:
    out = tmp_path / "out"
    shutil.copytree(built.out, out)
    old = {p.name: digest(p) for p in out.iterdir()}
    for delay in (0.3, 1.2, 2.5):
        proc = subprocess.Popen(
            [sys.executable, "-m", "matcast.cli", "build", ROUTINE, "-o", str(out),
             "--cache-dir", str(built.cache), "--cues", "no-chimes", "--quiet"], cwd=ROOT)
        time.sleep(delay)
        proc.send_signal(signal.SIGKILL)
        proc.wait()
        for p in out.iterdir():
            if p.name.startswith("."):
                # Only hidden temp files (the build lock adds no file).
                assert p.name.endswith(".matcast-tmp"), p.name
                continue
            assert p.name in old
            # Either the previous file, or a complete new one.
            if digest(p) != old[p.name] and p.suffix == ".json":
                json.loads(p.read_text())
    result = run("build", ROUTINE, "-o", str(out), "--cache-dir", str(built.cache), "--quiet")
    assert result.returncode == 0, result.stderr
    assert not [p for p in out.iterdir() if p.name.endswith(".matcast-tmp")]
    assert sorted(p.name for p in out.iterdir()) == sorted(old)


def test_routine_cover_is_used_as_the_front_cover(built: Built, tmp_path: Path) -> None:
    import io

    from PIL import Image

    library = tmp_path / "library"
    (library / "poses").mkdir(parents=True)
    shutil.copy(ROOT / "routines" / "poses" / "childs-pose.yaml", library / "poses")
    buffer = io.BytesIO()
    Image.new("RGB", (600, 600), (40, 90, 120)).save(buffer, "JPEG")
    (library / "cover.jpg").write_bytes(buffer.getvalue())
    (library / "rest.yaml").write_text(
        "title: Rest\ncover: cover.jpg\nintro: [Rest now.]\n"
        "sequence:\n  - pose: childs-pose\n    hold: {breaths: 1}\n")
    result = run("build", str(library / "rest.yaml"), "-o", str(tmp_path / "out"),
                 "--cache-dir", str(built.cache), "--quiet")
    assert result.returncode == 0, result.stderr
    (picture,) = ID3(tmp_path / "out" / "rest.mp3").getall("APIC")
    assert picture.type == 3 and picture.mime == "image/jpeg"
    assert picture.data == buffer.getvalue()
