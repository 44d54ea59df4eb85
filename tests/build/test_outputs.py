"""Outputs never overwrite each other or go stale: single builds are named like library variants,
build --all rebuilds an episode whose files were written over since, the build lock leaves no file
behind, and every command says which library it used."""

from __future__ import annotations

import json
import math
import os
import shutil
import subprocess
import sys
import threading
from pathlib import Path

import feedparser
import pytest
from mutagen.id3 import ID3
from mutagen.mp3 import MP3

from library_builds import QUICK
from matcast.build.lock import LEGACY_LOCK, folder_lock
from matcast.build.session import Builder, BuildOptions
from matcast.compiler import CompileOptions, compile_routine, length_range
from matcast.errors import UsageError
from matcast.publish.clock import hhmmss
from matcast.routine.enums import CueSounds
from matcast.routine.loader import load_routine
from matcast.routine.paths import routine_paths

ROOT = Path(__file__).resolve().parents[2]
POSES = ROOT / "routines" / "poses"


def make_library(root: Path) -> Path:
    library = root / "library"
    (library / "poses").mkdir(parents=True)
    for pose in ("childs-pose", "knees-to-chest"):
        shutil.copy(POSES / f"{pose}.yaml", library / "poses")
    (library / "rest.yaml").write_text(
        QUICK.format(name="rest", pose="childs-pose") + "variants:\n  - {}\n  - {style: flow}\n")
    (library / "knees.yaml").write_text(QUICK.format(name="knees", pose="knees-to-chest"))
    (library / "library.yaml").write_text(
        "title: Test show\nauthor: Tester\nbase_url: https://example.org/pod\n")
    return library


def run(*args: str, cwd: Path = ROOT, env: dict[str, str] | None = None
        ) -> subprocess.CompletedProcess[str]:
    return subprocess.run([sys.executable, "-m", "matcast.cli", *args], capture_output=True,
                          text=True, check=False, cwd=cwd, env={**os.environ, **(env or {})})


def rows(stdout: str) -> dict[str, str]:
    return {line.split()[0]: line for line in stdout.splitlines() if line.strip()}


def manifest(out: Path) -> dict:  # type: ignore[type-arg]
    return json.loads((out / "manifest.json").read_text())


@pytest.fixture(scope="module")
def cache(tmp_path_factory: pytest.TempPathFactory) -> Path:
    return tmp_path_factory.mktemp("cache")


@pytest.fixture(scope="module")
def built(tmp_path_factory: pytest.TempPathFactory, cache: Path) -> tuple[Path, Path]:
    """A library and an output folder holding its build --all."""
    root = tmp_path_factory.mktemp("outputs")
    library = make_library(root)
    out = root / "out"
    result = run("build", "--all", str(library), "-o", str(out), "--cache-dir", str(cache))
    assert result.returncode == 0, result.stderr + result.stdout
    return library, out


@pytest.fixture
def copy(built: tuple[Path, Path], tmp_path: Path) -> tuple[Path, Path]:
    library, out = built
    shutil.copytree(out, tmp_path / "out")
    return library, tmp_path / "out"


def assert_feed_matches_files(out: Path, slug: str) -> None:
    """The feed advertises the MP3 on disk: its byte length and its duration."""
    feed = feedparser.parse((out / "feed.xml").read_bytes())
    (entry,) = [e for e in feed.entries if e.enclosures[0].href.endswith(f"/{slug}.mp3")]
    mp3 = out / f"{slug}.mp3"
    assert int(entry.enclosures[0].length) == mp3.stat().st_size
    seconds = json.loads((out / f"{slug}.cues.json").read_text())["duration"]
    assert abs(MP3(mp3).info.length - seconds) < 0.1
    assert entry.itunes_duration == hhmmss(seconds)


