"""Special files in a library are refused by name, never read: a FIFO would block for ever, a
link to /dev/zero would be read until memory runs out (both have st_size 0)."""

from __future__ import annotations

import os
import shutil
import subprocess
import sys
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[2]
TIMEOUT = 120
"""A hang is a failure: every command here ends in seconds."""

pytestmark = pytest.mark.skipif(not hasattr(os, "mkfifo"), reason="needs FIFOs")


def library(tmp_path: Path) -> Path:
    lib = tmp_path / "library"
    shutil.copytree(ROOT / "routines" / "poses", lib / "poses")
    shutil.copy(ROOT / "routines" / "thunderbolt.yaml", lib / "thunderbolt.yaml")
    (lib / "library.yaml").write_text("title: Specials\nbase_url: https://example.org/s/\n")
    return lib


def matcast(*args: str) -> subprocess.CompletedProcess[str]:
    return subprocess.run([sys.executable, "-m", "matcast.cli", *args], cwd=ROOT,
                          capture_output=True, text=True, timeout=TIMEOUT, check=False)


@pytest.mark.parametrize(("name", "make", "kind"), [
    ("f.yaml", lambda p: os.mkfifo(p), "FIFO"),
    ("poses/p.yaml", lambda p: os.mkfifo(p), "FIFO"),
])
def test_validate_refuses_special_files_by_name(tmp_path: Path, name: str, make, kind: str
                                                ) -> None:  # type: ignore[no-untyped-def]
    lib = library(tmp_path)
    make(lib / name)
    result = matcast("validate", str(lib))
    assert result.returncode == 2, result.stdout + result.stderr
    assert f"{Path(name).name}: is " in result.stderr and kind in result.stderr, result.stderr
    assert "not a regular file" in result.stderr
    assert "Traceback" not in result.stderr


def test_a_cover_that_is_a_fifo_is_refused(tmp_path: Path) -> None:
    lib = library(tmp_path)
    os.mkfifo(lib / "art.png")
    routine = lib / "thunderbolt.yaml"
    routine.write_text("cover: art.png\n" + routine.read_text())
    result = matcast("validate", str(routine))
    assert result.returncode == 2, result.stderr
    assert "thunderbolt.yaml:1:8: cover:" in result.stderr
    assert "FIFO" in result.stderr


def test_build_all_names_the_fifo_and_builds_the_rest(tmp_path: Path) -> None:
    lib = library(tmp_path)
    os.mkfifo(lib / "f.yaml")
    out = tmp_path / "out"
    result = matcast("build", "--all", str(lib), "-o", str(out), "--cache-dir",
                     str(tmp_path / "cache"), "--jobs", "1")
    assert result.returncode == 1, result.stdout + result.stderr
    assert "f.yaml" in result.stdout and "FIFO" in result.stdout, result.stdout
    assert (out / "thunderbolt.mp3").is_file()


def test_a_link_to_dev_zero_is_refused_unread(tmp_path: Path) -> None:
    lib = library(tmp_path)
    (lib / "z.yaml").symlink_to("/dev/zero")
    result = matcast("validate", str(lib))
    assert result.returncode == 2, result.stderr
    assert "z.yaml: the file is a link to /dev/zero" in result.stderr


def test_reading_refuses_what_is_not_a_regular_file(tmp_path: Path) -> None:
    """The reader itself, past the library's link checks: a device and a FIFO are refused on
    the open descriptor, without blocking or reading; a file is read up to its bound."""
    from matcast.fs.regular import NotRegular, TooLarge, digest_regular, read_regular

    with pytest.raises(NotRegular, match="a device"):
        read_regular(Path("/dev/zero"), 1000)
    os.mkfifo(tmp_path / "pipe")
    with pytest.raises(NotRegular, match="FIFO"):
        digest_regular(tmp_path / "pipe")
    (tmp_path / "big").write_bytes(b"x" * 2000)
    with pytest.raises(TooLarge):
        read_regular(tmp_path / "big", 1999)
    assert read_regular(tmp_path / "big", 2000) == b"x" * 2000
