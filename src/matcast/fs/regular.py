"""Reading the files a user hands matcast: regular files only, and never more than a bound.

A library folder can hold anything under a ``.yaml`` name: a FIFO (opening it waits for a writer
that never comes; reading it, for data that never ends), a link to ``/dev/zero`` (endless data),
a device. ``st_size`` is 0 for all of them, so a size check alone lets them through. Here a file
is opened without blocking, checked on the open descriptor (so a swap after the check changes
nothing), and read up to a limit.
"""

from __future__ import annotations

import hashlib
import os
import stat
from pathlib import Path

CHUNK = 1 << 20


class NotRegular(OSError):
    """The path is a FIFO, a device, a socket or a folder: nothing matcast reads."""


class TooLarge(OSError):
    """The file holds more than the caller's limit."""


def _kind(mode: int) -> str:
    if stat.S_ISDIR(mode):
        return "a folder"
    if stat.S_ISFIFO(mode):
        return "a FIFO (named pipe)"
    if stat.S_ISCHR(mode) or stat.S_ISBLK(mode):
        return "a device"
    if stat.S_ISSOCK(mode):
        return "a socket"
    return "not a regular file"


def _open(path: Path) -> int:
    flags = os.O_RDONLY | getattr(os, "O_NONBLOCK", 0) | getattr(os, "O_CLOEXEC", 0)
    fd = os.open(path, flags)
    mode = os.fstat(fd).st_mode
    if not stat.S_ISREG(mode):
        os.close(fd)
        raise NotRegular(f"{path} is {_kind(mode)}, not a regular file")
    return fd


def check_regular(path: Path) -> None:
    """Raise :class:`NotRegular` unless ``path`` (links followed) is a regular file; OSError if
    it cannot be opened. Opening does not block, even on a FIFO."""
    os.close(_open(path))


def read_regular(path: Path, limit: int) -> bytes:
    """The bytes of the regular file ``path``; :class:`TooLarge` past ``limit`` bytes."""
    fd = _open(path)
    try:
        chunks: list[bytes] = []
        total = 0
        while chunk := os.read(fd, min(CHUNK, limit + 1 - total)):
            chunks.append(chunk)
            total += len(chunk)
            if total > limit:
                raise TooLarge(f"{path} holds more than {limit:,} bytes")
        return b"".join(chunks)
    finally:
        os.close(fd)


def digest_regular(path: Path) -> str:
    """SHA-256 of a regular file, read in chunks (its size is not bounded, its kind is)."""
    fd = _open(path)
    try:
        sha = hashlib.sha256()
        while chunk := os.read(fd, CHUNK):
            sha.update(chunk)
        return sha.hexdigest()
    finally:
        os.close(fd)
