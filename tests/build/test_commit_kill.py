"""An episode's four files switch together, even when the build is killed between two renames.

A build is SIGKILLed at the 2nd, 3rd and 4th rename that puts its files in place. Then the commit
journal is still there; the next process to take the folder's lock finishes the switch, so the
MP3, the cue script, the captions and the chapters are all the killed build's, and agree.
"""

from __future__ import annotations

import json
import subprocess
import sys
from pathlib import Path

import pytest

from matcast.audio.ffmpeg import decode_pcm
from matcast.fs.atomic import COMMIT_SUFFIX, TMP_SUFFIX

ROOT = Path(__file__).resolve().parents[2]
ROUTINE = "thunderbolt"
FILES = (".mp3", ".cues.json", ".vtt", ".chapters.json")
OTHER = ("--cues", "no-chimes")
"""Another session under the same file names (the pace or length would change the names)."""

KILLED_BUILD = """
import os, signal, sys
from matcast.fs.atomic import COMMIT_SUFFIX, TMP_SUFFIX
from matcast.cli import main

kill_at, renames, real = int(sys.argv[1]), 0, os.replace

def replace(src, dst, *args, **kwargs):
    global renames
    if str(src).endswith(TMP_SUFFIX) and not str(dst).endswith(COMMIT_SUFFIX):
        renames += 1
        if renames == kill_at:
            os.kill(os.getpid(), signal.SIGKILL)
    return real(src, dst, *args, **kwargs)

os.replace = replace
sys.argv = ["matcast", *sys.argv[2:]]
main()
"""


def build(out: Path, cache: Path, *extra: str, kill_at: int | None = None
          ) -> subprocess.CompletedProcess[str]:
    args = ["build", ROUTINE, "-o", str(out), "--cache-dir", str(cache), "--quiet", *extra]
    if kill_at is None:
        command = [sys.executable, "-m", "matcast.cli", *args]
    else:
        command = [sys.executable, "-c", KILLED_BUILD, str(kill_at), *args]
    return subprocess.run(command, cwd=ROOT, capture_output=True, text=True, check=False)


def episode(out: Path) -> dict[str, bytes]:
    return {suffix: (out / f"{ROUTINE}{suffix}").read_bytes() for suffix in FILES}


def agree(out: Path) -> float:
    """The files describe one session: return its length in seconds."""
    cues = json.loads((out / f"{ROUTINE}.cues.json").read_text())
    chapters = json.loads((out / f"{ROUTINE}.chapters.json").read_text())
    vtt = (out / f"{ROUTINE}.vtt").read_text()
    samples = len(decode_pcm(out / f"{ROUTINE}.mp3"))
    assert abs(samples - round(cues["duration"] * 44_100)) <= 1152
    last_chapter = chapters["chapters"][-1]["startTime"]
    assert last_chapter < cues["duration"]
    last_cue = [e for e in cues["events"] if e.get("text")][-1]["text"]
    assert last_cue.split()[0] in vtt
    return float(cues["duration"])


@pytest.mark.slow  # three builds and a kill each
@pytest.mark.parametrize("kill_at", [2, 3, 4])
def test_a_kill_between_renames_is_finished_by_the_next_build(
        tmp_path: Path, kill_at: int) -> None:
    out, cache = tmp_path / "out", tmp_path / "cache"
    first = build(out, cache)
    assert first.returncode == 0, first.stderr
    old = episode(out)
    agree(out)

    killed = build(out, cache, *OTHER, kill_at=kill_at)
    assert killed.returncode == -9, killed.stderr
    # Killed mid-switch: some files are new, some old, and the journal says what is pending.
    now = episode(out)
    switched = [s for s in FILES if now[s] != old[s]]
    assert len(switched) == kill_at - 1, switched
    assert len(list(out.glob(f".*{COMMIT_SUFFIX}"))) == 1

    # The next build of the folder finishes the switch before anything else: every file is the
    # killed build's, and they agree.
    again = build(out, cache, *OTHER)
    assert again.returncode == 0, again.stderr
    assert all(episode(out)[s] != old[s] for s in FILES)
    agree(out)
    assert not list(out.glob(f".*{COMMIT_SUFFIX}")) and not list(out.glob(f".*{TMP_SUFFIX}"))


@pytest.mark.slow  # two builds and a kill
def test_recover_alone_restores_one_generation(tmp_path: Path) -> None:
    """What the lock holder runs first: the killed build's files, all four, without a rebuild."""
    from matcast.fs.atomic import recover

    out, cache = tmp_path / "out", tmp_path / "cache"
    assert build(out, cache).returncode == 0
    old = episode(out)
    assert build(out, cache, *OTHER, kill_at=3).returncode == -9
    assert len(recover(out)) == 1
    assert all(episode(out)[s] != old[s] for s in FILES)
    agree(out)
    assert not list(out.glob(f".*{TMP_SUFFIX}"))
