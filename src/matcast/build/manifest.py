"""The output folder's manifest: what was built from what, and the files each build wrote.

``build --all`` reads it to decide what is up to date; the feed and the page are published from it.
"""

from __future__ import annotations

import hashlib
import json
import os
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from matcast.fs.atomic import write_atomic
from matcast.fs.store import Store

Out = Path | Store
"""An output folder: a local folder, or a folder in an fsspec store (``s3://bucket/show``)."""

MANIFEST = "manifest.json"
"""The manifest's file name in the output folder."""
MANIFEST_VERSION = 1
FINGERPRINT_SPAN = 65_536
"""Bytes read from each end of a file for its fingerprint."""


@dataclass
class Manifest:
    """The output folder's record of what was built from what."""

    settings: str = ""
    routines: dict[str, dict[str, Any]] = field(default_factory=dict)
    """Routine file -> {"inputs": {file: sha256}, "episodes": [{slug, title, variant}]}."""
    episodes: dict[str, dict[str, Any]] = field(default_factory=dict)
    """Slug -> {routine, key, number, published, title, variant, files, fingerprints,
    mp3_bytes, duration}."""
    publish: str = ""
    """Hash of what the feed and the library page were last made from."""
    config: dict[str, str] = field(default_factory=dict)
    """The library config's digest and the album name read from it."""
    environment: dict[str, str] = field(default_factory=dict)
    """The speech engines' versions and the signature of the Python environment they were read
    in: asked again only when the installed packages change."""

    @classmethod
    def load(cls, out_dir: Out) -> Manifest:
        try:
            if isinstance(out_dir, Store):
                raw = out_dir.read(MANIFEST)
                data = json.loads(raw) if raw is not None else None
            else:
                data = json.loads((out_dir / MANIFEST).read_text(encoding="utf-8"))
        except (OSError, ValueError):
            return cls()
        if not isinstance(data, dict) or data.get("version") != MANIFEST_VERSION:
            return cls()
        return cls(str(data.get("settings", "")), dict(data.get("routines", {})),
                   dict(data.get("episodes", {})), str(data.get("publish", "")),
                   dict(data.get("config", {})), dict(data.get("environment", {})))

    def number(self, slug: str) -> int | None:
        """The episode number a library build gave ``slug``, if it did."""
        number = self.episodes.get(slug, {}).get("number")
        return number if isinstance(number, int) and not isinstance(number, bool) else None

    def save(self, out_dir: Out) -> None:
        """Write the manifest (atomically), unless it is already on disk as it is."""
        data = {"version": MANIFEST_VERSION, "settings": self.settings,
                "routines": self.routines, "episodes": self.episodes, "publish": self.publish,
                "config": self.config, "environment": self.environment}
        text = (json.dumps(data, indent=1, sort_keys=True, ensure_ascii=False) + "\n").encode()
        if isinstance(out_dir, Store):
            if out_dir.read(MANIFEST) != text:
                out_dir.write(MANIFEST, text)
            return
        path = out_dir / MANIFEST
        try:
            if path.read_bytes() == text:
                return
        except OSError:
            pass
        write_atomic(path, text)


def digest(data: bytes) -> str:
    """SHA-256 of ``data``, as hex."""
    return hashlib.sha256(data).hexdigest()


def file_digest(path: Path) -> str | None:
    """SHA-256 of a file's bytes, or None if it cannot be read or is not a regular file (a FIFO
    would block, /dev/zero never end: the loader then reports it, with its name)."""
    from matcast.fs.regular import digest_regular

    try:
        return digest_regular(path)
    except OSError:
        return None


def file_fingerprint(path: Path) -> str | None:
    """``<size>:<hash>`` of a file as written, or None if it cannot be read.

    The hash is SHA-256 over the first and last 64 KiB (the whole file when it is smaller). For an
    MP3 that covers the ID3 tag (title, track, cover, chapters) and the last seconds of audio, so
    any other session written over it differs; the sidecars are mostly hashed whole. It reads at
    most 128 KiB per file, whatever its size, so checking a whole library costs milliseconds.
    Content rather than mtime_ns: a copied or restored output folder keeps its content but not
    its times (which would rebuild everything), and two writes of one size within one timestamp
    tick (a few ms on ext4, 2 s on FAT) would look alike.
    """
    try:
        with open(path, "rb") as handle:
            size = os.fstat(handle.fileno()).st_size
            data = handle.read(FINGERPRINT_SPAN)
            if size > 2 * FINGERPRINT_SPAN:
                handle.seek(size - FINGERPRINT_SPAN)
            data += handle.read()
    except OSError:
        return None
    return f"{size}:{digest(data)[:32]}"


def stored_fingerprint(store: Store, name: str) -> str | None:
    """:func:`file_fingerprint` of the object ``name`` in ``store``, from its size and ranged
    reads of its two ends (at most 128 KiB fetched, whatever its size); None if it is missing."""
    size = store.size(name)
    if size is None:
        return None
    if size <= 2 * FINGERPRINT_SPAN:
        data = store.read_range(name, 0, size)
    else:
        data = (store.read_range(name, 0, FINGERPRINT_SPAN)
                + store.read_range(name, size - FINGERPRINT_SPAN, size))
    return f"{size}:{digest(data)[:32]}"


def stale_file(out_dir: Out, entry: dict[str, Any]) -> str | None:
    """Why a recorded episode's files are no longer the ones its build wrote, or None if they
    are: each file must exist and match the fingerprint recorded for it."""
    names = entry.get("files") or []
    if not names:
        return "no files recorded"
    current = {}
    for name in names:
        current[name] = (stored_fingerprint(out_dir, name) if isinstance(out_dir, Store)
                         else file_fingerprint(out_dir / name))
        if current[name] is None:
            return f"{name} is missing"
    recorded = entry.get("fingerprints")
    if not isinstance(recorded, dict):
        # A manifest from before fingerprints: the MP3's size is the one check left. When it
        # holds, the files are taken as built and their fingerprints recorded from now on.
        if str(current[names[0]]).split(":")[0] != str(entry.get("mp3_bytes")):
            return f"{names[0]} was replaced since it was built"
        entry["fingerprints"] = current
        return None
    for name in names:
        if current[name] != recorded.get(name):
            return f"{name} was replaced since it was built"
    return None
