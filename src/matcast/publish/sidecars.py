"""The text sidecars of an episode: the cue script as JSON and the spoken lines as WebVTT."""

from __future__ import annotations

import json
from pathlib import Path

from matcast.cues import SAMPLE_RATE, CueScript, EventKind
from matcast.publish.writer import Episode


class CuesJsonWriter:
    """``<slug>.cues.json``: the cue script with the final, measured timestamps."""

    suffix = ".cues.json"

    def write(self, episode: Episode, path: Path) -> None:
        text = json.dumps(episode.script.to_dict(), indent=2, ensure_ascii=False) + "\n"
        path.write_text(text, encoding="utf-8")


def vtt_timestamp(samples: int) -> str:
    """Samples as a WebVTT timestamp, hh:mm:ss.mmm."""
    ms = round(samples * 1000 / SAMPLE_RATE)
    hours, rest = divmod(ms, 3_600_000)
    minutes, rest = divmod(rest, 60_000)
    seconds, millis = divmod(rest, 1000)
    return f"{hours:02d}:{minutes:02d}:{seconds:02d}.{millis:03d}"


def vtt_escape(text: str) -> str:
    """Cue text as WebVTT wants it: &, < and > escaped, no blank lines, no arrow."""
    text = text.replace("&", "&amp;").replace("<", "&lt;").replace(">", "&gt;")
    return " ".join(text.split())


def webvtt(script: CueScript) -> str:
    """WebVTT captions: one cue per spoken event, at its time in the audio.

    The signature line is followed by a blank line, as the spec's file structure requires: a
    ``NOTE`` (or anything else) straight after ``WEBVTT`` is a header the W3C validator rejects.
    """
    lines = ["WEBVTT", "", f"NOTE {vtt_escape(script.title)}", ""]
    number = 0
    for event in script.events:
        if event.kind is not EventKind.speech or not event.text:
            continue
        number += 1
        lines += [str(number), f"{vtt_timestamp(event.start)} --> {vtt_timestamp(event.end)}",
                  vtt_escape(event.text), ""]
    return "\n".join(lines)


class WebVttWriter:
    """``<slug>.vtt``: captions for players and a transcript for podcast apps."""

    suffix = ".vtt"

    def write(self, episode: Episode, path: Path) -> None:
        path.write_text(webvtt(episode.script), encoding="utf-8")
