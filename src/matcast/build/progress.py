"""Progress reporting for builds: a rich progress bar on a terminal, silence otherwise."""

from __future__ import annotations

from types import TracebackType
from typing import Protocol

from rich.console import Console
from rich.progress import BarColumn, MofNCompleteColumn, Progress, TextColumn, TimeElapsedColumn


class Reporter(Protocol):
    """What a build tells about its progress."""

    def stage(self, label: str, total: int | None = None) -> None:
        """A new stage begins (``total`` steps, or None for a single step)."""
        ...

    def update(self, done: int) -> None:
        """``done`` steps of the current stage are complete."""
        ...

    def finish(self) -> None:
        """The build is over: the bar goes away."""
        ...


class Silent:
    """Reports nothing (--quiet, or output is not a terminal)."""

    def stage(self, label: str, total: int | None = None) -> None:
        pass

    def update(self, done: int) -> None:
        pass

    def finish(self) -> None:
        pass


class Bar:
    """A transient rich progress bar on stderr, one line per stage."""

    def __init__(self, console: Console | None = None) -> None:
        self._progress = Progress(
            TextColumn("{task.description:<28}"), BarColumn(), MofNCompleteColumn(),
            TimeElapsedColumn(), console=console or Console(stderr=True), transient=True)
        self._task: int | None = None
        self._progress.start()

    def stage(self, label: str, total: int | None = None) -> None:
        if self._task is not None:
            task = self._progress.tasks[-1]
            self._progress.update(self._task, completed=task.total or 1)
        self._task = self._progress.add_task(label, total=total or 1)

    def update(self, done: int) -> None:
        if self._task is not None:
            self._progress.update(self._task, completed=done)

    def finish(self) -> None:
        self._progress.stop()

    def __enter__(self) -> Bar:
        return self

    def __exit__(self, kind: type[BaseException] | None, exc: BaseException | None,
                 tb: TracebackType | None) -> None:
        self.finish()


def reporter(quiet: bool) -> Reporter:
    """A bar when stderr is a terminal and not quiet; else silence."""
    console = Console(stderr=True)
    if quiet or not console.is_terminal:
        return Silent()
    return Bar(console)
