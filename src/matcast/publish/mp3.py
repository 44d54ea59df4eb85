"""``<slug>.mp3``: the session streamed into ffmpeg block by block, then tagged (ID3v2.3,
cover, chapters)."""

from __future__ import annotations

from pathlib import Path

from matcast.audio.ffmpeg import encode_mp3
from matcast.audio.tags import write_tags
from matcast.cues import SAMPLE_RATE
from matcast.publish.writer import Episode


class Mp3Writer:
    suffix = ".mp3"

    def write(self, episode: Episode, path: Path) -> None:
        encode_mp3(episode.pcm.blocks(), SAMPLE_RATE, path, bitrate=episode.bitrate,
                   channels=episode.channels)
        write_tags(path, episode.tags, episode.script.chapters, episode.script.duration)