def test_single_build_is_named_like_the_variant_and_all_rebuilds_what_it_replaced(
        copy: tuple[Path, Path], cache: Path) -> None:
    library, out = copy
    before = {p.name: p.read_bytes() for p in out.iterdir()}
    number = manifest(out)["episodes"]["rest-flow"]["number"]
    # --style flow lands on rest-flow (the library's flow variant), never on rest.
    single = run("build", "rest", "--style", "flow", "--cues", "no-chimes", "--library",
                 str(library), "-o", str(out), "--cache-dir", str(cache))
    assert single.returncode == 0, single.stderr
    assert single.stdout.startswith(str(out / "rest-flow.mp3"))
    assert f"routine {library / 'rest.yaml'}" in single.stdout
    changed = sorted(p.name for p in out.iterdir() if p.read_bytes() != before.get(p.name))
    assert changed == ["rest-flow.chapters.json", "rest-flow.cues.json", "rest-flow.mp3",
                       "rest-flow.vtt"]
    tags = ID3(out / "rest-flow.mp3")
    assert str(tags["TRCK"]) == str(number) and str(tags["TIT2"]) == "Quick rest (flow)"

    rebuilt = run("build", "--all", str(library), "-o", str(out), "--cache-dir", str(cache))
    assert rebuilt.returncode == 0, rebuilt.stderr
    table = rows(rebuilt.stdout)
    assert "built" in table["rest-flow"]
    assert "rest-flow.mp3 was replaced since it was built" in table["rest-flow"]
    assert "skipped" in table["rest"] and "skipped" in table["knees"]
    assert f"library {library}: 3 episodes" in rebuilt.stdout
    assert (out / "rest-flow.mp3").read_bytes() == before["rest-flow.mp3"]
    assert_feed_matches_files(out, "rest-flow")
    again = run("build", "--all", str(library), "-o", str(out), "--cache-dir", str(cache))
    assert again.returncode == 0 and "built" not in again.stdout and "published" not in again.stdout


def test_python_api_over_an_episode_is_rebuilt_and_the_feed_follows(
        copy: tuple[Path, Path], cache: Path) -> None:
    library, out = copy
    recorded = manifest(out)["episodes"]["knees"]
    with Builder(BuildOptions(out_dir=out, cache_dir=cache)) as builder:
        result = builder.build(load_routine(library / "knees.yaml"),
                               CompileOptions(cues=CueSounds.no_chimes))
    # Built as written: the routine's own slug, and the track the library build gave it.
    assert result.mp3 == out / "knees.mp3"
    assert str(ID3(result.mp3)["TRCK"]) == str(recorded["number"])
    assert result.mp3_bytes != recorded["mp3_bytes"]
    rebuilt = run("build", "--all", str(library), "-o", str(out), "--cache-dir", str(cache))
    assert rebuilt.returncode == 0, rebuilt.stderr
    assert "built" in rows(rebuilt.stdout)["knees"]
    assert manifest(out)["episodes"]["knees"]["mp3_bytes"] == recorded["mp3_bytes"]
    assert_feed_matches_files(out, "knees")


def test_a_changed_sidecar_or_a_missing_file_is_rebuilt(copy: tuple[Path, Path], cache: Path
                                                        ) -> None:
    library, out = copy
    vtt = out / "rest.vtt"
    vtt.write_text(vtt.read_text().replace("Hello.", "Hullo."))  # same size, other content
    (out / "knees.chapters.json").unlink()
    result = run("build", "--all", str(library), "-o", str(out), "--cache-dir", str(cache))
    assert result.returncode == 0, result.stderr
    table = rows(result.stdout)
    assert "rest.vtt was replaced" in table["rest"]
    assert "knees.chapters.json is missing" in table["knees"]
    assert "skipped" in table["rest-flow"]
    assert "Hello." in vtt.read_text() and (out / "knees.chapters.json").is_file()


def test_manifest_from_before_fingerprints_is_checked_by_size(
        copy: tuple[Path, Path], cache: Path) -> None:
    library, out = copy

    def forget_fingerprints() -> None:
        data = manifest(out)
        for entry in data["episodes"].values():
            entry.pop("fingerprints")
        (out / "manifest.json").write_text(json.dumps(data))

    forget_fingerprints()
    same = run("build", "--all", str(library), "-o", str(out), "--cache-dir", str(cache))
    assert same.returncode == 0 and "built" not in same.stdout, same.stdout
    assert all("fingerprints" in e for e in manifest(out)["episodes"].values())
    forget_fingerprints()
    shutil.copy(out / "rest.mp3", out / "knees.mp3")  # another session over knees
    replaced = run("build", "--all", str(library), "-o", str(out), "--cache-dir", str(cache))
    assert "built" in rows(replaced.stdout)["knees"], replaced.stdout
    assert_feed_matches_files(out, "knees")


