"""One build at a time per output folder: an advisory lock on ``<out>/.matcast.lock``.

Two builds of the same folder would race on the manifest and on which version of an episode
ends up published. The second one waits for the first (and says so), then finds most of its
work already done. The lock goes with the process, so a killed build never leaves it held.
"""

from __future__ import annotations

import contextlib
import os
import sys
import time
from collections.abc import Callable, Iterator
from pathlib import Path
from typing import BinaryIO

from matcast.atomic import explain, recover

LOCK_NAME = ".matcast.lock"


@contextlib.contextmanager
def folder_lock(folder: Path, on_wait: Callable[[], None] | None = None) -> Iterator[None]:
    """Hold the folder's build lock for the duration of the block, waiting for it if needed."""
    try:
        folder.mkdir(parents=True, exist_ok=True)
        handle = open(folder / LOCK_NAME, "a+b")  # noqa: SIM115 (kept open while locked)
    except OSError as exc:
        raise explain(exc, folder / LOCK_NAME) from exc
    try:
        if not _try_lock(handle):
            if on_wait is not None:
                on_wait()
            while not _try_lock(handle):
                time.sleep(0.2)
        # A build killed mid-switch left its journal: finish that switch before anything reads
        # or writes the folder.
        recover(folder)
        yield
    finally:
        _unlock(handle)
        handle.close()


if sys.platform == "win32":  # pragma: no cover - exercised on Windows only
    import msvcrt

    def _try_lock(handle: BinaryIO) -> bool:
        try:
            msvcrt.locking(handle.fileno(), msvcrt.LK_NBLCK, 1)
        except OSError:
            return False
        return True

    def _unlock(handle: BinaryIO) -> None:
        with contextlib.suppress(OSError):
            os.lseek(handle.fileno(), 0, os.SEEK_SET)
            msvcrt.locking(handle.fileno(), msvcrt.LK_UNLCK, 1)

else:
    import fcntl

    def _try_lock(handle: BinaryIO) -> bool:
        try:
            fcntl.flock(handle.fileno(), fcntl.LOCK_EX | fcntl.LOCK_NB)
        except BlockingIOError:
            return False
        return True

    def _unlock(handle: BinaryIO) -> None:
        with contextlib.suppress(OSError):
            fcntl.flock(handle.fileno(), fcntl.LOCK_UN)
