"""Files a routine or a library config names (covers, images, sound beds): inside the library,
existing, and of the right kind.
"""

from __future__ import annotations

import difflib
from pathlib import Path

from matcast.errors import Problem
from matcast.routine.model import BED_NAMES, Sound
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
    if not candidate.is_file():
        return None, doc.problem(key, f"no {what} at {candidate}")
    return candidate, None


def cover_path(routine_path: Path, name: str, doc: YamlDoc) -> tuple[Path | None, Problem | None]:
    """The cover file a routine names: inside the library folder, an existing PNG or JPEG."""
    candidate, problem = library_file(routine_path.parent, name, doc, ("cover",), "cover image")
    if candidate is None:
        return None, problem
    with open(candidate, "rb") as handle:
        head = handle.read(8)
    if image_mime(head) is None:
        return None, doc.problem(("cover",), f"cover {name!r} is not a PNG or JPEG image")
    return candidate, None


AUDIO_SUFFIXES = (".wav", ".mp3", ".flac", ".ogg", ".m4a")
"""Sound-bed files matcast decodes with ffmpeg."""


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
