"""How a library build looks on a terminal: one overall bar, a line per running episode, and a
summary table at the end.

The table is plain text (coloured on a terminal): a rebuild with nothing to do prints it, and
loading rich for it would cost that no-op a third of its time. rich draws only the live bars.
"""

from __future__ import annotations

import os
from collections.abc import Iterable
from typing import TYPE_CHECKING

from matcast.build.library import Progress as Callbacks
from matcast.build.plan import Outcome
from matcast.publish.clock import clock

if TYPE_CHECKING:
    from rich.console import Console
    from rich.progress import TaskID

STATUS_COLOURS = {"built": "32", "skipped": "2", "failed": "1;31", "removed": "33"}
"""ANSI SGR codes per status: green, dim, bold red, yellow."""


class BatchBar:
    """A transient rich display: the library bar, plus one line per episode being built."""

    def __init__(self, total: int, console: Console) -> None:
        from rich.progress import BarColumn, MofNCompleteColumn, Progress, TextColumn

        self._progress = Progress(
            TextColumn("{task.description:<34}"), BarColumn(), MofNCompleteColumn(),
            TextColumn("{task.fields[stage]}"), console=console, transient=True)
        self._overall = self._progress.add_task("library", total=total, stage="")
        self._running: dict[str, TaskID] = {}
        self._progress.start()

    def callbacks(self) -> Callbacks:
        return Callbacks(self._started, self._moved, self._ended)

    def _started(self, slug: str) -> None:
        self._running[slug] = self._progress.add_task(f"  {slug}", total=1, stage="starting")

    def _moved(self, slug: str, label: str | None, done: int, total: int) -> None:
        task = self._running.get(slug)
        if task is None:
            return
        if label is not None:
            self._progress.update(task, total=total, completed=0, stage=label)
        else:
            self._progress.update(task, completed=done)

    def _ended(self, outcome: Outcome) -> None:
        task = self._running.pop(outcome.slug, None)
        if task is not None:
            self._progress.remove_task(task)
        self._progress.advance(self._overall)

    def stop(self) -> None:
        self._progress.stop()


def use_colour(stream_is_terminal: bool) -> bool:
    """Colour on a terminal, unless NO_COLOR asks for none (https://no-color.org)."""
    return stream_is_terminal and not os.environ.get("NO_COLOR") and (
        os.environ.get("TERM") != "dumb")


def summary(outcomes: Iterable[Outcome], colour: bool = False) -> str:
    """The table of every episode: length, built/skipped/failed/removed, and why. One row per
    episode, never folded: scripts read it as well as people."""
    rows = [("episode", "length", "status", "why")]
    statuses = [""]
    for o in sorted(outcomes, key=lambda o: o.slug):
        length = clock(o.duration) if o.duration is not None else ""
        why = o.reason
        if o.status == "built":
            why = f"{o.spoken} lines spoken, {o.cached} from cache" + (
                f"; {o.reason}" if o.reason else "")
        rows.append((o.slug, length, o.status, why))
        statuses.append(o.status)
    widths = [max(len(row[i]) for row in rows) for i in range(3)]
    lines = []
    for n, (row, status) in enumerate(zip(rows, statuses, strict=True)):
        cells = [cell.ljust(width) for cell, width in zip(row, widths, strict=False)]
        if colour and n == 0:
            cells = [f"\x1b[1m{cell}\x1b[0m" for cell in cells]
        elif colour:
            cells[2] = f"\x1b[{STATUS_COLOURS[status]}m{cells[2]}\x1b[0m"
        lines.append("  ".join([*cells, (f"\x1b[1m{row[3]}\x1b[0m" if colour and n == 0
                                         else row[3])]).rstrip())
    return "\n".join(lines)
