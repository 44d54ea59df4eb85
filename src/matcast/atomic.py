"""Atomic output files: write to a hidden temp file in the same folder, then ``os.replace``.

A build that is killed leaves the previous outputs intact and only a hidden temp file behind; the
next build removes temp files whose writing process is gone. OS errors become
:class:`~matcast.errors.OutputError` with a plain explanation (disk full, folder not writable).
"""

from __future__ import annotations

import contextlib
import errno
import os
from collections.abc import Iterator, Sequence
from pathlib import Path

from matcast.errors import OutputError, UsageError

TMP_SUFFIX = ".matcast-tmp"
"""Every temp file matcast writes ends so; its name also carries the writer's process id."""


def temp_path_for(target: Path) -> Path:
    """A hidden temp file beside ``target``: ``.<name>.<pid>.<random>.matcast-tmp``."""
    # os.urandom rather than the secrets module, whose import costs a no-op rebuild ~10 ms.
    return target.with_name(f".{target.name}.{os.getpid()}.{os.urandom(4).hex()}{TMP_SUFFIX}")


def explain(exc: OSError, target: Path) -> OutputError:
    """An OutputError saying in plain words why ``target`` could not be written."""
    if exc.errno == errno.ENOSPC:
        return OutputError(f"disk full while writing {target}; free some space and build again "
                           "(the previous files are intact)")
    if exc.errno in (errno.EACCES, errno.EPERM, errno.EROFS):
        return OutputError(f"cannot write to {target.parent}: {exc.strerror} "
                           "(choose another folder with -o)")
    return OutputError(f"cannot write {target}: {exc.strerror or exc}")


@contextlib.contextmanager
def atomic_paths(targets: Sequence[Path]) -> Iterator[list[Path]]:
    """Yield one temp path per target; when the block succeeds, each replaces its target.

    The renames happen only after every file is complete, so a failure in any of them (including
    KeyboardInterrupt) leaves every target as it was and removes the temp files.
    """
    tmps = [temp_path_for(target) for target in targets]
    current = targets[0] if targets else Path(".")
    try:
        yield tmps
        for tmp, target in zip(tmps, targets, strict=True):
            current = target
            with open(tmp, "rb+") as handle:
                os.fsync(handle.fileno())
        for tmp, target in zip(tmps, targets, strict=True):
            current = target
            os.replace(tmp, target)
    except OSError as exc:
        _remove(tmps)
        raise explain(exc, current) from exc
    except BaseException:
        _remove(tmps)
        raise


@contextlib.contextmanager
def atomic_path(target: Path) -> Iterator[Path]:
    """Yield a temp path to write; on success it replaces ``target`` in one step."""
    with atomic_paths([target]) as (tmp,):
        yield tmp


def _remove(paths: Sequence[Path]) -> None:
    for path in paths:
        with contextlib.suppress(OSError):
            path.unlink()


def write_atomic(target: Path, data: bytes) -> None:
    """Write ``data`` to ``target`` atomically."""
    with atomic_path(target) as tmp:
        tmp.write_bytes(data)


def make_folder(folder: Path) -> None:
    """Create the output folder ``folder`` if needed; errors name it (never a file of ours)."""
    if folder.exists() and not folder.is_dir():
        raise UsageError(f"the output folder {folder} is a file; choose a folder with -o")
    try:
        folder.mkdir(parents=True, exist_ok=True)
    except OSError as exc:
        raise folder_error(exc, folder) from exc


def check_writable(folder: Path) -> None:
    """Create ``folder`` if needed and prove a file can be written there, before long work."""
    make_folder(folder)
    try:
        probe = temp_path_for(folder / "probe")
        probe.write_bytes(b"")
        probe.unlink()
    except OSError as exc:
        raise folder_error(exc, folder) from exc


def folder_error(exc: OSError, folder: Path) -> OutputError:
    """An OutputError saying why the output folder itself cannot be made or written."""
    if exc.errno == errno.ENOSPC:
        return explain(exc, folder)
    hint = " (choose another folder with -o)"
    return OutputError(f"cannot write to the output folder {folder}: {exc.strerror or exc}{hint}")


def clean_stale(folder: Path) -> list[Path]:
    """Remove temp files left by builds that are no longer running; return what was removed."""
    removed = []
    for path in folder.glob(f".*{TMP_SUFFIX}"):
        parts = path.name.split(".")
        pid = int(parts[-3]) if len(parts) >= 4 and parts[-3].isdigit() else None
        if pid is not None and (pid == os.getpid() or _alive(pid)):
            continue
        with contextlib.suppress(OSError):
            path.unlink()
            removed.append(path)
    return removed


def _alive(pid: int) -> bool:
    try:
        os.kill(pid, 0)
    except ProcessLookupError:
        return False
    except PermissionError:
        return True
    return True
