"""A library's files, packed to travel to cluster workers that do not share the library folder.

The client packs every file of the library folder (routines, poses, ``library.yaml``, covers,
beds) and the files outside it that its routines read, sends the pack once to every worker, and
each worker unpacks it once into a folder of its own, laid out as the files' absolute paths, so
that a routine's relative links (``cover: ../art/x.png``) still resolve. Workers need no copy of
the routines and never read the client's disk.
"""

from __future__ import annotations

import hashlib
import os
from collections.abc import Iterable
from dataclasses import dataclass
from pathlib import Path, PurePosixPath

from matcast.errors import OutputError, UsageError

MAX_BYTES = 512 * 1024 * 1024
"""Largest pack sent to the workers: a library of routines and covers is a few MB; a bigger one
means the output folder, or something else, sits inside the library folder."""


@dataclass(frozen=True)
class Bundle:
    """Files by absolute POSIX path, the library folder's path, and a digest of it all."""

    library: str
    files: dict[str, bytes]
    digest: str

    def path(self, root: Path, original: str | Path) -> Path:
        """Where ``original`` (an absolute path on the client) is once unpacked under root."""
        return root / _relative(Path(original))


def pack(library: Path, extra: Iterable[Path] = (), skip: Iterable[Path] = ()) -> Bundle:
    """Pack the library folder's files (hidden ones and the ``skip`` folders left out) and the
    ``extra`` files."""
    skipped = [s.resolve() for s in skip]
    files: dict[str, bytes] = {}
    total = 0
    library = library.resolve()
    candidates = [p for p in sorted(library.rglob("*"))
                  if not any(part.startswith(".") for part in p.relative_to(library).parts)]
    for path in [*candidates, *extra]:
        path = path.resolve()
        if not path.is_file() or any(path.is_relative_to(s) for s in skipped):
            continue
        try:
            data = path.read_bytes()
        except OSError as exc:
            raise OutputError(f"cannot read {path} to send it to the cluster: "
                              f"{exc.strerror or exc}") from exc
        total += len(data)
        if total > MAX_BYTES:
            raise UsageError(f"the library {library} holds over {MAX_BYTES >> 20} MB of files "
                             "to send to the cluster's workers; keep only routines, poses, "
                             "covers and beds in it (and the output folder outside it)")
        files[path.as_posix()] = data
    hasher = hashlib.sha256()
    for name in sorted(files):
        hasher.update(name.encode() + b"\0" + hashlib.sha256(files[name]).digest())
    return Bundle(library.as_posix(), files, hasher.hexdigest())


def unpack(bundle: Bundle, root: Path) -> Path:
    """Write the pack's files under ``root``; return where the library folder is there."""
    for name, data in bundle.files.items():
        target = root / _relative(Path(name))
        target.parent.mkdir(parents=True, exist_ok=True)
        tmp = target.with_name(f".{target.name}.{os.getpid()}.tmp")
        tmp.write_bytes(data)
        os.replace(tmp, target)
    library = root / _relative(Path(bundle.library))
    library.mkdir(parents=True, exist_ok=True)
    return library


def _relative(path: Path) -> PurePosixPath:
    """An absolute path as a relative one: ``/a/b`` -> ``a/b``, ``C:\\a`` -> ``C/a``."""
    parts = [part.replace(":", "").strip("/\\") for part in path.parts]
    return PurePosixPath(*[p for p in parts if p])
