"""How a library build looks on a terminal: one overall bar, a line per running episode, and a
summary table at the end."""

from __future__ import annotations

from collections.abc import Iterable

from rich.console import Console
from rich.progress import BarColumn, MofNCompleteColumn, Progress, TaskID, TextColumn
from rich.table import Table

from matcast.batch import Outcome
from matcast.batch import Progress as Callbacks


class BatchBar:
    """A transient rich display: the library bar, plus one line per episode being built."""

    def __init__(self, total: int, console: Console) -> None:
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


def summary(outcomes: Iterable[Outcome], console: Console) -> None:
    """The table of every episode: length, built/skipped/failed/removed, and why."""
    table = Table(show_edge=False, pad_edge=False, box=None, header_style="bold")
    for column in ("episode", "length", "status", "why"):
        table.add_column(column, overflow="fold")
    styles = {"built": "green", "skipped": "dim", "failed": "bold red", "removed": "yellow"}
    for o in sorted(outcomes, key=lambda o: o.slug):
        length = (f"{int(o.duration // 60)}:{int(o.duration % 60):02d}"
                  if o.duration is not None else "")
        why = o.reason
        if o.status == "built":
            why = f"{o.spoken} lines spoken, {o.cached} from cache" + (
                f"; {o.reason}" if o.reason else "")
        table.add_row(o.slug, length, f"[{styles[o.status]}]{o.status}[/]", why)
    console.print(table)
