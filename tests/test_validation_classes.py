"""Every class of format-level bad input is refused by ``matcast validate``: exit code 2, the file
and the line named, nothing written.

Each test builds a small library, breaks one thing, and runs the real command line in-process
(``matcast.cli.main``), so the whole class costs milliseconds rather than a process start.
"""

from __future__ import annotations

import io
import os
import re
import sys
from collections.abc import Callable, Iterator
from pathlib import Path

import pytest
from PIL import Image

from matcast.cli import main

POSE = "name: Fold\nenter: [Fold forward.]\nhold: {breaths: 3}\n"
TWO_SIDED = ("name: Lunge\nsides: both\nenter: ['Step your {side} foot forward.']\n"
             "hold: {breaths: 3}\n")
ROUTINE = "title: Rest\nsequence:\n  - pose: fold\n  - pose: lunge\n"


def png(width: int, height: int | None = None) -> bytes:
    out = io.BytesIO()
    Image.new("RGB", (width, height or width), (40, 90, 120)).save(out, "PNG")
    return out.getvalue()


class Library:
    """A scratch library: a routine r.yaml, two poses, optionally library.yaml."""

    def __init__(self, root: Path) -> None:
        self.root = root
        self.write("poses/fold.yaml", POSE)
        self.write("poses/lunge.yaml", TWO_SIDED)
        self.write("r.yaml", ROUTINE)

    def write(self, name: str, data: str | bytes) -> Path:
        path = self.root / name
        path.parent.mkdir(parents=True, exist_ok=True)
        if isinstance(data, bytes):
            path.write_bytes(data)
        else:
            path.write_text(data, encoding="utf-8")
        return path


def snapshot(*folders: Path) -> dict[str, tuple[int, int]]:
    """Every file under ``folders`` with its size and modification time."""
    seen = {}
    for folder in folders:
        for dirpath, _dirs, files in os.walk(folder):
            for name in files:
                path = Path(dirpath, name)
                stat = path.lstat()
                seen[str(path)] = (stat.st_size, stat.st_mtime_ns)
    return seen


@pytest.fixture
def lib(tmp_path: Path) -> Library:
    return Library(tmp_path / "lib")


@pytest.fixture
def cwd(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Path:
    work = tmp_path / "cwd"
    work.mkdir()
    monkeypatch.chdir(work)
    return work


Run = Callable[..., tuple[int, str]]


@pytest.fixture
def run(capsys: pytest.CaptureFixture[str], monkeypatch: pytest.MonkeyPatch, cwd: Path,
        tmp_path: Path) -> Iterator[Run]:
    """``run("validate", path)``: the exit code and stderr of the real command line."""

    def call(*args: str) -> tuple[int, str]:
        before = snapshot(tmp_path)
        monkeypatch.setattr(sys, "argv", ["matcast", *args])
        with pytest.raises(SystemExit) as info:
            main()
        err = capsys.readouterr().err
        assert "Traceback" not in err
        assert snapshot(tmp_path) == before, "the command wrote or changed a file"
        code = info.value.code
        return (code if isinstance(code, int) else 1 if code else 0), err

    yield call


def refused(run: Run, target: Path, where: str, message: str) -> str:
    """``matcast validate target`` exits 2 and names ``where`` (file:line) and ``message``."""
    code, err = run("validate", str(target))
    assert code == 2, err
    assert re.search(where, err), err
    assert re.search(message, err), err
    return err


def test_the_shipped_library_is_valid(run: Run) -> None:
    code, err = run("validate", str(Path(__file__).resolve().parents[1] / "routines"))
    assert code == 0, err


# --- YAML tags on values that do not fit them (the fuzzer's crashes) -------------------------

@pytest.mark.parametrize(("name", "text", "where", "message"), [
    ("poses/fold.yaml", "name: !!int Tree pose\nenter: [Fold.]\n", r"poses/fold\.yaml:1:7: name:",
     r"the tag !!int wants a whole number, got the text 'Tree pose'"),
    ("poses/fold.yaml", "name: Fold\nenter: [Fold.]\nbreath_cues: !!int count\n",
     r"poses/fold\.yaml:3:14: breath_cues:", r"the tag !!int wants a whole number"),
    ("r.yaml", ROUTINE + "    say: !!float lie down beside the wall\n",
     r"r\.yaml:5:10: sequence\[1\]\.say:", r"the tag !!float wants a number"),
    ("r.yaml", "title: !!bool maybe\nsequence: [{pose: fold}]\n", r"r\.yaml:1:8: title:",
     r"the tag !!bool wants true or false"),
    ("r.yaml", "title: Rest\nsequence:\n  - pose: fold\n    hold: {breaths: " + "9" * 5000
     + "}\n", r"r\.yaml:4:21: sequence\[0\]\.hold\.breaths:", r"has 5,000 characters"),
], ids=["int-name", "int-breath-cues", "float-say", "bool-title", "5000-digits"])
def test_a_tag_that_does_not_fit_its_value_is_located(run: Run, lib: Library, name: str,
                                                      text: str, where: str, message: str
                                                      ) -> None:
    lib.write(name, text)
    refused(run, lib.root, where, message)
    code, err = run("compile", str(lib.root / "r.yaml"))
    assert code == 2 and re.search(where, err), err
