"""Finding routines: the library folder and routine names given on the command line."""

from __future__ import annotations

import difflib
import os
from collections.abc import Sequence
from pathlib import Path

from matcast.errors import UsageError

LIBRARY_ENV = "MATCAST_LIBRARY"
"""Environment variable naming the routine library folder."""
LIBRARY_CONFIG = "library.yaml"
"""The library's own config file, beside the routines."""
PUBLISHED = "published.yaml"
"""The library's publication history (episode numbers, dates, the podcast's GUID), written by
``build --all`` beside the routines and committed with them."""
LEXICON = "lexicon.yaml"
"""The library's pronunciation lexicon, beside the routines (see :mod:`matcast.routine.lexicon`)."""
NOT_ROUTINES = frozenset({Path(LIBRARY_CONFIG).stem, Path(PUBLISHED).stem, Path(LEXICON).stem})
"""YAML files in the library folder that are not routines (the library's config, history and
pronunciation lexicon)."""


LOOKUP_ORDER = ("--library DIR, else $MATCAST_LIBRARY, else ./routines (when it holds routine "
                "files), else the library that comes with matcast")
"""Where a command looks for the routine library (said in --help and the README)."""


def default_library() -> Path:
    """The routine library when ``--library`` is not given: $MATCAST_LIBRARY, else ./routines if it
    holds routine files, else the library that comes with matcast (the source checkout's
    ``routines/`` for an editable install, else the copy inside the package)."""
    env = os.environ.get(LIBRARY_ENV)
    if env:
        return Path(env)
    here = Path("routines")
    if here.is_dir() and any(here.glob("*.yaml")):
        return here
    return shipped_library() or here


def shipped_library() -> Path | None:
    """The library that comes with matcast: the source checkout's, else the bundled one."""
    package = Path(__file__).resolve().parents[1]  # src/matcast
    for candidate in (package.parents[1] / "routines", package / "_routines"):
        if candidate.is_dir():
            return candidate
    return None


def library_hint() -> str:
    """Where routine libraries are, for a message about a folder that is not one."""
    shipped = shipped_library()
    return ("a library is a folder of routine .yaml files, with their poses in poses/; choose "
            f"one with --library DIR or ${LIBRARY_ENV}"
            + (f" (matcast's own is {shipped})" if shipped else ""))


def routine_paths(library: Path) -> list[Path]:
    """Every routine file of a library folder, sorted by name."""
    if not library.is_dir():
        what = "is a file, not a folder" if library.exists() else "does not exist"
        raise UsageError(f"the routine library {library} {what}\n    hint: {library_hint()}")
    return sorted(p for p in library.glob("*.yaml") if p.stem not in NOT_ROUTINES)


def in_library_order(paths: Sequence[Path], order: Sequence[str]) -> list[Path]:
    """Routine files in the library's order: those ``order`` (library.yaml's ``order``) names,
    as it lists them, then the others by name."""
    rank = {name: i for i, name in enumerate(order)}
    return sorted(paths, key=lambda p: (rank.get(p.stem, len(rank)), p.name))
def no_routines(library: Path) -> UsageError:
    """The error for a library folder without a single routine file."""
    return UsageError(f"the routine library {library} has no routines (no .yaml routine files "
                      f"in it)\n    hint: {library_hint()}")


def resolve_routine(name: str, library: Path | None = None) -> Path:
    """A routine file from a name (``post-run``) or a path (``my/routine.yaml``)."""
    as_path = Path(name)
    if as_path.suffix in (".yaml", ".yml") or os.sep in name or "/" in name:
        if not as_path.is_file():
            raise UsageError(f"no routine file at {as_path}")
        return as_path
    library = library or default_library()
    path = library / f"{name}.yaml"
    if path.is_file():
        return path
    known = [p.stem for p in routine_paths(library)]
    if not known:
        error = no_routines(library)
        raise UsageError(f"no routine named {name!r}: {error}")
    close = difflib.get_close_matches(name, known, n=3)
    hint = f"did you mean {', '.join(close)}?" if close else f"known: {', '.join(known)}"
    raise UsageError(f"no routine named {name!r} in {library} ({hint})")


def shown_path(path: Path) -> str:
    """``path`` as a summary line shows it: relative to the working folder when inside it, else
    absolute, so a user sees which library a command used."""
    full = path.absolute()
    try:
        return str(full.relative_to(Path.cwd()))
    except ValueError:
        return str(full)


def lexicon_path(library: Path) -> Path | None:
    """The pronunciation lexicon a library's routines are spoken with: the library's own
    ``lexicon.yaml``, else the one that comes with matcast, else none."""
    for folder in (library, shipped_library()):
        if folder is not None and (folder / LEXICON).is_file():
            return folder / LEXICON
    return None
