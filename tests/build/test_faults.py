"""Injected faults: a speech worker that crashes or writes nothing for one routine of a batch,
ffmpeg killed mid-encode, a corrupt cache entry, two builds of one folder at once, hostile text.
Each leaves a clear error, intact previous outputs, and the rest of the work done."""

from __future__ import annotations

import json
import os
import shutil
import subprocess
import sys
from pathlib import Path

import feedparser
import pytest

ROOT = Path(__file__).resolve().parents[2]
POSES = ROOT / "routines" / "poses"

ROUTINE = """\
title: {title}
description: A short test session.
defaults: {{hold: {{breaths: 1}}, rest: 0.5}}
intro: [{intro}]
sequence:
  - pose: childs-pose
"""


def library(root: Path, **intros: str) -> Path:
    lib = root / "library"
    (lib / "poses").mkdir(parents=True)
    shutil.copy(POSES / "childs-pose.yaml", lib / "poses")
    for name, intro in intros.items():
        (lib / f"{name}.yaml").write_text(ROUTINE.format(title=name.title(), intro=intro))
    (lib / "library.yaml").write_text("title: Faults\nbase_url: https://example.org/f/\n")
    return lib


def run(*args: str, env: dict[str, str] | None = None, timeout: float = 300
        ) -> subprocess.CompletedProcess[str]:
    return subprocess.run([sys.executable, "-m", "matcast.cli", *args], capture_output=True,
                          text=True, check=False, cwd=ROOT, env={**os.environ, **(env or {})},
                          timeout=timeout)


@pytest.fixture(scope="module")
def cache(tmp_path_factory: pytest.TempPathFactory) -> Path:
    return tmp_path_factory.mktemp("cache")


PROXY = """\
# A speech worker that misbehaves on lines containing MARKER, and is the real worker otherwise.
import json, os, subprocess, sys
from matcast.voice.pyttsx3_engine import default_worker_cmd
real = subprocess.Popen(default_worker_cmd(), stdin=subprocess.PIPE, stdout=subprocess.PIPE)
sys.stdout.buffer.write(real.stdout.readline()); sys.stdout.buffer.flush()
for line in sys.stdin.buffer:
    if b"MARKER" in line:
        request = json.loads(line)
        if MODE == "crash":
            os._exit(3)
        open(request["path"], "wb").close()  # an empty WAV, reported as success
        sys.stdout.buffer.write((json.dumps({"id": request["id"], "ok": True}) + "\\n").encode())
        sys.stdout.buffer.flush()
        continue
    real.stdin.write(line); real.stdin.flush()
    sys.stdout.buffer.write(real.stdout.readline()); sys.stdout.buffer.flush()
"""


@pytest.mark.parametrize("mode", ["crash", "empty"])
def test_speech_failure_in_one_routine_does_not_stop_the_batch(
        tmp_path: Path, cache: Path, mode: str) -> None:
    lib = library(tmp_path, calm="Settle in.", broken="MARKER in this line.")
    proxy = tmp_path / "proxy.py"
    proxy.write_text(f"MODE = {mode!r}\n" + PROXY)
    out = tmp_path / "out"
    result = run("build", "--all", str(lib), "-o", str(out), "--cache-dir", str(cache),
                 env={"MATCAST_TTS_WORKER_CMD": f"{sys.executable} {proxy}"})
    assert result.returncode == 1, result.stderr
    rows = {line.split()[0]: line for line in result.stdout.splitlines() if line.strip()}
    assert "failed" in rows["broken"] and "MARKER in this line" in rows["broken"]
    assert "built" in rows["calm"]
    assert (out / "calm.mp3").is_file() and not (out / "broken.mp3").exists()
    assert "Traceback" not in result.stderr


FFMPEG_KILLER = """\
#!/bin/sh
# Read a little of the PCM, then die the way an OOM kill or a signal would.
head -c 100000 > /dev/null
kill -9 $$
"""


def test_ffmpeg_killed_mid_encode_keeps_previous_files(tmp_path: Path, cache: Path) -> None:
    lib = library(tmp_path, calm="Settle in.")
    out = tmp_path / "out"
    assert run("build", str(lib / "calm.yaml"), "-o", str(out), "--cache-dir", str(cache),
               "--quiet").returncode == 0
    before = {p.name: p.read_bytes() for p in out.iterdir() if not p.name.startswith(".")}
    killer = tmp_path / "ffmpeg"
    killer.write_text(FFMPEG_KILLER)
    killer.chmod(0o755)
    result = run("build", str(lib / "calm.yaml"), "-o", str(out), "--cache-dir", str(cache),
                 "--cues", "no-chimes", env={"MATCAST_FFMPEG": str(killer)})
    assert result.returncode == 1
    assert "ffmpeg" in result.stderr and "Traceback" not in result.stderr
    after = {p.name: p.read_bytes() for p in out.iterdir() if not p.name.startswith(".")}
    assert after == before
    assert not list(out.glob(".*.matcast-tmp"))


