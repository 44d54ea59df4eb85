"""SIGKILL at many points across the pipeline: afterwards every output is either the previous
version or a complete new one (never half a file), and the next build succeeds.

Slow (about two minutes), so behind the ``slow`` marker: ``python -m pytest -m slow`` runs it,
and .ci/run always does.
"""

from __future__ import annotations

import hashlib
import json
import random
import shutil
import signal
import subprocess
import sys
import time
from pathlib import Path

import pytest

from matcast.audio.ffmpeg import decode_pcm

pytestmark = pytest.mark.slow

ROOT = Path(__file__).resolve().parents[2]
ROUTINE = "downward-dog-back"
KILLS = 24


def digest(path: Path) -> str:
    return hashlib.sha256(path.read_bytes()).hexdigest()


def visible(folder: Path) -> list[Path]:
    return sorted(p for p in folder.iterdir() if not p.name.startswith("."))


def assert_complete(folder: Path, slug: str) -> None:
    """The episode's files are whole and agree with each other."""
    cues = json.loads((folder / f"{slug}.cues.json").read_text())
    json.loads((folder / f"{slug}.chapters.json").read_text())
    assert (folder / f"{slug}.vtt").read_text().startswith("WEBVTT")
    samples = len(decode_pcm(folder / f"{slug}.mp3"))
    assert abs(samples - round(cues["duration"] * 44_100)) <= 1152


def build(*args: str) -> subprocess.Popen[bytes]:
    return subprocess.Popen([sys.executable, "-m", "matcast.cli", "build", *args, "--quiet"],
                            cwd=ROOT, stdout=subprocess.DEVNULL, stderr=subprocess.PIPE)


def test_killed_single_builds(tmp_path: Path) -> None:
    out, cache = tmp_path / "out", tmp_path / "cache"
    first = build(ROUTINE, "-o", str(out), "--cache-dir", str(cache))
    assert first.wait() == 0, first.stderr.read() if first.stderr else ""
    # How long a (warm) build takes, so kills land all along it.
    started = time.perf_counter()
    assert build(ROUTINE, "-o", str(out), "--cache-dir", str(cache),
                 "--cues", "no-chimes").wait() == 0
    span = time.perf_counter() - started
    versions: dict[str, set[str]] = {p.name: {digest(p)} for p in visible(out)}
    rng = random.Random(7)
    # Sessions that differ but share one slug, so each build replaces the same files.
    cues = ["no-chimes", "chimes-in-holds", "voice-and-chimes"]
    for i in range(KILLS):
        # A fresh cache now and then, so kills also land while speech is being rendered.
        cache_dir = cache if i % 6 else tmp_path / f"cold{i}"
        proc = build(ROUTINE, "-o", str(out), "--cache-dir", str(cache_dir),
                     "--cues", cues[i % 3])
        time.sleep(rng.uniform(0.05, span * 1.1))
        proc.send_signal(signal.SIGKILL)
        proc.wait()
        names = [p.name for p in visible(out)]
        assert sorted(names) == sorted(versions), f"kill {i}: {names}"
        for path in visible(out):
            if digest(path) not in versions[path.name]:
                # A new version: it must be whole; remember it as a known version.
                assert_complete(out, ROUTINE)
                versions[path.name].add(digest(path))
        hidden = [p.name for p in out.iterdir() if p.name.startswith(".")]
        assert all(n.endswith(".matcast-tmp") for n in hidden), hidden
    final = build(ROUTINE, "-o", str(out), "--cache-dir", str(cache))
    assert final.wait() == 0
    assert_complete(out, ROUTINE)
    assert not list(out.glob(".*.matcast-tmp")), "stale temp files were not cleaned up"


def test_killed_library_builds(tmp_path: Path) -> None:
    library = tmp_path / "library"
    library.mkdir()
    shutil.copytree(ROOT / "routines" / "poses", library / "poses")
    for name in ("seated-twist", "happy-baby"):  # two short routines without variants of their own
        text = (ROOT / "routines" / f"{name}.yaml").read_text()
        (library / f"{name}.yaml").write_text(text + "variants:\n  - {}\n  - {style: hold, "
                                              "pace: fast}\n")
    (library / "library.yaml").write_text("title: Kills\nbase_url: https://example.org/k/\n")
    out, cache = tmp_path / "out", tmp_path / "cache"
    rng = random.Random(11)
    for i in range(6):
        force = ["--force"] if i else []
        proc = build("--all", str(library), "-o", str(out), "--cache-dir", str(cache), *force)
        time.sleep(rng.uniform(0.5, 6.0))
        proc.send_signal(signal.SIGKILL)
        proc.wait()
        manifest_path = out / "manifest.json"
        if manifest_path.exists():
            manifest = json.loads(manifest_path.read_text())  # whole, never half written
            for slug, entry in manifest["episodes"].items():
                for name in entry["files"]:
                    assert (out / name).is_file(), f"kill {i}: manifest lists missing {name}"
                assert_complete(out, slug)
    # Killed worker processes must not outlive their batch for long.
    time.sleep(1)
    final = subprocess.run([sys.executable, "-m", "matcast.cli", "build", "--all", str(library),
                            "-o", str(out), "--cache-dir", str(cache)],
                           cwd=ROOT, capture_output=True, text=True, check=False)
    assert final.returncode == 0, final.stdout + final.stderr
    manifest = json.loads((out / "manifest.json").read_text())
    assert len(manifest["episodes"]) == 4
    for slug in manifest["episodes"]:
        assert_complete(out, slug)
    assert (out / "feed.xml").is_file() and (out / "index.html").is_file()
