"""The limits of every number a user can give matcast, in one place.

The command line, the routine and library files and the speech engines all check against these,
and the CLI's help and error messages are written from them, so the three never disagree. This
module imports nothing: the CLI reads it before it knows whether there is any work to do.
"""

from __future__ import annotations

RATE_MIN = 95
"""Slowest speaking rate accepted, in real words per minute while speaking (see
matcast.voice.pace): eSpeak NG's slowest rate setting (80) speaks about 95."""
RATE_MAX = 220
"""Fastest speaking rate accepted, in real words per minute while speaking: brisk conversation;
past it a guided session is a blur."""
DEFAULT_RATE = 135
"""Speaking rate of every engine when none is chosen, in real words per minute while speaking:
guided yoga is usually spoken at 120 to 145."""

MIN_MINUTES = 1.0
"""Shortest session --minutes accepts: under a minute there is no room for even one pose (each
routine then states the range it can really be fitted to)."""
MAX_MINUTES = 240.0
"""Longest session built without --allow-long: longer is almost surely a mistake."""
LONG_MAX_MINUTES = 720.0
"""Longest session built even with --allow-long (12 hours of audio is ~3.8 GB of samples)."""

BED_LEVEL_MIN = -40
"""Quietest background bed, in dB relative to the default level: at -40 it is inaudible."""
BED_LEVEL_MAX = 6
"""Loudest background bed, in dB relative to the default level: louder, it competes with the
voice in every silence and the session's loudness reading starts to follow the bed."""

JOBS_MAX = 64
"""Most episodes ``build --all`` renders at once. Each worker holds a whole session in memory
(about 1 GB for an hour), so more than the machine's cores only costs memory."""

MP3_BITRATES = (32, 40, 48, 56, 64, 80, 96, 112, 128, 160, 192, 224, 256, 320)
"""The bit rates (kbit/s) an MP3 at 44.1 kHz can have; the encoder silently rounds any other."""
DEFAULT_BITRATE = "96k"


def minutes_range(allow_long: bool) -> str:
    """The accepted --minutes, in words, for the message of a value outside it."""
    if allow_long:
        return f"from {MIN_MINUTES:g} to {LONG_MAX_MINUTES:g} minutes with --allow-long"
    return (f"from {MIN_MINUTES:g} to {MAX_MINUTES:g} minutes "
            f"(up to {LONG_MAX_MINUTES:g} with --allow-long)")
