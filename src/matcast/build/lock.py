"""One build at a time per output folder: an advisory lock held on the folder itself.

Two builds of the same folder would race on the manifest and on which version of an episode
ends up published. The second one waits for the first (and says so), then finds most of its
work already done. The lock goes with the process, so a killed build never leaves it held.

On Linux and macOS the lock is ``flock`` on the output folder's own directory handle: no file is
added to the user's folder, builds by different users of one folder still take turns, and there
is nothing to clean up. Windows cannot lock a directory, so there the lock is a file in matcast's
cache folder named by a hash of the output folder's real path.
"""

from __future__ import annotations

import contextlib
import errno
import os
import sys
import time
from collections.abc import Callable, Iterator
from pathlib import Path

from matcast.errors import OutputError
from matcast.fs.atomic import folder_error, make_folder, recover

LEGACY_LOCK = ".matcast.lock"
"""The lock file earlier versions left in every output folder; removed when found unused."""


@contextlib.contextmanager
def folder_lock(folder: Path, on_wait: Callable[[], None] | None = None) -> Iterator[None]:
    """Hold the folder's build lock for the duration of the block, waiting for it if needed.

    Creates the folder if needed. Errors name the folder, never the lock.
    """
    handle = _open(folder)
    try:
        if not _try_lock(handle, folder):
            if on_wait is not None:
                on_wait()
            while not _try_lock(handle, folder):
                time.sleep(0.2)
        _remove_legacy_lock(folder)
        # A build killed mid-switch left its journal: finish that switch before anything reads
        # or writes the folder.
        recover(folder)
        yield
    finally:
        _unlock(handle)
        os.close(handle)


def lock_file_for(key: str) -> Path:
    """A lock file in matcast's cache folder for ``key`` (a URL), named by its hash."""
    import hashlib

    from matcast.voice.cache import default_cache_dir

    name = hashlib.sha256(key.encode()).hexdigest()[:32]
    return default_cache_dir().parent / "locks" / f"{name}.lock"


@contextlib.contextmanager
def key_lock(key: str, on_wait: Callable[[], None] | None = None) -> Iterator[None]:
    """Hold this machine's lock named ``key`` (an output folder's URL) for the block, waiting
    for it if needed: two builds of one URL on one machine take turns, as for a folder."""
    path = lock_file_for(key)
    try:
        path.parent.mkdir(parents=True, exist_ok=True)
        handle = os.open(path, os.O_RDWR | os.O_CREAT, 0o644)
    except OSError as exc:
        raise OutputError(f"cannot take the build lock of {key} in {path.parent}: "
                          f"{exc.strerror or exc}") from exc
    try:
        if not _try_lock(handle, key):
            if on_wait is not None:
                on_wait()
            while not _try_lock(handle, key):
                time.sleep(0.2)
        yield
    finally:
        _unlock(handle)
        os.close(handle)


if sys.platform == "win32":  # pragma: no cover - exercised on Windows only
    import hashlib
    import msvcrt

    def _open(folder: Path) -> int:
        make_folder(folder)
        from matcast.voice.cache import default_cache_dir

        key = hashlib.sha256(os.path.realpath(folder).lower().encode()).hexdigest()[:32]
        locks = default_cache_dir().parent / "locks"
        try:
            locks.mkdir(parents=True, exist_ok=True)
            return os.open(locks / f"{key}.lock", os.O_RDWR | os.O_CREAT, 0o644)
        except OSError as exc:
            raise OutputError(f"cannot take the build lock of {folder} in {locks}: "
                              f"{exc.strerror or exc}") from exc

    def _try_lock(handle: int, folder: Path | str) -> bool:
        try:
            msvcrt.locking(handle, msvcrt.LK_NBLCK, 1)
        except OSError:
            return False
        return True

    def _unlock(handle: int) -> None:
        with contextlib.suppress(OSError):
            os.lseek(handle, 0, os.SEEK_SET)
            msvcrt.locking(handle, msvcrt.LK_UNLCK, 1)

    def _remove_legacy_lock(folder: Path) -> None:
        with contextlib.suppress(OSError):
            (folder / LEGACY_LOCK).unlink()

else:
    import fcntl

    def _open(folder: Path) -> int:
        make_folder(folder)
        try:
            return os.open(folder, os.O_RDONLY | getattr(os, "O_DIRECTORY", 0))
        except OSError as exc:
            raise folder_error(exc, folder) from exc

    def _try_lock(handle: int, folder: Path | str) -> bool:
        try:
            fcntl.flock(handle, fcntl.LOCK_EX | fcntl.LOCK_NB)
        except BlockingIOError:
            return False
        except OSError as exc:
            if exc.errno in (errno.ENOLCK, errno.EOPNOTSUPP):
                return True  # a file system without locks (NFS without lockd): build unguarded
            raise OutputError(f"cannot lock the output folder {folder}: "
                              f"{exc.strerror or exc}") from exc
        return True

    def _unlock(handle: int) -> None:
        with contextlib.suppress(OSError):
            fcntl.flock(handle, fcntl.LOCK_UN)

    def _remove_legacy_lock(folder: Path) -> None:
        """Delete an older matcast's empty lock file, unless an older build still holds it."""
        path = folder / LEGACY_LOCK
        try:
            fd = os.open(path, os.O_RDONLY)
        except OSError:
            return
        try:
            fcntl.flock(fd, fcntl.LOCK_EX | fcntl.LOCK_NB)
            if os.fstat(fd).st_size == 0:
                path.unlink()
        except OSError:
            pass
        finally:
            os.close(fd)
