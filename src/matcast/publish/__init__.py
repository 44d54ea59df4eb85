"""Writers of a built session's files (the MP3, the cue-script JSON, the WebVTT captions and the
Podcasting 2.0 chapters JSON), and the library's show notes, feed and page (:mod:`.library`).

A new writer implements :class:`~matcast.publish.writer.Writer` in a module of its own and joins
:func:`default_writers`.
"""

from __future__ import annotations

from collections.abc import Sequence

from matcast.publish.writer import Episode, Writer


def default_writers() -> Sequence[Writer]:
    """The files every build writes, in the order they are written."""
    from matcast.publish.chapters import ChaptersJsonWriter
    from matcast.publish.mp3 import Mp3Writer
    from matcast.publish.sidecars import CuesJsonWriter, WebVttWriter

    return (Mp3Writer(), CuesJsonWriter(), WebVttWriter(), ChaptersJsonWriter())


__all__ = ["Episode", "Writer", "default_writers"]
