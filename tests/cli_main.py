"""Running the command line in the test's own process (fast; the engines still run for real)."""

from __future__ import annotations

import sys

import pytest

from matcast import cli


def run_main(args: list[str], capsys: pytest.CaptureFixture[str],
             monkeypatch: pytest.MonkeyPatch) -> tuple[int, str, str]:
    """``matcast ARGS``: its exit code, stdout and stderr."""
    monkeypatch.setattr(sys, "argv", ["matcast", *args])
    monkeypatch.setenv("COLUMNS", "400")  # one line per message, however long
    code: int | str | None = 0
    try:
        cli.main()
    except SystemExit as exc:
        code = exc.code
    out, err = capsys.readouterr()
    return (code if isinstance(code, int) else 1), out, err
