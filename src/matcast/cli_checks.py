"""Checking command-line values before any work: numbers in bounds, accepted words, usable paths.

The parsers are handed to typer (``parser=``) and run while the command line is read, so a bad
value stops the command before it loads a routine, starts an engine or writes a file. (Typer
passes an option's default through its parser too, so each takes a typed default as well as
text.) They raise :class:`~matcast.errors.UsageError` in matcast's own words (the option, what
was wrong, what is accepted), which the CLI prints like every other error: exit code 2, no
traceback. The folder checks run in the command once everything else is known to be good, and
create the folder.
"""

from __future__ import annotations

import contextlib
import difflib
import errno
import math
import os
from collections.abc import Callable, Iterator
from dataclasses import dataclass
from enum import Enum
from pathlib import Path
from typing import TypeVar

from matcast import bounds
from matcast.errors import MatcastError, OutputError, UsageError
from matcast.routine.enums import AUDIO_SUFFIXES, BED_NAMES

E = TypeVar("E", bound=Enum)

_DISK_FAILURES = frozenset({errno.ENOSPC, errno.EIO, errno.EDQUOT})
"""Errors of a failing disk rather than of a badly chosen folder: exit code 1, not 2."""


@dataclass(frozen=True)
class Bound:
    """A number an option accepts: its range, in the words the error and the help use."""

    option: str
    low: float
    high: float
    rule: str
    """What is accepted, e.g. "a whole number of words per minute from 80 to 400"."""
    whole: bool = False

    def __call__(self, raw: object) -> float:
        text = str(raw).strip()
        try:
            value = int(text) if self.whole else float(text)
        except ValueError:
            raise self.refuse(repr(str(raw))) from None
        if not (math.isfinite(value) and self.low <= value <= self.high):
            raise self.refuse(text)
        return value

    def refuse(self, shown: str) -> UsageError:
        return UsageError(f"{self.option} must be {self.rule}; got {shown}")


RATE = Bound("--rate", bounds.RATE_MIN, bounds.RATE_MAX, whole=True,
             rule=f"a whole number of words per minute from {bounds.RATE_MIN} to "
                  f"{bounds.RATE_MAX} (default: {bounds.DEFAULT_RATE})")
MINUTES = Bound("--minutes", bounds.MIN_MINUTES, bounds.LONG_MAX_MINUTES,
                rule=bounds.minutes_range(allow_long=False))
BED_LEVEL = Bound("--bed-level", bounds.BED_LEVEL_MIN, bounds.BED_LEVEL_MAX,
                  rule=f"a level in dB from {bounds.BED_LEVEL_MIN:g} to "
                       f"{bounds.BED_LEVEL_MAX:g} (default: 0, the bed's usual level)")
JOBS = Bound("--jobs", 1, bounds.JOBS_MAX, whole=True,
             rule=f"a whole number of processes from 1 to {bounds.JOBS_MAX} "
                  "(default: the number of cores)")


def words(values: list[str], last: str = "or") -> str:
    """``a, b or c``."""
    return values[0] if len(values) == 1 else f"{', '.join(values[:-1])} {last} {values[-1]}"


def _choice_error(option: str, raw: str, accepted: list[str], default: str | None = None
                  ) -> UsageError:
    rule = words(accepted) if len(accepted) <= 2 else f"one of {', '.join(accepted)}"
    close = difflib.get_close_matches(raw.casefold(), accepted, n=1, cutoff=0.6)
    tail = f" (default: {default})" if default else ""
    hint = f"; did you mean {close[0]}?" if close else ""
    return UsageError(f"{option} must be {rule}{tail}; got {raw!r}{hint}")


def one_of(option: str, kind: type[E], default: E | None = None) -> Callable[[str], E]:
    """A parser accepting the values of ``kind`` (in any case)."""
    by_value = {str(member.value): member for member in kind}

    def parse(raw: object) -> E:
        text = str(raw)
        member = by_value.get(text.strip().casefold())
        if member is None:
            raise _choice_error(option, text, list(by_value),
                                str(default.value) if default is not None else None)
        return member
    return parse


def bitrate(raw: object) -> str:
    """An MP3 bit rate as ffmpeg takes it (``96k``); 96 and 96K are read as 96k."""
    digits = str(raw).strip().lower().removesuffix("k")
    if digits.isdigit() and int(digits) in bounds.MP3_BITRATES:
        return f"{int(digits)}k"
    accepted = ", ".join(f"{b}k" for b in bounds.MP3_BITRATES)
    raise UsageError(f"--bitrate must be one of the MP3 bit rates {accepted} "
                     f"(default: {bounds.DEFAULT_BITRATE}); got {str(raw)!r}")


