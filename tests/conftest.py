"""Shared fixtures: the shipped library and a scratch library to write broken files into."""

from __future__ import annotations

import os
import sys
from collections.abc import Callable
from pathlib import Path

import pytest

from matcast.routine.loader import LoadedRoutine, load_routine

# Every test, and every CLI subprocess a test starts, speaks with eSpeak NG (the fast draft voice)
# unless it asks for Piper: the suite's time budget cannot pay Piper for every build. A test of
# the default engine itself removes this (tests/voice/test_default_engine.py).
os.environ["MATCAST_ENGINE"] = "pyttsx3"

ROOT = Path(__file__).resolve().parents[1]
LIBRARY = ROOT / "routines"

# Tests live in folders that mirror the package (tests/compiler/, tests/voice/, ...); the helpers
# they share (node_tools, vtt_check) stay here, importable from every folder.
sys.path.insert(0, str(Path(__file__).resolve().parent))


@pytest.fixture(scope="session")
def library() -> Path:
    return LIBRARY


@pytest.fixture(scope="session")
def post_run() -> LoadedRoutine:
    return load_routine(LIBRARY / "post-run.yaml")


@pytest.fixture
def scratch(tmp_path: Path) -> Callable[[str, str], Path]:
    """Write a file into a scratch library: scratch("poses/x.yaml", text) -> its path."""
    (tmp_path / "poses").mkdir()

    def write(name: str, text: str | bytes) -> Path:
        path = tmp_path / name
        path.parent.mkdir(parents=True, exist_ok=True)
        if isinstance(text, bytes):
            path.write_bytes(text)
        else:
            path.write_text(text, encoding="utf-8")
        return path

    return write
