"""``matcast say``: one line to a WAV, through the library's lexicon; --phonemes shows eSpeak's
reading; bad input is a located error with exit code 2 and nothing written."""

from __future__ import annotations

import subprocess
import sys
import wave
from pathlib import Path

import pytest

from matcast.errors import UsageError

ROOT = Path(__file__).resolve().parents[1]


def say(*args: str, cwd: Path = ROOT) -> subprocess.CompletedProcess[str]:
    return subprocess.run([sys.executable, "-m", "matcast.cli", "say", *args],
                          capture_output=True, text=True, check=False, cwd=cwd)


def test_say_writes_the_respelled_line_as_a_wav(tmp_path: Path) -> None:
    out = tmp_path / "tree.wav"
    result = say("Come into Vrksasana.", "-o", str(out), "--engine", "pyttsx3", "--rate", "120")
    assert result.returncode == 0, result.stderr
    assert "pyttsx3 gmw/en at 120 wpm: Come into Vriksha-sahna." in result.stdout
    with wave.open(str(out)) as w:
        assert (w.getframerate(), w.getnchannels(), w.getsampwidth()) == (44_100, 1, 2)
        assert w.getnframes() > 44_100  # about 1.5 s of speech
    assert [p.name for p in tmp_path.iterdir()] == ["tree.wav"]  # no temporary file left


def test_say_phonemes_prints_eSpeak_s_reading_and_writes_nothing(tmp_path: Path) -> None:
    result = say("Utthita Hasta", "--phonemes", "--engine", "piper", cwd=tmp_path)
    assert result.returncode == 0, result.stderr
    assert "spoken:   Oot-heetah Hahstah" in result.stdout
    assert "ˈuːthˈiːɾə hˈɑːstə" in result.stdout and "voice en-us" in result.stdout
    assert not list(tmp_path.iterdir())


def test_say_refuses_bad_input_with_exit_code_2(tmp_path: Path) -> None:
    from matcast.build.say import say as speak

    for text, out, message in [("  \t", None, "TEXT has no words to speak"),
                               ("x" * 1001, None, "say speaks up to 1000"),
                               ("Rest.", tmp_path, "is a folder")]:
        with pytest.raises(UsageError, match=message) as info:
            speak(text, out, "pyttsx3", None, None, ROOT / "routines")
        assert info.value.exit_code == 2
    result = say("Rest.", "--rate", "300")
    assert result.returncode == 2 and "from 95 to 220" in result.stderr
    broken = tmp_path / "lib"
    broken.mkdir()
    (broken / "lexicon.yaml").write_text("words: {Tada: 12}\n")
    result = say("Tada", "--library", str(broken), "-o", str(tmp_path / "x.wav"))
    assert result.returncode == 2 and "lexicon.yaml:1:" in result.stderr
    assert not (tmp_path / "x.wav").exists()
