"""Piper is the default engine; $MATCAST_ENGINE names another (the suite's conftest sets
pyttsx3); a default that cannot speak is an error, never another voice."""

from __future__ import annotations

import os
import subprocess
import sys
import wave
from pathlib import Path

import pytest

from matcast.errors import VoiceError
from matcast.voice import piper_engine
from matcast.voice.default import ENGINE_ENV, default_engine
from matcast.voice.registry import get_engine

ROOT = Path(__file__).resolve().parents[2]


def run_say(env: dict[str, str], *args: str) -> subprocess.CompletedProcess[str]:
    return subprocess.run([sys.executable, "-m", "matcast.cli", "say", *args],
                          capture_output=True, text=True, check=False, cwd=ROOT, env=env)


def test_the_suite_speaks_with_espeak_unless_a_test_asks() -> None:
    assert os.environ[ENGINE_ENV] == "pyttsx3" and default_engine() == "pyttsx3"


def test_without_matcast_engine_get_engine_gives_piper(monkeypatch: pytest.MonkeyPatch) -> None:
    pytest.importorskip("piper", reason="piper-tts is not installed")
    monkeypatch.delenv(ENGINE_ENV)
    with get_engine() as engine:  # starts no worker: nothing is spoken
        assert isinstance(engine, piper_engine.PiperEngine)


@pytest.mark.slow
def test_without_matcast_engine_the_default_is_piper(tmp_path: Path) -> None:
    # One short Piper render, from the command line as a user runs it (about 10 s: the model).
    pytest.importorskip("piper", reason="piper-tts is not installed")
    env = {k: v for k, v in os.environ.items() if k != ENGINE_ENV}
    out = tmp_path / "rest.wav"
    result = run_say(env, "Rest.", "-o", str(out))
    assert result.returncode == 0, result.stderr
    assert "piper en_US-joe-medium at 135 wpm" in result.stdout
    with wave.open(str(out)) as w:
        assert w.getframerate() == 44_100 and w.getnframes() > 0.2 * 44_100


def test_an_unknown_default_engine_names_the_variable() -> None:
    result = run_say({**os.environ, ENGINE_ENV: "espeak"}, "Rest.", "--phonemes")
    assert result.returncode == 2
    assert "unknown speech engine 'espeak'" in result.stderr
    assert f"${ENGINE_ENV} is 'espeak'" in result.stderr


def test_a_default_piper_that_cannot_load_is_an_error_not_another_voice(
        monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.delenv(ENGINE_ENV)
    monkeypatch.setattr(piper_engine, "dist_version",
                        lambda name: None if name == "onnxruntime" else "1")
    with pytest.raises(VoiceError) as info:
        get_engine()
    message = str(info.value)
    assert "speech engine piper needs onnxruntime" in message
    assert "--engine pyttsx3" in message and "MATCAST_ENGINE=pyttsx3" in message