def engine(raw: object) -> str:
    """A registered speech engine's name."""
    from matcast.voice.registry import engine_names

    name = str(raw).strip()
    if name not in engine_names():
        raise _choice_error("--engine", str(raw), engine_names())
    return name


def path(option: str) -> Callable[[str], Path]:
    """A parser for a path option: anything but blank (what the path must be is checked where it
    is used, naming the path)."""
    def parse(raw: object) -> Path:
        if isinstance(raw, Path):
            return raw
        if not str(raw).strip():
            raise UsageError(f"{option} must name a path; got an empty value")
        return Path(str(raw)).expanduser()
    return parse


def location(option: str) -> Callable[[str], str]:
    """A parser for a folder that may also be an fsspec URL (``s3://bucket/cache``): the path
    (a plain path or a ``file://`` URL's, user expanded) or the URL, as text that
    :func:`matcast.fs.store.as_location` turns into a Path or keeps as a URL."""
    from matcast.fs.store import as_location

    plain = path(option)

    def parse(raw: object) -> str:
        if isinstance(raw, Path):
            return str(raw)
        plain(raw)  # refuses a blank value
        return str(as_location(str(raw).strip()))
    return parse


def cluster(raw: object) -> str:
    """A Dask scheduler address: tcp://HOST:PORT (or tls://), the port 1 to 65535."""
    from urllib.parse import urlsplit

    text = str(raw).strip()
    hint = "give the scheduler's address, e.g. --cluster tcp://10.0.0.5:8786"
    try:
        parts = urlsplit(text)
        port = parts.port
    except ValueError as exc:
        raise UsageError(f"--cluster {text!r}: {exc}; {hint}") from None
    if parts.scheme not in ("tcp", "tls") or not parts.hostname:
        raise UsageError(f"--cluster {text!r} is not a scheduler address; {hint}")
    if parts.path not in ("", "/") or parts.query or parts.fragment:
        raise UsageError(f"--cluster {text!r}: an address has no path or query; {hint}")
    if port == 0:
        raise UsageError(f"--cluster {text!r}: the port must be 1 to 65535; {hint}")
    return f"{parts.scheme}://{parts.netloc}" + ("" if port else ":8786")


def voice(raw: object) -> str:
    """A voice id or path: anything but blank (the engine checks the rest before any work)."""
    if not str(raw).strip():
        raise UsageError("--voice must name a voice (see: matcast voices); got an empty value")
    return str(raw)


def bed(value: object) -> str:
    """rain, ocean, none, or an existing audio file (checked here, decoded before any work)."""
    raw = str(value)
    if raw in BED_NAMES:
        return raw
    kinds = words([s[1:].upper() for s in AUDIO_SUFFIXES])
    accepted = f"rain, ocean, none, or a {kinds} file"
    path = Path(raw).expanduser()
    if path.suffix.lower() not in AUDIO_SUFFIXES and not path.exists():
        close = difflib.get_close_matches(raw, BED_NAMES, n=1)
        hint = f" (did you mean {close[0]}?)" if close else ""
        raise UsageError(f"--bed must be {accepted}; got {raw!r}{hint}")
    if not path.exists():
        problem = "no such file"
    elif path.is_dir():
        problem = "it is a folder"
    elif path.suffix.lower() not in AUDIO_SUFFIXES:
        problem = f"not a {kinds} file"
    elif not os.access(path, os.R_OK):
        problem = "the file cannot be read (permission denied)"
    else:
        return str(path)
    raise UsageError(f"--bed {raw}: {problem}; --bed takes {accepted}")


def library_choices(library: Path, routines: list[str], engine: str | None, voice: str | None,
                    rate: int | None, bed: object, bed_level: object) -> None:
    """For ``build --all``: refuse a bad --engine, --voice or --rate, or a bed file that cannot
    be looped, once, rather than let every episode fail on it (only when one was given: the
    routines' own choices are each episode's business)."""
    given_bed = isinstance(bed, str) and bed not in BED_NAMES
    if engine is None and voice is None and rate is None and not given_bed:
        return
    from matcast.build.session import Builder, BuildOptions
    from matcast.routine.loader import load_routine

    options = BuildOptions(engine=engine, voice=voice, rate=rate,
                           bed=bed if given_bed else None,
                           bed_level=bed_level if isinstance(bed_level, float) else None)
    with Builder(options) as builder:
        for name in dict.fromkeys(routines):
            try:
                loaded = load_routine(library / name)
            except MatcastError:
                continue  # its episodes fail with the routine's own problems
            builder.prepare(loaded)


# --- folders -------------------------------------------------------------------------------------


