"""--help and the README agree with the program: clean help text, the README's error example and
Python API example run as printed, every option the README's command reference names exists."""

from __future__ import annotations

import os
import re
import shutil
import subprocess
import sys
from pathlib import Path

import pytest

from matcast.routine.loader import load_routine
from matcast.routine.model import Variant
from matcast.routine.paths import LOOKUP_ORDER

ROOT = Path(__file__).resolve().parents[1]
README = (ROOT / "README.md").read_text()
COMMANDS = ["compile", "validate", "lint", "list", "schema", "build", "compose", "voices", "say"]


def run(*args: str, cwd: Path = ROOT, env: dict[str, str] | None = None
        ) -> subprocess.CompletedProcess[str]:
    return subprocess.run([sys.executable, "-m", "matcast.cli", *args], capture_output=True,
                          text=True, check=False, cwd=cwd,
                          env={**os.environ, "COLUMNS": "80", **(env or {})})


def help_text(command: str | None) -> str:
    result = run(*([command] if command else []), "--help")
    assert result.returncode == 0, result.stderr
    return result.stdout


def flat(text: str) -> str:
    return " ".join(text.split())


def section(title: str) -> str:
    start = README.index(f"## {title}\n")
    end = README.find("\n## ", start + 1)
    return README[start:end if end != -1 else None]


@pytest.mark.parametrize("command", [None, *COMMANDS])
def test_help_shows_no_type_placeholders(command: str | None) -> None:
    text = help_text(command)
    assert not re.search(r"<(bool|str|path|int|float|text|list\[\w+\])>", text, re.I), text
    assert "Traceback" not in text


def test_build_help_names_every_value_and_the_library_order() -> None:
    text = flat(help_text("build"))
    for shown in ("-o, --out DIR", "--voice ID", "--rate WPM", "-m, --minutes N",
                  "--cache-dir DIR", "--bitrate RATE", "--engine NAME", "--bed BED",
                  "--bed-level DB", "-j, --jobs N", "--base-url URL", "--library DIR",
                  "[ROUTINE]..."):
        assert shown in text, shown
    # Flags take no value: nothing between the flag and its help.
    for flag, words in (("--all", "Build every"), ("--stereo", "Two channels"),
                        ("--force", "With --all: rebuild"), ("-q, --quiet", "Print nothing")):
        assert f"{flag} {words}" in text, flag
    assert flat(LOOKUP_ORDER) in text


def test_readme_documents_the_library_lookup_order() -> None:
    reference = flat(section("Command reference"))
    order = ["1. `--library DIR`", "2. else `$MATCAST_LIBRARY`", "3. else `./routines`",
             "4. else the library that comes with matcast"]
    positions = [reference.index(step) for step in order]
    assert positions == sorted(positions)


def test_every_option_the_command_reference_names_exists() -> None:
    rows = [line for line in section("Command reference").splitlines()
            if line.startswith("| `matcast ")]
    assert len(rows) == len(COMMANDS) + 1  # build appears twice: --all and single routines
    for row in rows:
        usage = row.split("`")[1]
        command = usage.split()[1]
        text = help_text(command)
        for option in re.findall(r"--[a-z][a-z-]*", usage):
            assert re.search(rf"(^|[ ,]){re.escape(option)}\b", text, re.M), (command, option)


def test_readme_error_example_is_what_validate_prints(tmp_path: Path) -> None:
    part = section("Writing a routine")
    routine = re.search(r"```yaml\n# routines/mine.yaml\n(.*?)```", part, re.S)
    printed = re.search(r"```\n\$ matcast validate routines/mine.yaml\n(.*?)```", part, re.S)
    assert routine and printed
    (tmp_path / "routines").mkdir()
    shutil.copytree(ROOT / "routines" / "poses", tmp_path / "routines" / "poses")
    (tmp_path / "routines" / "mine.yaml").write_text(routine.group(1))
    result = run("validate", "routines/mine.yaml", cwd=tmp_path)
    assert result.returncode == 2
    assert result.stdout + result.stderr == printed.group(1)


def test_readme_python_example_runs_as_printed_beside_a_library(tmp_path: Path) -> None:
    code = re.search(r"```python\n(.*?)```", section("Python API"), re.S)
    assert code
    shutil.copytree(ROOT / "routines", tmp_path / "routines")
    result = subprocess.run([sys.executable, "-c", code.group(1)], capture_output=True, text=True,
                            check=False, cwd=tmp_path,
                            env={**os.environ, "MATCAST_CACHE_DIR": str(tmp_path / "cache")})
    assert result.returncode == 0, result.stderr
    first, second = result.stdout.splitlines()
    assert first.startswith("900.0 ['Introduction', 'Forward fold'")
    assert second.startswith("audio_out/post-run-15min-flow.mp3 900.0 LoudnessReport(")
    written = sorted(p.name for p in (tmp_path / "audio_out").iterdir())
    assert written == [f"post-run-15min-flow{suffix}"
                       for suffix in (".chapters.json", ".cues.json", ".mp3", ".vtt")]
    # Not the name of any episode a build --all of the library writes into the same folder.
    post_run = load_routine(ROOT / "routines" / "post-run.yaml")
    library_slugs = {v.episode_slug("post-run") for v in post_run.routine.variants or [Variant()]}
    assert "post-run-15min-flow" not in library_slugs
