"""Files a routine or a library config names (covers, images, sound beds): inside the library,
existing, and of the right kind.
"""

from __future__ import annotations

import difflib
from pathlib import Path

from matcast.errors import Problem
from matcast.fs.regular import NotRegular, check_regular
from matcast.routine.enums import AUDIO_SUFFIXES, BED_NAMES
from matcast.routine.model import Sound
from matcast.routine.yamlsrc import KeyPath, YamlDoc

IMAGE_MAGIC = {b"\x89PNG\r\n\x1a\n": "image/png", b"\xff\xd8\xff": "image/jpeg"}
"""Leading bytes of the cover formats podcast apps take, and their MIME types."""


def image_mime(data: bytes) -> str | None:
    """image/png or image/jpeg from a file's first bytes, else None."""
    return next((mime for magic, mime in IMAGE_MAGIC.items() if data.startswith(magic)), None)


def inside(path: Path, folder: Path) -> bool:
    """Whether ``path``, links followed, lies inside ``folder``."""
    return path.resolve().is_relative_to(folder.resolve())


def library_file(base: Path, name: str, doc: YamlDoc, key: KeyPath, what: str
                  ) -> tuple[Path | None, Problem | None]:
    """A file a routine or library config names: relative to it, inside its folder, existing."""
    candidate = (base / name).resolve()
    if Path(name).is_absolute() or not inside(candidate, base):
        return None, doc.problem(key, f"{what} {name!r} is outside the routine library",
                                 f"put the file in the library folder and name it relative "
                                 f"to {doc.path.name}")
    if not candidate.exists():
        return None, doc.problem(key, f"no {what} at {candidate}")
    try:
        check_regular(candidate)
    except NotRegular as exc:
        return None, doc.problem(key, f"{what} {exc}", "name a regular file")
    except OSError as exc:
        return None, doc.problem(key, f"{what} {candidate} cannot be read: {exc.strerror}")
    return candidate, None


COVER_PIXELS = (300, 3000)
"""Smallest and largest side of a cover, in pixels: podcast apps show 1400 to 3000, and a cover
is copied into every episode's MP3."""
MAX_COVER_BYTES = 10_000_000
"""Largest cover file, in bytes."""


def image_problem(path: Path) -> str | None:
    """Why ``path`` cannot be a cover (not a whole PNG or JPEG, not square, too small or too
    big), or None. The size is read from the header, so a huge image is never decoded."""
    import warnings

    from PIL import Image

    try:
        size = path.stat().st_size
        # Only the signature is needed: a regular file (never a FIFO) opens and reads at once.
        check_regular(path)
        with open(path, "rb") as handle:
            head = handle.read(8)
    except NotRegular as exc:
        return str(exc).removeprefix(f"{path} ")
    except OSError as exc:
        return f"cannot be read: {exc.strerror}"
    if size > MAX_COVER_BYTES:
        return f"is {size:,} bytes; a cover may be at most {MAX_COVER_BYTES:,}"
    if image_mime(head) is None:
        return "is not a PNG or JPEG image"
    low, high = COVER_PIXELS
    try:
        with warnings.catch_warnings():
            warnings.simplefilter("ignore", Image.DecompressionBombWarning)
            with Image.open(path) as image:
                width, height = image.size
                if width != height:
                    return f"is {width}x{height} pixels; a cover must be square"
                if not low <= width <= high:
                    return (f"is {width}x{height} pixels; a cover is {low} to {high} pixels "
                            "square")
                image.verify()
            with Image.open(path) as image:
                image.load()
    except Image.DecompressionBombError:
        return (f"is an image of more than {2 * (Image.MAX_IMAGE_PIXELS or 0):,} pixels; a "
                f"cover is {low} to {high} pixels square")
    except (OSError, SyntaxError, ValueError, EOFError):
        return "is not a whole PNG or JPEG image (its data is damaged or cut short)"
    return None


def image_file(base: Path, name: str, doc: YamlDoc, key: KeyPath, what: str
               ) -> tuple[Path | None, Problem | None]:
    """A cover or show image a file names: inside the library, a square PNG or JPEG."""
    candidate, problem = library_file(base, name, doc, key, what)
    if candidate is None:
        return None, problem
    reason = image_problem(candidate)
    if reason is not None:
        return None, doc.problem(key, f"{what} {name!r} {reason}",
                                 f"use a square PNG or JPEG of {COVER_PIXELS[0]} to "
                                 f"{COVER_PIXELS[1]} pixels (podcast apps show 1400 to 3000)")
    return candidate, None


def cover_path(routine_path: Path, name: str, doc: YamlDoc) -> tuple[Path | None, Problem | None]:
    """The cover file a routine names: inside the library folder, a square PNG or JPEG."""
    return image_file(routine_path.parent, name, doc, ("cover",), "cover image")


def link_out(path: Path, folder: Path) -> Path | None:
    """Where ``path`` really is, when links take it outside ``folder``; else None."""
    real = path.resolve()
    return None if real.is_relative_to(folder.resolve()) else real


def library_link(library: Path) -> Problem | None:
    """A library folder that is a link out of the folder it sits in.

    Everything matcast reads from a library stays inside it. A library folder that is itself a
    link to somewhere else would make "inside" mean wherever the link points.
    """
    if library.is_symlink() and (real := link_out(library, library.parent)) is not None:
        return Problem(library, None, None, "",
                       f"the library folder is a link to {real}, outside "
                       f"{library.parent.resolve()}",
                       f"name the folder itself ({real}) instead of the link")
    return None


def poses_link(library: Path) -> Problem | None:
    """A ``poses`` folder that is a link out of its library."""
    poses = library / "poses"
    if poses.is_symlink() and (real := link_out(poses, library)) is not None:
        return Problem(poses, None, None, "",
                       f"the poses folder is a link to {real}, outside the library",
                       "copy the pose files into the library's own poses folder")
    return None


def file_link(path: Path, library: Path, what: str) -> Problem | None:
    """A file of the library that is a link out of it."""
    if path.is_symlink() and (real := link_out(path, library)) is not None:
        return Problem(path, None, None, "", f"the {what} is a link to {real}, outside the "
                       "library", "copy the file into the library instead of linking to it")
    return None




def bed_file(base: Path, sound: Sound | None, doc: YamlDoc, key: KeyPath = ("sound", "bed")
             ) -> tuple[Path | None, Problem | None]:
    """The bed file a ``sound`` section names (None for rain, ocean, none or no bed)."""
    if sound is None or sound.bed is None or sound.bed in BED_NAMES:
        return None, None
    if Path(sound.bed).suffix.lower() not in AUDIO_SUFFIXES:
        close = difflib.get_close_matches(sound.bed, BED_NAMES, n=1)
        hint = (f"did you mean {close[0]!r}?" if close
                else f"rain, ocean, none, or an audio file ({', '.join(AUDIO_SUFFIXES)})")
        return None, doc.problem(key, f"bed {sound.bed!r} is neither a generated bed nor an "
                                 "audio file", hint)
    return library_file(base, sound.bed, doc, key, "bed file")