@dataclass(frozen=True)
class Folder:
    """A folder a command writes in, and how to name it in an error."""

    path: Path
    what: str
    """What it is for the user, e.g. "output folder"."""
    option: str | None
    """The option (or variable) that chose it; None for a default, whose failure is then the
    machine's (exit code 1) and ``default_hint`` says how to choose another."""
    default_hint: str = ""

    @property
    def named(self) -> str:
        return f"the {self.what} {self.path}" + (f" ({self.option})" if self.option else "")


def usable_folders(*folders: Folder) -> list[Path]:
    """Make sure each folder is one matcast can write in, creating it if needed; if one is not,
    remove the folders this call created before raising (nothing is left behind). Returns the
    folders it created, for :func:`remove_unused`.

    A path that is, or runs through, a file, or that cannot be created or written in for any
    reason but a failing disk, is a bad option: exit code 2.
    """
    created: list[Path] = []
    try:
        for folder in folders:
            blocker = _file_in_the_way(folder.path)
            if blocker is not None:
                where = ("is a file" if blocker == folder.path
                         else f"cannot be made: {blocker} is a file")
                raise _folder_error(f"{folder.named} {where}, not a folder", folder, None)
        for folder in folders:
            created += _make(folder)
    except MatcastError:
        remove_unused(created)
        raise
    return created


@contextlib.contextmanager
def removed_if_unused(created: list[Path]) -> Iterator[None]:
    """On an error in the block, :func:`remove_unused` the folders the command created."""
    try:
        yield
    except BaseException:
        remove_unused(created)
        raise


def remove_unused(created: list[Path]) -> None:
    """Remove folders a refused command created, if it left nothing in them (deepest first; the
    build lock adds no file, and ``rmdir`` leaves a folder that holds anything)."""
    for path in sorted(created, key=lambda p: len(p.parts), reverse=True):
        with contextlib.suppress(OSError):
            path.rmdir()


def _make(folder: Folder) -> list[Path]:
    """Create ``folder`` and prove a file can be written in it; the folders it created."""
    path = folder.path
    missing = []
    for candidate in (path, *path.parents):
        if os.path.lexists(candidate):
            break
        missing.append(candidate)
    try:
        path.mkdir(parents=True, exist_ok=True)
    except OSError as exc:
        raise _folder_error(f"cannot create {folder.named}: {_reason(exc, path)}", folder,
                            exc) from None
    probe = path / f".matcast-probe.{os.getpid()}"
    try:
        probe.write_bytes(b"")
        probe.unlink()
    except OSError as exc:
        for made in missing:
            with contextlib.suppress(OSError):
                made.rmdir()
        raise _folder_error(f"cannot write in {folder.named}: {_reason(exc, path)}", folder,
                            exc) from None
    return missing[::-1]


def output_folder(path: Path) -> Folder:
    return Folder(path, "output folder", "-o")


def cache_folder(cache_dir: Path | None) -> Folder:
    """The speech cache folder: ``--cache-dir``, else $MATCAST_CACHE_DIR's, else the user's."""
    if cache_dir is not None:
        return Folder(cache_dir, "speech cache folder", "--cache-dir")
    from matcast.voice.cache import CACHE_DIR_ENV, default_cache_dir

    source = f"${CACHE_DIR_ENV}" if os.environ.get(CACHE_DIR_ENV) else None
    return Folder(default_cache_dir(), "speech cache folder", source,
                  "choose another with --cache-dir DIR")


def _file_in_the_way(path: Path) -> Path | None:
    """``path`` or the nearest existing folder above it, if that is not a folder."""
    for candidate in (path, *path.parents):
        if os.path.lexists(candidate):
            return None if candidate.is_dir() else candidate
    return None


def _reason(exc: OSError, path: Path) -> str:
    if exc.errno in (errno.EACCES, errno.EPERM):
        return "permission denied"
    if exc.errno == errno.EROFS:
        return "the file system is read-only"
    if exc.errno == errno.ENOENT:
        # The folders above exist (else _file_in_the_way or mkdir's parents would say), so the
        # file system itself refuses new entries, as /proc and /sys do.
        parent = next((p for p in path.parents if p.is_dir()), path.parent)
        return f"{parent} does not accept new folders"
    return exc.strerror or str(exc)


def _folder_error(message: str, folder: Folder, exc: OSError | None) -> MatcastError:
    if exc is not None and exc.errno in _DISK_FAILURES:
        return OutputError(message)
    if folder.option is None:
        hint = folder.default_hint
        return OutputError(message + (f"\n    hint: {hint}" if hint else ""))
    return UsageError(message + "; choose another folder")
