"""Small files that ask for absurd sessions are refused quickly, whatever they ask for."""

from __future__ import annotations

import resource
import shutil
import subprocess
import sys
from pathlib import Path
from typing import Any

import pytest

from matcast.compiler import CompileOptions, compile_routine, session_length
from matcast.errors import UsageError
from matcast.routine.enums import Style
from matcast.routine.loader import load_routine
from matcast.routine.paths import routine_paths

ROOT = Path(__file__).resolve().parents[2]
CPU_SECONDS = 20
"""A bound no sane compile comes near (the 500-entry file below takes under a second); the old
scheduler needed minutes for it."""


def limited_cpu() -> None:
    resource.setrlimit(resource.RLIMIT_CPU, (CPU_SECONDS, CPU_SECONDS))


@pytest.mark.parametrize("entries", [30, 500])
def test_days_of_holds_are_refused_before_scheduling(tmp_path: Path, entries: int) -> None:
    shutil.copytree(ROOT / "routines" / "poses", tmp_path / "poses")
    lines = "\n".join("  - {pose: low-lunge, hold: {minutes: 120}, checkin_every: 10}"
                      for _ in range(entries))
    routine = tmp_path / "runaway.yaml"
    routine.write_text(f'title: "Runaway"\nstyles: [hold]\nsequence:\n{lines}\n')
    assert routine.stat().st_size < 64_000
    for extra in ([], ["--allow-long"]):
        result = subprocess.run(
            [sys.executable, "-m", "matcast.cli", "compile", str(routine), *extra],
            capture_output=True, text=True, preexec_fn=limited_cpu, check=False)
        assert result.returncode == 2, result.stderr[-500:]
        assert "the session would last" in result.stderr
        assert "Traceback" not in result.stderr


def test_the_length_summed_up_front_is_the_scheduled_length(
        monkeypatch: pytest.MonkeyPatch) -> None:
    """The limit is checked on session_length, before scheduling: it must be exactly the length
    scheduling then gives, for every shipped routine, style and a fitted length."""
    import matcast.compiler

    summed: list[int] = []

    def recording(*args: Any) -> int:
        summed.append(session_length(*args))
        return summed[-1]

    monkeypatch.setattr(matcast.compiler, "session_length", recording)
    checked = 0
    for path in routine_paths(ROOT / "routines"):
        loaded = load_routine(path)
        for style in loaded.routine.styles:
            for minutes in (None, 30.0):
                options = CompileOptions(style=Style(style), minutes=minutes)
                try:
                    script = compile_routine(loaded, options)
                except UsageError:
                    continue  # a length this routine does not offer
                assert summed[-1] == script.duration, (path.name, style, minutes)
                checked += 1
    assert checked >= 10
