"""A killed ``build --all`` takes its worker processes with it.

The build runs in a session of its own; once its process is SIGKILLed mid-build, every process
of that session (pool workers, speech workers, multiprocessing's helpers) must be gone within a
few seconds, its stdout must reach end-of-file (so ``build --all | tee log`` ends), and the output
folder must not change afterwards.
"""

from __future__ import annotations

import contextlib
import os
import pty
import select
import shutil
import signal
import subprocess
import sys
import threading
import time
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[2]
GRACE = 5.0
"""Seconds the orphans get to notice their parent is gone."""


@pytest.mark.skipif(not Path("/proc/self/stat").exists(), reason="reads sessions from /proc")
@pytest.mark.parametrize("terminal", [False, True], ids=["piped", "progress-bar"])
def test_workers_die_with_a_killed_library_build(tmp_path: Path, terminal: bool) -> None:
    """Piped, and with stderr on a terminal, where the workers also send their stages to the
    parent's progress bar through a queue."""
    library = tmp_path / "library"
    library.mkdir()
    shutil.copytree(ROOT / "routines" / "poses", library / "poses")
    for name in ("downward-dog-back", "happy-baby", "thunderbolt"):
        shutil.copy(ROOT / "routines" / f"{name}.yaml", library / f"{name}.yaml")
    (library / "library.yaml").write_text("title: Orphans\nbase_url: https://example.org/o/\n")
    out = tmp_path / "out"
    screen = bytearray()
    if terminal:
        master, slave = pty.openpty()
        threading.Thread(target=drain, args=(master, screen), daemon=True).start()
    build = subprocess.Popen(
        [sys.executable, "-m", "matcast.cli", "build", "--all", str(library), "-o", str(out),
         "--cache-dir", str(tmp_path / "cache"), "--jobs", "2"],
        cwd=ROOT, stdout=subprocess.PIPE, stderr=slave if terminal else subprocess.STDOUT,
        start_new_session=True)
    if terminal:
        os.close(slave)
    assert build.stdout is not None
    session = build.pid
    try:
        # Kill once both pool workers are speaking (a cold cache keeps them busy for a while) and,
        # on a terminal, their stages have reached the parent's bar.
        deadline = time.monotonic() + 60
        while (len([c for c in session_cmdlines(session) if "_worker.py" in c]) < 2
               or (terminal and b"speaking" not in screen)):
            assert build.poll() is None, "the build ended before it could be killed"
            assert time.monotonic() < deadline, "no speech workers started within 60 s"
            time.sleep(0.05)
        build.send_signal(signal.SIGKILL)
        build.wait()

        # Its stdout reaches end-of-file: nothing else holds it open.
        deadline = time.monotonic() + GRACE
        while True:
            remaining = deadline - time.monotonic()
            assert remaining > 0, f"stdout still open {GRACE} s after the kill"
            ready, _, _ = select.select([build.stdout], [], [], remaining)
            if ready and not os.read(build.stdout.fileno(), 65536):
                break
        # No process of the build's session is left.
        deadline = time.monotonic() + GRACE
        while left := session_cmdlines(session):
            assert time.monotonic() < deadline, f"still running after the kill: {left}"
            time.sleep(0.05)
        before = snapshot(out)
        time.sleep(1.0)
        assert snapshot(out) == before, "the output folder changed after every process ended"
    finally:
        for pid in session_pids(session):
            with_suppressed_kill(pid)
        build.stdout.close()


def drain(fd: int, sink: bytearray) -> None:
    """Read a pseudo-terminal until it closes (a full one would block the build)."""
    while True:
        try:
            chunk = os.read(fd, 65536)
        except OSError:
            break
        if not chunk:
            break
        sink.extend(chunk)
    os.close(fd)


def session_pids(session: int) -> list[int]:
    pids = []
    for entry in Path("/proc").iterdir():
        if not entry.name.isdigit():
            continue
        try:
            stat = (entry / "stat").read_text()
        except OSError:
            continue
        # Fields after the command name (which may hold spaces): state, ppid, pgrp, session.
        fields = stat.rsplit(")", 1)[1].split()
        if fields[0] != "Z" and int(fields[3]) == session:
            pids.append(int(entry.name))
    return pids


def session_cmdlines(session: int) -> list[str]:
    lines = []
    for pid in session_pids(session):
        try:
            lines.append(Path(f"/proc/{pid}/cmdline").read_bytes().replace(b"\0", b" ").decode())
        except OSError:
            continue
    return lines


def snapshot(folder: Path) -> dict[str, tuple[int, int]]:
    if not folder.exists():
        return {}
    return {p.name: (p.stat().st_size, p.stat().st_mtime_ns) for p in folder.iterdir()}


def with_suppressed_kill(pid: int) -> None:
    with contextlib.suppress(OSError):
        os.kill(pid, signal.SIGKILL)


def test_commit_guard_forbids_the_renames(tmp_path: Path) -> None:
    """What an orphaned worker meets at its last step: its episode's files are not put in place
    and its temp files go, while the previous files stay as they were."""
    from matcast.fs.atomic import atomic_paths, set_commit_guard

    old = tmp_path / "episode.mp3"
    old.write_bytes(b"previous")

    def forbid() -> None:
        raise RuntimeError("the build holding this folder is gone")

    set_commit_guard(forbid)
    try:
        with pytest.raises(RuntimeError), atomic_paths([old, tmp_path / "episode.vtt"]) as tmps:
            for tmp in tmps:
                tmp.write_bytes(b"new")
    finally:
        set_commit_guard(None)
    assert old.read_bytes() == b"previous"
    assert sorted(p.name for p in tmp_path.iterdir()) == ["episode.mp3"]
