"""A speech cache that cannot be written stops the build with a message naming the cache folder,
no traceback: a disk that fills up while lines are spoken exits 1, a read-only one is refused up
front with exit 2."""

from __future__ import annotations

import contextlib
import subprocess
import sys
from collections.abc import Iterator
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[2]
ROUTINE = "thunderbolt"


@contextlib.contextmanager
def tmpfs(where: Path, *options: str) -> Iterator[Path]:
    where.mkdir()
    mounted = subprocess.run(["mount", "-t", "tmpfs", "-o", ",".join(options), "tmpfs",
                              str(where)], capture_output=True, check=False)
    if mounted.returncode != 0:
        pytest.skip(f"cannot mount a tmpfs (needs root): {mounted.stderr!r}")
    try:
        yield where
    finally:
        subprocess.run(["umount", str(where)], check=False)


def build(out: Path, cache: Path) -> subprocess.CompletedProcess[str]:
    return subprocess.run(
        [sys.executable, "-m", "matcast.cli", "build", ROUTINE, "-o", str(out), "--cache-dir",
         str(cache), "--quiet"], cwd=ROOT, capture_output=True, text=True, check=False,
        timeout=300)


def test_cache_on_a_full_disk(tmp_path: Path) -> None:
    with tmpfs(tmp_path / "small", "size=256k") as disk:
        cache = disk / "cache"
        result = build(tmp_path / "out", cache)
    assert result.returncode == 1, result.stderr
    assert f"the speech cache folder {cache}: the disk is full" in result.stderr
    assert "--cache-dir" in result.stderr and "Traceback" not in result.stderr
    assert not (tmp_path / "out" / f"{ROUTINE}.mp3").exists()


def test_cache_on_a_read_only_file_system(tmp_path: Path) -> None:
    """Refused before any work, as a folder that cannot be used (a bad --cache-dir: exit 2)."""
    with tmpfs(tmp_path / "ro", "size=1m", "ro") as disk:
        cache = disk / "cache"
        result = build(tmp_path / "out", cache)
    assert result.returncode == 2, result.stderr
    assert f"{cache}" in result.stderr and "read-only" in result.stderr, result.stderr
    assert "Traceback" not in result.stderr
