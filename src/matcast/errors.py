"""The one error hierarchy of matcast.

Every failure a user can cause or meet is a :class:`MatcastError`; the CLI catches it once, prints
its message and exits with :attr:`MatcastError.exit_code`. Anything else is a bug and keeps its
traceback.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from pathlib import Path


class MatcastError(Exception):
    """Base class: a message fit for a user, and the exit code the CLI uses."""

    exit_code: int = 1

    def __init__(self, message: str) -> None:
        super().__init__(message)
        self.message = message

    def __str__(self) -> str:
        return self.message


@dataclass(frozen=True)
class Problem:
    """One thing wrong with an input file, located as precisely as we can."""

    path: Path | None
    """The file the problem is in (None for command-line options)."""
    line: int | None
    """1-based line, when known."""
    column: int | None
    """1-based column, when known."""
    key_path: str
    """Where in the document, e.g. ``sequence[2].hold.breaths`` (empty for the whole file)."""
    message: str
    """What was wrong and what was expected."""
    hint: str | None = None
    """How to fix it, when there is something useful to say."""

    def format(self) -> str:
        where = str(self.path) if self.path is not None else "<options>"
        if self.line is not None:
            where += f":{self.line}"
            if self.column is not None:
                where += f":{self.column}"
        key = f" {self.key_path}:" if self.key_path else ""
        text = f"{where}:{key} {self.message}"
        if self.hint:
            text += f"\n    hint: {self.hint}"
        return text


class RoutineError(MatcastError):
    """A routine or pose file (or a compile option) is invalid. Carries every problem found."""

    exit_code = 2

    def __init__(self, problems: Sequence[Problem]) -> None:
        self.problems = list(problems)
        count = len(self.problems)
        head = f"{count} problem{'s' if count != 1 else ''} found:"
        super().__init__("\n".join([head, *(p.format() for p in self.problems)]))


class UsageError(MatcastError):
    """A command-line argument makes no sense (unknown routine, option out of range)."""

    exit_code = 2


class LengthError(UsageError):
    """A routine cannot be fitted to the length asked for. Carries the routine and the compile
    options (``subject``), so that the command line can suggest what does fit."""

    def __init__(self, message: str, subject: object = None) -> None:
        super().__init__(message)
        self.subject = subject
        self.hint: str | None = None

    def __str__(self) -> str:
        return self.message + (f"\n    hint: {self.hint}" if self.hint else "")


class EngineError(MatcastError):
    """A speech engine failed, or was asked for a voice or rate it does not have."""


class VoiceError(EngineError):
    """Asked for an engine, voice or rate that does not exist: bad input, so exit code 2."""

    exit_code = 2


class ToolError(MatcastError):
    """An external program (ffmpeg) failed."""

    def __init__(self, argv: Sequence[str], code: int | None, stderr: str,
                 message: str = "") -> None:
        self.argv = list(argv)
        self.code = code
        self.stderr = stderr
        tail = "\n".join(stderr.strip().splitlines()[-5:])
        text = message or f"{Path(self.argv[0]).name} failed (exit code {code})"
        if tail:
            text += f":\n{tail}"
        super().__init__(text)


class OutputError(MatcastError):
    """An output could not be written (unwritable folder, full disk)."""


class ClusterError(MatcastError):
    """The Dask cluster of ``build --all --cluster`` cannot be reached or used."""
