"""Atomic output files: write to a hidden temp file in the same folder, then ``os.replace``.

A build that is killed leaves the previous outputs intact and only a hidden temp file behind; the
next build removes temp files whose writing process is gone. OS errors become
:class:`~matcast.errors.OutputError` with a plain explanation (disk full, folder not writable).

Files that belong together (an episode's MP3 and its sidecars, a library's feed and page) switch
together: once every one is complete, a commit journal naming each temp file and its target is
put in place, then the renames run, then the journal goes. A build killed between two renames
leaves the journal, and whoever next takes the folder's lock (any build of that folder) finishes
the renames first, so a half-switched episode never outlives the next run (:func:`recover`).
"""

from __future__ import annotations

import contextlib
import errno
import json
import os
from collections.abc import Callable, Iterator, Sequence
from pathlib import Path

from matcast.errors import OutputError, UsageError

TMP_SUFFIX = ".matcast-tmp"
"""Every temp file matcast writes ends so; its name also carries the writer's process id."""
COMMIT_SUFFIX = ".matcast-commit"
"""A commit journal: the renames that switch a group of files, pending until it is removed."""


_commit_guard: Callable[[], None] | None = None


def set_commit_guard(guard: Callable[[], None] | None) -> None:
    """Have every rename into place first call ``guard``, which raises to forbid it.

    A library build's worker processes set one that checks the process holding the output
    folder's lock (their parent) is still alive: a worker orphaned by a killed build must not put
    an episode into a folder that nobody holds.
    """
    global _commit_guard
    _commit_guard = guard


def check_commit_guard() -> None:
    """Raise as the commit guard does if putting files in place is now forbidden (an upload
    into a store calls it before its first put)."""
    if _commit_guard is not None:
        _commit_guard()


def _host_tag() -> str:
    """8 hex digits naming this machine: temp files in a folder that several machines share
    (cluster workers) are cleaned only by the machine whose process ids they carry."""
    import zlib

    node = os.uname().nodename if hasattr(os, "uname") else os.environ.get("COMPUTERNAME", "")
    return f"{zlib.crc32(node.encode()):08x}"


_HOST = _host_tag()


def _token() -> str:
    """This machine's tag and 4 random bytes, as hex."""
    # os.urandom rather than the secrets module, whose import costs a no-op rebuild ~10 ms.
    return _HOST + os.urandom(4).hex()


def temp_path_for(target: Path) -> Path:
    """A hidden temp file beside ``target``: ``.<name>.<pid>.<host><random>.matcast-tmp``."""
    return target.with_name(f".{target.name}.{os.getpid()}.{_token()}{TMP_SUFFIX}")


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
        if _commit_guard is not None:
            _commit_guard()
        journal = _write_journal(tmps, targets) if len(targets) > 1 else None
        for tmp, target in zip(tmps, targets, strict=True):
            current = target
            os.replace(tmp, target)
        if journal is not None:
            current = journal
            _fsync_folder(journal.parent)
            journal.unlink()
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


def _write_journal(tmps: Sequence[Path], targets: Sequence[Path]) -> Path:
    """Put in place, atomically, the journal of the renames about to run; return its path."""
    folder = targets[0].parent
    journal = folder / f".{targets[0].name}.{os.getpid()}.{_token()}{COMMIT_SUFFIX}"
    renames = [[os.path.relpath(tmp, folder), os.path.relpath(target, folder)]
               for tmp, target in zip(tmps, targets, strict=True)]
    staging = temp_path_for(journal)
    try:
        with open(staging, "w", encoding="utf-8") as handle:
            json.dump({"renames": renames}, handle)
            handle.flush()
            os.fsync(handle.fileno())
        os.replace(staging, journal)
    except BaseException:
        _remove([staging])
        raise
    _fsync_folder(folder)
    return journal


def _fsync_folder(folder: Path) -> None:
    """Make the renames in ``folder`` durable (POSIX; a no-op where folders cannot be opened)."""
    try:
        fd = os.open(folder, os.O_RDONLY)
    except OSError:
        return
    try:
        with contextlib.suppress(OSError):
            os.fsync(fd)
    finally:
        os.close(fd)


def recover(folder: Path) -> list[Path]:
    """Finish the switches that killed builds left half done in ``folder``; return the journals.

    Call it holding the folder's lock. A journal whose writer is still running is left alone;
    for any other, every temp file it names that still exists replaces its target (all of them
    were complete before the journal was written), then the journal is removed.
    """
    finished = []
    for journal in sorted(folder.glob(f".*{COMMIT_SUFFIX}")):
        pid = _writer_pid(journal)
        if not _written_here(journal) or (
                pid is not None and pid != os.getpid() and _alive(pid)):
            continue
        try:
            renames = json.loads(journal.read_text(encoding="utf-8"))["renames"]
            for tmp_name, target_name in renames:
                tmp, target = folder / tmp_name, folder / target_name
                if tmp.exists():
                    os.replace(tmp, target)
            _fsync_folder(folder)
            journal.unlink()
        except OSError as exc:
            raise explain(exc, journal) from exc
        except (ValueError, KeyError, TypeError):
            # Not a journal of ours (it is written whole or not at all): set it aside, named.
            raise OutputError(f"{journal} is not a commit journal matcast can read; move it out "
                              "of the folder and build again") from None
        finished.append(journal)
    return finished


def _writer_pid(path: Path) -> int | None:
    """The process id in a temp file's or journal's name (``.<name>.<pid>.<hex><suffix>``)."""
    parts = path.name.split(".")
    return int(parts[-3]) if len(parts) >= 4 and parts[-3].isdigit() else None


def _written_here(path: Path) -> bool:
    """Whether a temp file or journal was written on this machine (whose process ids it can
    check); names from before the machine's tag count as this machine's."""
    parts = path.name.split(".")
    token = parts[-2] if len(parts) >= 4 else ""
    return len(token) != 16 or token[:8] == _HOST


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
    """Remove temp files left by builds that are no longer running; return what was removed.

    Half-done switches are finished first (:func:`recover`): their temp files are the new
    versions, not litter.
    """
    recover(folder)
    removed = []
    for path in folder.glob(f".*{TMP_SUFFIX}"):
        pid = _writer_pid(path)
        if not _written_here(path) or (pid is not None and (pid == os.getpid() or _alive(pid))):
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
