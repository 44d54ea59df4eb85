"""The output folder's manifest: what was built from what, and the files each build wrote.

``build --all`` reads it to decide what is up to date; the feed and the page are published from it.
"""

from __future__ import annotations

import hashlib
import json
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from matcast.atomic import write_atomic

MANIFEST = "manifest.json"
"""The manifest's file name in the output folder."""
MANIFEST_VERSION = 1


@dataclass
class Manifest:
    """The output folder's record of what was built from what."""

    settings: str = ""
    routines: dict[str, dict[str, Any]] = field(default_factory=dict)
    """Routine file -> {"inputs": {file: sha256}, "episodes": [{slug, title, variant}]}."""
    episodes: dict[str, dict[str, Any]] = field(default_factory=dict)
    """Slug -> {routine, key, number, published, title, variant, files, mp3_bytes, duration}."""
    publish: str = ""
    """Hash of what the feed and the library page were last made from."""
    config: dict[str, str] = field(default_factory=dict)
    """The library config's digest and the album name read from it."""

    @classmethod
    def load(cls, out_dir: Path) -> Manifest:
        try:
            data = json.loads((out_dir / MANIFEST).read_text(encoding="utf-8"))
        except (OSError, ValueError):
            return cls()
        if not isinstance(data, dict) or data.get("version") != MANIFEST_VERSION:
            return cls()
        return cls(str(data.get("settings", "")), dict(data.get("routines", {})),
                   dict(data.get("episodes", {})), str(data.get("publish", "")),
                   dict(data.get("config", {})))

    def save(self, out_dir: Path) -> None:
        """Write the manifest (atomically), unless it is already on disk as it is."""
        data = {"version": MANIFEST_VERSION, "settings": self.settings,
                "routines": self.routines, "episodes": self.episodes, "publish": self.publish,
                "config": self.config}
        text = (json.dumps(data, indent=1, sort_keys=True, ensure_ascii=False) + "\n").encode()
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
    """SHA-256 of a file's bytes, or None if it cannot be read."""
    try:
        return digest(path.read_bytes())
    except OSError:
        return None