def test_single_builds_with_other_options_never_overwrite_each_other(
        built: tuple[Path, Path], cache: Path, tmp_path: Path) -> None:
    library, _ = built
    out = tmp_path / "out"
    plain = run("build", "knees", "--library", str(library), "-o", str(out),
                "--cache-dir", str(cache))
    assert plain.returncode == 0, plain.stderr
    slow = run("build", "knees", "--pace", "slow", "--minutes", "1.5", "--library",
               str(library), "-o", str(out), "--cache-dir", str(cache))
    assert slow.returncode == 0, slow.stderr
    assert sorted(p.name for p in out.iterdir()) == sorted(
        f"{slug}{suffix}" for slug in ("knees", "knees-1_5min-slow")
        for suffix in (".mp3", ".cues.json", ".vtt", ".chapters.json"))
    # No library build in this folder: no track number to take.
    assert "TRCK" not in ID3(out / "knees.mp3")
    assert str(ID3(out / "knees-1_5min-slow.mp3")["TIT2"]) == "Quick knees (1.5 min, slow)"


def test_the_lock_adds_no_file_and_removes_the_old_one(tmp_path: Path) -> None:
    out = tmp_path / "out"
    out.mkdir()
    (out / LEGACY_LOCK).write_bytes(b"")
    with folder_lock(out):
        assert list(out.iterdir()) == []
    assert list(out.iterdir()) == []


def test_a_second_process_waits_for_the_lock(tmp_path: Path) -> None:
    holder = subprocess.Popen(
        [sys.executable, "-c", "import sys; from pathlib import Path; "
         "from matcast.build.lock import folder_lock\n"
         "with folder_lock(Path(sys.argv[1])):\n"
         "    print('held', flush=True); sys.stdin.read()", str(tmp_path)],
        stdin=subprocess.PIPE, stdout=subprocess.PIPE, text=True)
    assert holder.stdout is not None and holder.stdout.readline() == "held\n"
    waited, got = threading.Event(), threading.Event()

    def take() -> None:
        with folder_lock(tmp_path, waited.set):
            got.set()

    thread = threading.Thread(target=take)
    thread.start()
    assert waited.wait(10) and not got.is_set()
    holder.communicate("", timeout=10)
    assert got.wait(10)
    thread.join()
    assert list(tmp_path.iterdir()) == []


@pytest.mark.parametrize("kind", ["a-file", "unmakeable"])
def test_output_folder_errors_name_the_folder_not_the_lock(tmp_path: Path, kind: str) -> None:
    if kind == "a-file":
        target = tmp_path / "a-file"
        target.write_text("not a folder")
    else:
        target = Path("/proc/matcast-no-such-folder")
    result = run("build", "thunderbolt", "-o", str(target), "--cache-dir", str(tmp_path))
    assert result.returncode in (1, 2), result.stderr
    assert str(target) in result.stderr and "lock" not in result.stderr
    assert "Traceback" not in result.stderr


def test_every_command_names_the_library_it_used(tmp_path: Path) -> None:
    bare = tmp_path / "elsewhere"
    bare.mkdir()
    shipped = run("list", cwd=bare)
    assert shipped.returncode == 0, shipped.stderr
    assert shipped.stdout.splitlines()[0] == f"library {ROOT / 'routines'}: 9 routines"
    here = tmp_path / "here"
    make_library(here)
    (here / "library").rename(here / "routines")
    local = run("list", cwd=here)
    assert local.stdout.splitlines()[0] == "library routines: 2 routines"
    env = run("list", cwd=here, env={"MATCAST_LIBRARY": str(ROOT / "routines")})
    assert env.stdout.splitlines()[0] == f"library {ROOT / 'routines'}: 9 routines"
    chosen = run("list", "--library", "routines", cwd=here,
                 env={"MATCAST_LIBRARY": str(ROOT / "routines")})
    assert chosen.stdout.splitlines()[0] == "library routines: 2 routines"


def test_list_ranges_are_the_lengths_minutes_can_reach() -> None:
    listed = run("list")
    assert listed.returncode == 0, listed.stderr
    assert "post-run               Post-run yoga" in listed.stdout
    for path in routine_paths(ROOT / "routines"):
        loaded = load_routine(path)
        line = rows(listed.stdout)[path.stem]
        for style in loaded.routine.styles:
            low, high = length_range(loaded, CompileOptions(style=style))
            shown = f"({math.ceil(low - 1e-9)}–{math.floor(high + 1e-9)})"
            assert f"{style.value} " in line and shown in line, (line, shown)
            for minutes in (math.ceil(low - 1e-9), math.floor(high + 1e-9)):
                script = compile_routine(loaded, CompileOptions(style=style, minutes=minutes))
                assert abs(script.duration_seconds / 60 - minutes) <= minutes * 0.02
            for minutes in (low * 0.95, high * 1.05):
                with pytest.raises(UsageError):
                    compile_routine(loaded, CompileOptions(style=style, minutes=minutes))
