"""matcast build --all: variants, parallel workers, the manifest, incremental rebuilds, failures."""

from __future__ import annotations

import json
import os
import shutil
import subprocess
import sys
import time
from pathlib import Path

import pytest

from library_builds import QUICK, build_all, make_library

ROOT = Path(__file__).resolve().parents[2]

@pytest.fixture(scope="module")
def cache(tmp_path_factory: pytest.TempPathFactory) -> Path:
    return tmp_path_factory.mktemp("cache")


@pytest.fixture(scope="module")
def first(tmp_path_factory: pytest.TempPathFactory, cache: Path
          ) -> tuple[Path, Path, subprocess.CompletedProcess[str]]:
    root = tmp_path_factory.mktemp("batch")
    library = make_library(root)
    out = root / "out"
    return library, out, build_all(library, out, cache, "--jobs", "2")


def manifest(out: Path) -> dict:  # type: ignore[type-arg]
    return json.loads((out / "manifest.json").read_text())


def test_builds_every_routine_and_variant(first: tuple) -> None:  # type: ignore[type-arg]
    library, out, result = first
    assert result.returncode == 0, result.stderr + result.stdout
    episodes = manifest(out)["episodes"]
    assert sorted(episodes) == ["knees", "rest", "rest-flow"]
    for slug in episodes:
        for suffix in (".mp3", ".cues.json", ".vtt", ".chapters.json", ".html"):
            assert (out / f"{slug}{suffix}").is_file(), slug + suffix
    assert (out / "index.html").is_file() and (out / "feed.xml").is_file()
    # Numbers in library order (by name: knees, rest, rest-flow), kept in published.yaml beside
    # the routines, with the dates; the manifest only keeps what the MP3 was tagged with.
    assert {slug: e["number"] for slug, e in episodes.items()} == {
        "knees": 1, "rest": 2, "rest-flow": 3}
    assert "guid" not in episodes["knees"] and "published" not in episodes["knees"]
    history = (library / "published.yaml").read_text()
    assert "  knees: {number: 1, published: '" in history
    assert "podcast_guid: " in history
    assert episodes["rest-flow"]["title"] == "Quick rest (flow)"
    for line in ("knees", "rest-flow"):
        assert line in result.stdout and "built" in result.stdout


def test_noop_rebuild_renders_and_encodes_nothing(first: tuple, cache: Path  # type: ignore[type-arg]
                                                  ) -> None:
    library, out, _ = first
    before = {p.name: p.stat().st_mtime_ns for p in out.iterdir()}
    started = time.perf_counter()
    result = build_all(library, out, cache)
    elapsed = time.perf_counter() - started
    assert result.returncode == 0, result.stderr
    assert result.stdout.count("skipped") == 3 and "built" not in result.stdout
    after = {p.name: p.stat().st_mtime_ns for p in out.iterdir()}
    assert after == before, "a no-op rebuild rewrote files"
    print(f"no-op rebuild: {elapsed:.2f} s")


def test_noop_rebuild_loads_no_routine_compiler_audio_or_cluster_code(
        first: tuple, cache: Path) -> None:  # type: ignore[type-arg]
    """The no-op rebuild's speed (0.3 s of CPU, scripts/bench.py noop) is its imports: none of
    the routine model, the compiler, the composer, the audio stack, Dask or fsspec."""
    library, out, _ = first
    code = ("import sys, runpy\n"
            "sys.argv = ['matcast', 'build', '--all', sys.argv[1], '-o', sys.argv[2],"
            " '--cache-dir', sys.argv[3]]\n"
            "try:\n    runpy.run_module('matcast.cli', run_name='__main__')\n"
            "except SystemExit as exc:\n    assert not exc.code, exc.code\n"
            "heavy = ('matcast.routine.model', 'matcast.compiler', 'matcast.compose.composer',"
            " 'matcast.audio.ffmpeg', 'matcast.audio.loudness', 'numpy', 'scipy', 'pydantic',"
            " 'distributed', 'fsspec')\n"
            "print('LOADED', sorted(m for m in sys.modules if m.startswith(heavy)))\n")
    result = subprocess.run([sys.executable, "-c", code, str(library), str(out), str(cache)],
                            capture_output=True, text=True, check=False, cwd=ROOT)
    assert result.returncode == 0, result.stderr
    assert result.stdout.count("skipped") == 3
    assert "LOADED []" in result.stdout, result.stdout


