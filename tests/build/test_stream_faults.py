"""An encoder that fails while the session streams into it leaves nothing written and says why.

The session is produced block by block into ffmpeg's stdin, so ffmpeg can fail, be killed or
stop reading with most of the session still to come. A stand-in ffmpeg reads part of the
session and then does each of those; the build must raise our error (no traceback at the CLI)
and leave the output folder as it was.
"""

from __future__ import annotations

import os
import shutil
from pathlib import Path

import pytest

from matcast.audio import mixer
from matcast.audio.ffmpeg import ENV_VAR, mp3_level_change_db
from matcast.build.session import Builder, BuildOptions
from matcast.errors import ToolError
from matcast.routine.loader import load_routine

ROOT = Path(__file__).resolve().parents[2]
ROUTINE = """\
title: Faults
defaults: {hold: {breaths: 2}, rest: 4}
intro: [Settle in.]
sequence:
  - pose: childs-pose
outro: [Rest here.]
"""


@pytest.fixture(scope="module")
def routine(tmp_path_factory: pytest.TempPathFactory) -> Path:
    lib = tmp_path_factory.mktemp("library")
    (lib / "poses").mkdir()
    shutil.copy(ROOT / "routines" / "poses" / "childs-pose.yaml", lib / "poses")
    (lib / "faults.yaml").write_text(ROUTINE)
    return lib / "faults.yaml"


@pytest.fixture(scope="module")
def cache(tmp_path_factory: pytest.TempPathFactory, routine: Path) -> Path:
    """A warm cache (and the encoder's level change measured with the real ffmpeg)."""
    mp3_level_change_db("96k", 1)
    cache = tmp_path_factory.mktemp("cache")
    with Builder(BuildOptions(out_dir=tmp_path_factory.mktemp("warm"), cache_dir=cache)) as b:
        b.build(load_routine(routine))
    return cache


def fake_ffmpeg(tmp_path: Path, then: str) -> str:
    """An 'ffmpeg' that reads 200 kB of the session (about 2 s), then does ``then``."""
    path = tmp_path / "ffmpeg"
    path.write_text(f"#!/bin/sh\nhead -c 200000 > /dev/null\n{then}\n")
    path.chmod(0o755)
    return str(path)


def build_into(out: Path, cache: Path, routine: Path) -> None:
    with Builder(BuildOptions(out_dir=out, cache_dir=cache)) as builder:
        builder.build(load_routine(routine))


def written(out: Path) -> list[str]:
    return sorted(p.name for p in out.rglob("*") if p.is_file()) if out.exists() else []


@pytest.mark.parametrize(("then", "said"), [
    ("echo 'libmp3lame: out of cheese' >&2; exit 3",
     "ffmpeg failed (exit code 3) while encoding"),
    ("kill -9 $$", "ffmpeg was killed by signal 9 while encoding"),
    ("exit 0", "ffmpeg stopped reading the session before its end"),
])
def test_an_encoder_failing_mid_stream_leaves_nothing_written(
        routine: Path, cache: Path, tmp_path: Path, monkeypatch: pytest.MonkeyPatch,
        then: str, said: str) -> None:
    out = tmp_path / "out"
    out.mkdir()
    (out / "keep.txt").write_text("a user's file")
    monkeypatch.setenv(ENV_VAR, fake_ffmpeg(tmp_path, then))
    with pytest.raises(ToolError) as caught:
        build_into(out, cache, routine)
    assert said in str(caught.value)
    if "exit code" in said:
        assert "out of cheese" in str(caught.value)  # ffmpeg's own words come along
    assert written(out) == ["keep.txt"]


def test_a_session_failing_mid_stream_stops_the_encoder(
        routine: Path, cache: Path, tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    """The other side: the session's blocks raise while ffmpeg reads them. The error goes on,
    ffmpeg is stopped (not left waiting on its stdin), and nothing is written."""
    real = mixer.VoiceTrack.read
    calls = []

    def failing(self: mixer.VoiceTrack, start: int, stop: int):
        calls.append(start)
        if len(calls) > 1:
            raise RuntimeError("the disk holding the clips went away")
        return real(self, start, stop)

    monkeypatch.setattr(mixer.VoiceTrack, "read", failing)
    out = tmp_path / "out"
    with pytest.raises(RuntimeError, match="went away"):
        build_into(out, cache, routine)
    assert len(calls) == 2
    assert written(out) == []
    assert [name for name in child_commands() if "ffmpeg" in name] == []


def child_commands() -> list[str]:
    """The command names of this process's living children (Linux /proc)."""
    names = []
    for entry in Path("/proc").iterdir():
        try:
            stat = (entry / "stat").read_text()
        except OSError:  # not a process, or gone
            continue
        name, rest = stat[stat.index("(") + 1:stat.rindex(")")], stat[stat.rindex(")") + 2:]
        state, ppid = rest.split()[:2]
        if int(ppid) == os.getpid() and state != "Z":
            names.append(name)
    return names
