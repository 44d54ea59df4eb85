"""The writers' contract: the rendered :class:`Episode` and the :class:`Writer` protocol.

Each writer is a small object with a file suffix and a ``write(episode, path)`` method; the build
hands each one a temp path and renames it into place, so a writer never deals with atomicity.
"""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path
from typing import TYPE_CHECKING, Protocol

if TYPE_CHECKING:
    from matcast.audio.stream import PcmSource
    from matcast.audio.tags import EpisodeTags
    from matcast.cues import CueScript


@dataclass(frozen=True)
class Episode:
    """A rendered session, ready to be written out."""

    slug: str
    """Base name of every output file."""
    script: CueScript
    """The cue script with the measured timings of the audio."""
    pcm: PcmSource
    """The session audio: int16 mono at the cue script's sample rate, produced block by block
    (:class:`~matcast.audio.stream.ArrayPcm` wraps samples already in memory)."""
    tags: EpisodeTags
    """ID3 metadata for the MP3."""
    bitrate: str = "96k"
    """MP3 bit rate, ffmpeg style."""
    channels: int = 1
    """1 for mono, 2 for stereo (the same audio on both channels)."""


class Writer(Protocol):
    """Writes one output file of an episode."""

    suffix: str
    """Appended to the slug to name the file, e.g. ``.mp3``."""

    def write(self, episode: Episode, path: Path) -> None:
        """Write the whole file at ``path`` (a temp file the caller renames)."""
        ...