def test_corrupt_cache_entry_is_rendered_again(tmp_path: Path, cache: Path) -> None:
    lib = library(tmp_path, calm="A line only this test says.")
    own_cache = tmp_path / "cache"
    args = ("build", str(lib / "calm.yaml"), "-o", str(tmp_path / "out"), "--cache-dir",
            str(own_cache))
    first = run(*args)
    assert first.returncode == 0, first.stderr
    entries = sorted(own_cache.glob("??/*.wav"))
    assert entries
    for entry in entries[:3]:
        data = entry.read_bytes()
        entry.write_bytes(data[: len(data) // 2])  # truncated
    for profile in sorted(own_cache.glob("profiles/??/*.prof"))[:3]:
        data = bytearray(profile.read_bytes())
        data[10] ^= 0xFF  # one flipped byte
        profile.write_bytes(bytes(data))
    second = run(*args)
    assert second.returncode == 0, second.stderr
    assert "3 lines spoken" in second.stdout
    cues = json.loads((tmp_path / "out" / "calm.cues.json").read_text())
    assert abs(cues["duration"] - json.loads(
        (tmp_path / "out" / "calm.cues.json").read_text())["duration"]) < 1e-9


def test_two_builds_of_one_folder_at_once(tmp_path: Path, cache: Path) -> None:
    lib = library(tmp_path, calm="Settle in.", quiet="Be still.")
    out = tmp_path / "out"
    args = [sys.executable, "-m", "matcast.cli", "build", "--all", str(lib), "-o", str(out),
            "--cache-dir", str(cache)]
    first = subprocess.Popen(args, stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True,
                             cwd=ROOT)
    second = subprocess.Popen(args, stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True,
                              cwd=ROOT)
    results = [p.communicate(timeout=300) for p in (first, second)]
    assert first.returncode == 0 and second.returncode == 0, results
    manifest = json.loads((out / "manifest.json").read_text())
    assert sorted(manifest["episodes"]) == ["calm", "quiet"]
    for slug, entry in manifest["episodes"].items():
        assert (out / f"{slug}.mp3").stat().st_size == entry["mp3_bytes"]
    # One built; the other waited for it and then found nothing to do.
    outputs = "".join(out for out, _ in results)
    assert outputs.count("built") == 2 and outputs.count("skipped") == 2


def test_hostile_titles_are_text_everywhere(tmp_path: Path, cache: Path) -> None:
    hostile = '<script>alert(1)</script> & "quotes"'
    lib = library(tmp_path, calm="Settle in.")
    (lib / "calm.yaml").write_text(
        ROUTINE.format(title=json.dumps(hostile), intro="Settle in.")
        + f"focus: [{json.dumps('<b>hips</b>')}]\n")
    out = tmp_path / "out"
    result = run("build", "--all", str(lib), "-o", str(out), "--cache-dir", str(cache))
    assert result.returncode == 0, result.stderr
    for page in ("index.html", "calm.html"):
        html = (out / page).read_text()
        assert "<script>alert(1)</script>" not in html and "<b>hips</b>" not in html
        assert "&lt;script&gt;alert(1)&lt;/script&gt;" in html
    feed = feedparser.parse(str(out / "feed.xml"))
    assert not feed.bozo, feed.bozo_exception
    assert feed.entries[0].title == hostile
    cues = json.loads((out / "calm.cues.json").read_text())
    assert cues["title"] == hostile
    vtt = (out / "calm.vtt").read_text()
    assert "<script>" not in vtt


def test_symlinked_pose_outside_the_library_is_refused(tmp_path: Path) -> None:
    lib = library(tmp_path, calm="Settle in.")
    outside = tmp_path / "elsewhere.yaml"
    shutil.copy(POSES / "childs-pose.yaml", outside)
    (lib / "poses" / "childs-pose.yaml").unlink()
    (lib / "poses" / "childs-pose.yaml").symlink_to(outside)
    result = run("validate", str(lib / "calm.yaml"))
    assert result.returncode == 2
    assert "outside the routine library" in result.stderr and "Traceback" not in result.stderr


def test_routine_names_become_safe_file_names(tmp_path: Path, cache: Path) -> None:
    lib = library(tmp_path)
    (lib / "My Routine (v2)!.yaml").write_text(ROUTINE.format(title="Mine", intro="Hi."))
    (lib / "my-routine-v2.yaml").write_text(ROUTINE.format(title="Also mine", intro="Hi."))
    out = tmp_path / "out"
    clash = run("build", str(lib / "My Routine (v2)!.yaml"), str(lib / "my-routine-v2.yaml"),
                "-o", str(out), "--cache-dir", str(cache))
    assert clash.returncode == 2 and "would both write" in clash.stderr
    single = run("build", str(lib / "My Routine (v2)!.yaml"), "-o", str(out), "--cache-dir",
                 str(cache), "--quiet")
    assert single.returncode == 0, single.stderr
    assert (out / "my-routine-v2.mp3").is_file()
    batch = run("build", "--all", str(lib), "-o", str(tmp_path / "all"), "--cache-dir",
                str(cache))
    assert batch.returncode == 1 and "would overwrite" in batch.stdout


def test_limits_can_be_lifted(tmp_path: Path) -> None:
    lib = library(tmp_path)
    big = lib / "big.yaml"
    big.write_text(ROUTINE.format(title="Big", intro="Hi.") + "#" + "x" * 1_100_000 + "\n")
    refused = run("validate", str(big))
    assert refused.returncode == 2 and "MATCAST_MAX_FILE_BYTES" in refused.stderr
    lifted = run("validate", str(big), env={"MATCAST_MAX_FILE_BYTES": "2000000"})
    assert lifted.returncode == 0, lifted.stderr
    long_ = run("compile", str(lib / "big.yaml"), "--minutes", "300",
                env={"MATCAST_MAX_FILE_BYTES": "2000000"})
    assert long_.returncode == 2 and "--allow-long" in long_.stderr
