"""Folders given as URLs: any fsspec file system (``s3://bucket/cache``, ``memory://cache``).

A plain path, or a ``file://`` URL, stays a :class:`~pathlib.Path` and keeps the local code
(temp file, fsync, ``os.replace``). Any other URL is a :class:`Store`, whose writes are atomic
in the way the backend allows: an object store (S3, GCS, Azure) makes each put visible whole or
not at all; a file system with renames (memory, SFTP, a mounted share) gets a hidden temp name
and a rename. fsspec (and s3fs, for ``s3://``) is imported only when a URL is used.
"""

from __future__ import annotations

import contextlib
import os
from collections.abc import Callable
from pathlib import Path
from typing import Any

from matcast.errors import OutputError, UsageError

_SCHEME_CHARS = frozenset("abcdefghijklmnopqrstuvwxyzABCDEFGHIJKLMNOPQRSTUVWXYZ0123456789+.-")
OBJECT_STORES = frozenset({"s3", "s3a", "gs", "gcs", "az", "abfs", "abfss", "adl", "oss"})
"""Protocols whose puts are atomic and whose renames are copies: written in place, in one put."""
TMP_SUFFIX = ".matcast-tmp"


def is_url(location: object) -> bool:
    """Whether ``location`` is a URL (``scheme://...``) rather than a path."""
    # No regular expression or urllib here: a no-op library rebuild checks its options with it.
    if not isinstance(location, str) or "://" not in location:
        return False
    scheme = location.split("://", 1)[0]
    return scheme[:1].isalpha() and scheme.isascii() and set(scheme) <= _SCHEME_CHARS


def as_location(raw: str | Path) -> Path | str:
    """A folder option's value: a Path for a plain path or a ``file://`` URL, else the URL."""
    if isinstance(raw, Path) or not is_url(raw):
        return Path(str(raw)).expanduser()
    from urllib.parse import unquote, urlsplit

    parts = urlsplit(raw)
    if parts.scheme.lower() == "file":
        if parts.netloc not in ("", "localhost"):
            raise UsageError(f"{raw}: a file:// URL names a folder on this machine "
                             "(file:///path); use the shared folder's mounted path")
        return Path(unquote(parts.path))
    return raw.rstrip("/")


class Store:
    """A folder in an fsspec file system: names inside it are ``/``-separated."""

    def __init__(self, url: str) -> None:
        self.url = url.rstrip("/")
        try:
            import fsspec
        except ImportError:
            raise UsageError(f"{url}: folders given as URLs need fsspec; install matcast's "
                             "cluster extra: pip install 'matcast[cluster]'") from None
        try:
            self.fs, self.root = fsspec.core.url_to_fs(self.url)
        except (ImportError, ValueError) as exc:
            raise UsageError(f"{url}: {exc}; for s3:// install s3fs (pip install s3fs), for "
                             "other stores the fsspec package that serves them") from None
        protocol = self.fs.protocol
        protocols = (protocol,) if isinstance(protocol, str) else tuple(protocol)
        self.object_store = any(p in OBJECT_STORES for p in protocols)

    def __getstate__(self) -> dict[str, Any]:
        return {"url": self.url}

    def __setstate__(self, state: dict[str, Any]) -> None:
        self.__init__(state["url"])  # type: ignore[misc]

    def path(self, name: str) -> str:
        return f"{self.root.rstrip('/')}/{name}" if name else self.root

    def read(self, name: str) -> bytes | None:
        """The bytes stored under ``name``, or None if there are none."""
        try:
            data: bytes = self.fs.cat_file(self.path(name))
        except FileNotFoundError:
            return None
        except OSError as exc:
            raise self.failed("read", name, exc) from exc
        return data

    def write(self, name: str, data: bytes) -> None:
        """Store ``data`` under ``name`` so that readers see the old bytes or the new, whole."""
        self._put(name, lambda target: self.fs.pipe_file(target, data))

    def upload(self, local: Path, name: str) -> None:
        """Copy the local file ``local`` to ``name``, atomically as :meth:`write` does, streamed
        (an object store's multipart upload still appears whole, when it completes)."""
        if not local.is_file():
            raise OutputError(f"cannot read {local}: no such file")
        self._put(name, lambda target: self.fs.put_file(str(local), target))

    def _put(self, name: str, put: Callable[[str], object]) -> None:
        """Run ``put`` on ``name``'s path (an object store) or on a hidden temp name, then
        rename that into place (any other file system)."""
        target = self.path(name)
        try:
            if self.object_store:
                put(target)
                return
            parent = target.rpartition("/")[0]
            if parent:
                self.fs.makedirs(parent, exist_ok=True)
            tmp = f"{parent}/.{target.rpartition('/')[2]}.{os.getpid()}.{os.urandom(4).hex()}" \
                  f"{TMP_SUFFIX}"
            try:
                put(tmp)
                self.fs.mv(tmp, target)
            finally:
                with contextlib.suppress(OSError):
                    if self.fs.exists(tmp):
                        self.fs.rm_file(tmp)
        except OSError as exc:
            raise self.failed("write", name, exc) from exc

    def delete(self, name: str) -> None:
        """Remove ``name`` if it is there (an OSError if the store refuses)."""
        with contextlib.suppress(FileNotFoundError):
            self.fs.rm_file(self.path(name))

    def remove(self, name: str) -> None:
        """:meth:`delete`, its failure an OutputError naming the object."""
        try:
            self.delete(name)
        except OSError as exc:
            raise self.failed("delete", name, exc) from exc

    def size(self, name: str) -> int | None:
        """The size of the object ``name`` in bytes, or None if there is none."""
        try:
            info = self.fs.info(self.path(name))
        except FileNotFoundError:
            return None
        except OSError as exc:
            raise self.failed("read", name, exc) from exc
        return int(info["size"]) if info.get("type", "file") == "file" else None

    def read_range(self, name: str, start: int, end: int) -> bytes:
        """Bytes ``start`` to ``end`` of ``name`` (one ranged read on an object store)."""
        try:
            data: bytes = self.fs.cat_file(self.path(name), start=start, end=end)
        except OSError as exc:
            raise self.failed("read", name, exc) from exc
        return data

    def download(self, name: str, local: Path) -> bool:
        """Copy ``name`` to the local file ``local``; False if there is no such object."""
        data = self.read(name)
        if data is None:
            return False
        try:
            local.write_bytes(data)
        except OSError as exc:
            raise OutputError(f"cannot write {local}: {exc.strerror or exc}") from exc
        return True

    def shown(self, name: str = "") -> str:
        """The URL of ``name`` in this folder, as messages show it."""
        return f"{self.url}/{name}" if name else self.url

    @property
    def shared(self) -> bool:
        """Whether other processes see this store (``memory://`` lives in one process)."""
        protocol = self.fs.protocol
        protocols = (protocol,) if isinstance(protocol, str) else tuple(protocol)
        return "memory" not in protocols

    def check_writable(self, what: str = "folder") -> None:
        """Prove a file can be written and removed here, before long work; the error names
        the folder as ``what`` (e.g. "output folder (-o)") and the store's reason."""
        probe = f".matcast-probe.{os.getpid()}.{os.urandom(4).hex()}"
        try:
            self.write(probe, b"")
            self.remove(probe)
        except OutputError as exc:
            reason = str(exc).rpartition(": ")[2]
            raise OutputError(f"cannot write to the {what} {self.url}: {reason}") from exc

    def failed(self, doing: str, name: str, exc: OSError) -> OutputError:
        return OutputError(f"cannot {doing} {self.url}/{name}: {exc.strerror or exc}")
