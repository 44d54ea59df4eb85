"""Which voice and which sounds a build uses: the command line, else the routine, else the library.

A voice is an engine with a voice and a rate. A voice or rate set at one level applies only if
that level's engine (or no engine at all) matches the engine in force, so ``--engine piper`` on
the command line never inherits an eSpeak voice id from a routine.
"""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path

from matcast.errors import UsageError
from matcast.routine.enums import AUDIO_SUFFIXES, BED_NAMES
from matcast.routine.loader import LoadedRoutine
from matcast.routine.model import Sound, VoiceChoice
from matcast.voice.default import default_engine


@dataclass(frozen=True)
class Voice:
    """The speech settings in force for one routine."""

    engine: str
    voice: str | None
    """None: the engine's default voice."""
    rate: int | None
    """None: the engine's default rate."""


@dataclass(frozen=True)
class Bed:
    """A background bed to mix under a session."""

    kind: str
    """rain or ocean (generated), or "file"."""
    path: Path | None
    """The audio file, for kind "file"."""
    level_db: float
    """Relative to the default bed level."""


def choose_voice(cli: VoiceChoice, loaded: LoadedRoutine) -> Voice:
    """The engine, voice and rate for ``loaded``."""
    layers = [cli, loaded.routine.voice, loaded.config.voice if loaded.config else None]
    present = [layer for layer in layers if layer is not None]
    engine = next((layer.engine for layer in present if layer.engine),
                  default_engine())
    same = [layer for layer in present if layer.engine in (None, engine)]
    voice = next((layer.voice for layer in same if layer.voice is not None), None)
    rate = next((layer.rate for layer in same if layer.rate is not None), None)
    return Voice(engine, voice, rate)


def choose_bed(cli_bed: str | None, cli_level: float | None, loaded: LoadedRoutine
               ) -> Bed | None:
    """The bed for ``loaded``, or None for none."""
    config = loaded.config
    layers: list[tuple[Sound | None, Path | None]] = [
        (loaded.routine.sound, loaded.path.parent),
        (config.sound if config else None, loaded.path.parent),
    ]
    level = cli_level
    if level is None:
        level = next((s.bed_level for s, _ in layers if s and s.bed_level is not None), 0.0)
    if cli_bed is not None:
        return _bed(cli_bed, Path.cwd(), level, from_cli=True)
    for sound, base in layers:
        if sound is not None and sound.bed is not None:
            return _bed(sound.bed, base or Path.cwd(), level, from_cli=False)
    return None


def _bed(name: str, base: Path, level: float, from_cli: bool) -> Bed | None:
    if name == "none":
        return None
    if name in BED_NAMES:
        return Bed(name, None, level)
    path = (base / name) if not Path(name).is_absolute() else Path(name)
    if from_cli and (not path.is_file() or path.suffix.lower() not in AUDIO_SUFFIXES):
        raise UsageError(f"--bed must be {', '.join(BED_NAMES)} or an audio file "
                         f"({', '.join(AUDIO_SUFFIXES)}); {name!r} is neither")
    return Bed("file", path.resolve(), level)
