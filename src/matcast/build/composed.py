"""The composed classes a library declares (``composed:`` in library.yaml): each composed from the
library's poses and saved as ``composed/<slug>.yaml`` beside library.yaml, an ordinary routine
file that ``build --all`` then builds like any other.

A composed routine file changes only when what it is composed from changes (its entry, any pose
file, matcast's version): its text is then rewritten, and so its episode's dependency hash
(the routine file and the pose files it uses) changes with it. While none of those changed, the
library's poses are not even loaded again.
"""

from __future__ import annotations

import json
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from matcast import __version__
from matcast.build.manifest import Manifest, digest, file_digest
from matcast.errors import MatcastError

COMPOSED_DIR = "composed"
"""The folder, beside library.yaml, that holds the library's composed routine files."""


@dataclass
class Composed:
    """The composed routine files of a library, and the entries that could not be composed."""

    paths: list[Path] = field(default_factory=list)
    failed: list[tuple[str, str]] = field(default_factory=list)
    """(slug, why) of each entry that could not be composed."""


def _pose_digests(library: Path) -> list[tuple[str, str]]:
    folder = library / "poses"
    return [(p.name, file_digest(p) or "") for p in sorted(folder.glob("*.yaml"))]


def compose_library(library: Path, entries: list[dict[str, Any]], manifest: Manifest
                    ) -> Composed:
    """Write each entry's routine file (only when its text changes); ``entries`` are the
    library config's ``composed`` entries as JSON."""
    result = Composed()
    if not entries:
        return result
    poses = _pose_digests(library)
    cache: dict[str, Any] = dict(manifest.config.get("composed_files") or {})  # type: ignore[arg-type]
    catalog = None
    for entry in entries:
        slug = entry["slug"]
        path = library / COMPOSED_DIR / f"{slug}.yaml"
        key = digest(json.dumps([entry, poses, __version__], sort_keys=True).encode())
        known = cache.get(slug) or {}
        if known.get("key") == key and known.get("file") == file_digest(path):
            result.paths.append(path)
            continue
        try:
            if catalog is None:
                from matcast.compose import load_catalog

                catalog = load_catalog(library)
            text = _text(catalog, entry, path)
            _save(path, text)
        except MatcastError as exc:
            result.failed.append((slug, f"cannot be composed: {str(exc).splitlines()[0]}"))
            cache.pop(slug, None)
            continue
        cache[slug] = {"key": key, "file": file_digest(path)}
        result.paths.append(path)
    manifest.config["composed_files"] = cache  # type: ignore[assignment]
    return result


def composed_wishes(entry: dict[str, Any]) -> Any:
    """The wishes of one composed entry of library.yaml (as its JSON)."""
    from matcast.compose import Wishes
    from matcast.compose.wishes import Purpose
    from matcast.routine.enums import Level, Style

    return Wishes(minutes=entry["minutes"], focus=tuple(entry.get("focus") or ()),
                  level=Level(entry.get("level") or "all"),
                  purpose=Purpose(entry.get("for") or "after-run"),
                  avoid=tuple(entry.get("avoid") or ()),
                  style=Style(entry["style"]) if entry.get("style") else None,
                  seed=entry["seed"])


def _text(catalog: Any, entry: dict[str, Any], path: Path) -> str:
    from matcast.compose import compose

    composition = compose(catalog, composed_wishes(entry))
    return composition.text(catalog, "..", f"{COMPOSED_DIR}/{path.name}",
                            path.parent.parent.name,
                            episode=f"library.yaml's composed episode {entry['slug']!r}")


def _save(path: Path, text: str) -> None:
    from matcast.fs.atomic import make_folder, write_atomic

    data = text.encode()
    try:
        if path.read_bytes() == data:
            return
    except OSError:
        pass
    make_folder(path.parent)
    write_atomic(path, data)