def test_changing_a_pose_rebuilds_exactly_the_episodes_using_it(
        tmp_path: Path, first: tuple, cache: Path) -> None:  # type: ignore[type-arg]
    library, out, _ = first
    lib, dest = tmp_path / "library", tmp_path / "out"
    shutil.copytree(library, lib)
    shutil.copytree(out, dest)
    pose = lib / "poses" / "childs-pose.yaml"
    pose.write_text(pose.read_text().replace("name: ", "name: Gentle ", 1))
    result = build_all(lib, dest, cache)
    assert result.returncode == 0, result.stderr
    rows = {line.split()[0]: line for line in result.stdout.splitlines() if line.strip()}
    assert "built" in rows["rest"] and "built" in rows["rest-flow"]
    assert "skipped" in rows["knees"]
    assert "Gentle" in (dest / "rest.html").read_text()
    forced = build_all(lib, dest, cache, "--force", "--jobs", "1")
    assert forced.returncode == 0 and forced.stdout.count("built") == 3


def test_one_failing_routine_does_not_stop_the_others(tmp_path: Path, cache: Path) -> None:
    library = make_library(tmp_path)
    (library / "broken.yaml").write_text("title: Broken\nsequence:\n  - pose: no-such-pose\n")
    (library / "too-long.yaml").write_text(
        QUICK.format(name="long", pose="mountain") + "variants:\n  - {minutes: 200}\n")
    out = tmp_path / "out"
    result = build_all(library, out, cache)
    assert result.returncode == 1
    rows = {line.split()[0]: line for line in result.stdout.splitlines() if line.strip()}
    assert "failed" in rows["broken"] and "unknown pose 'no-such-pose'" in rows["broken"]
    assert "failed" in rows["too-long-200min"]
    assert "built" in rows["knees"] and "built" in rows["rest"]
    assert "Traceback" not in result.stderr
    assert sorted(manifest(out)["episodes"]) == ["knees", "rest", "rest-flow"]
    # --quiet prints no summary, but still says what failed (and nothing else).
    quiet = build_all(library, out, cache, "--quiet")
    assert quiet.returncode == 1 and quiet.stdout == ""
    errors = quiet.stderr.splitlines()
    assert any(e.startswith("error: broken: ") and "no-such-pose" in e for e in errors), errors
    assert any(e.startswith("error: too-long-200min: ") for e in errors), errors


def test_removed_variant_is_unpublished(tmp_path: Path, first: tuple, cache: Path  # type: ignore[type-arg]
                                        ) -> None:
    library, out, _ = first
    lib, dest = tmp_path / "library", tmp_path / "out"
    shutil.copytree(library, lib)
    shutil.copytree(out, dest)
    routine = lib / "rest.yaml"
    routine.write_text(routine.read_text().replace("  - {style: flow}\n", ""))
    result = build_all(lib, dest, cache)
    assert result.returncode == 0, result.stderr
    assert "removed" in result.stdout
    assert not (dest / "rest-flow.mp3").exists()
    assert "rest-flow" not in manifest(dest)["episodes"]
    assert "rest-flow" not in (dest / "feed.xml").read_text()


def test_all_rejects_single_routine_options(tmp_path: Path) -> None:
    result = subprocess.run([sys.executable, "-m", "matcast.cli", "build", "--all",
                             "--minutes", "10", "-o", str(tmp_path)],
                            capture_output=True, text=True, check=False, cwd=ROOT,
                            env={**os.environ})
    assert result.returncode == 2 and "--all builds each routine's own variants" in result.stderr
