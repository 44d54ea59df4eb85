"""The speech worker's "ok" means a complete WAV, on its first line, with the machine loaded.

A worker's first render used to be reported done while eSpeak's own thread was still writing the
WAV (pyttsx3's eSpeak driver ended its loop early; see ``_initialize_espeak_synchronously`` in
``matcast.voice._worker``). This test starts fresh workers with both cores kept busy and checks
each first WAV the instant the reply arrives.
"""

from __future__ import annotations

import subprocess
import sys
import time
from collections.abc import Iterator
from pathlib import Path

import pytest

from matcast.voice._worker import wav_defect
from matcast.voice.pyttsx3_engine import default_worker_cmd
from matcast.voice.worker_process import Worker

STARTS = 50
FIRST_LINE = (
    "Welcome. Your run is done, and now it's time to help your muscles recover. Find a quiet "
    "spot, lay out your mat, and take a moment to notice how your legs feel after the miles."
)


@pytest.fixture
def busy_cores() -> Iterator[None]:
    """Both cores kept busy by CPU burners for the length of the test."""
    burners = [
        subprocess.Popen([sys.executable, "-c", "while True: pass"]) for _ in range(2)
    ]
    try:
        yield
    finally:
        for burner in burners:
            burner.kill()
            burner.wait()


def first_render(path: Path) -> tuple[dict[str, object], str | None]:
    """Start a worker, have it speak FIRST_LINE, judge the WAV as soon as it says so."""
    worker = Worker(default_worker_cmd(), {})
    try:
        ready = worker.receive(60)
        assert ready.get("event") == "ready", ready
        worker.send({"op": "render", "id": 1, "text": FIRST_LINE, "path": str(path),
                     "voice": ready["default_voice"], "rate": 160})
        reply = worker.receive(60)
        # Judged at once, before anything else can happen: no waiting for the file to settle.
        defect = wav_defect(path.read_bytes()) if path.exists() else "no WAV file was written"
        return reply, defect
    finally:
        worker.close()


@pytest.mark.slow  # fifty fresh workers on busy cores: CI runs it with -m slow
def test_first_render_of_fresh_workers_is_complete_under_load(
        tmp_path: Path, busy_cores: None) -> None:
    failures = []
    started = time.monotonic()
    for start in range(STARTS):
        path = tmp_path / f"first-{start}.wav"
        reply, defect = first_render(path)
        if not reply.get("ok") or defect:
            failures.append((start, reply, defect))
        elif path.stat().st_size < 44 + 2 * 22050 * 5:
            # At least five seconds of speech: the whole line, not a fragment of it.
            failures.append((start, reply, f"only {path.stat().st_size} bytes"))
        path.unlink(missing_ok=True)
    elapsed = time.monotonic() - started
    assert failures == [], f"{len(failures)} of {STARTS} first renders failed in {elapsed:.0f} s"
