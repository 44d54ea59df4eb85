"""One line spoken to a WAV file, with the library's pronunciation lexicon: ``matcast say``.

For a routine writer who wants to hear a word (or check how eSpeak NG reads a respelling) before
a whole build. The line goes through exactly what a build does to a spoken line: the lexicon of
the library, then the engine at its calibrated rate; only the loudness levelling and the cache
are left out.
"""

from __future__ import annotations

import io
import wave
from contextlib import closing
from dataclasses import dataclass
from pathlib import Path

from matcast.cues import SAMPLE_RATE
from matcast.errors import UsageError
from matcast.fs.atomic import make_folder, write_atomic
from matcast.routine.lexicon import lexicon_for
from matcast.voice.default import default_engine
from matcast.voice.engine import speakable_text
from matcast.voice.registry import get_engine

MAX_CHARS = 1000
"""Longest line ``say`` speaks: a paragraph; a routine's lines are far shorter."""

PIPER_ESPEAK_VOICE = "en-us"
"""The eSpeak NG voice Piper's default voice (joe) phonemizes with, for ``--phonemes``."""


@dataclass(frozen=True)
class Said:
    """What ``say`` did."""

    engine: str
    voice: str
    rate: int
    spoken: str
    """The line as the engine was given it (after the lexicon)."""
    seconds: float
    """Length of the written clip (0 when only phonemes were asked for)."""


def spoken_line(text: str, engine: str, library: Path) -> str:
    """``text`` as ``engine`` is given it: checked, then respelled by the library's lexicon."""
    plain = speakable_text(text)
    if not plain:
        raise UsageError("TEXT has no words to speak\n    hint: matcast say \"Vrksasana\"")
    if len(plain) > MAX_CHARS:
        raise UsageError(f"TEXT is {len(plain)} characters; say speaks up to {MAX_CHARS}"
                         "\n    hint: say one line at a time")
    return lexicon_for(library).apply(plain, engine)


def espeak_voice(engine: str, voice: str) -> str:
    """The eSpeak NG voice whose reading ``engine`` with ``voice`` follows."""
    return voice if engine == "pyttsx3" else PIPER_ESPEAK_VOICE


def say(text: str, out: Path | None, engine_name: str | None, voice: str | None,
        rate: int | None, library: Path) -> Said:
    """Speak ``text`` into the WAV ``out`` (written atomically); with ``out`` None, only check
    the voice and rate and return what would be spoken."""
    name = engine_name or default_engine()
    spoken = spoken_line(text, name, library)
    if out is not None and out.is_dir():
        raise UsageError(f"-o {out} is a folder; give the WAV file to write, e.g. -o say.wav")
    with closing(get_engine(name)) as engine:
        voice_id, wpm = engine.check(voice, rate)
        if out is None:
            return Said(name, voice_id, wpm, spoken, 0.0)
        samples = engine.render([spoken], voice_id, wpm)[spoken]
    buffer = io.BytesIO()
    with wave.open(buffer, "wb") as w:
        w.setnchannels(1)
        w.setsampwidth(2)
        w.setframerate(SAMPLE_RATE)
        w.writeframes(samples.astype("<i2").tobytes())
    make_folder(out.parent if str(out.parent) else Path("."))
    write_atomic(out, buffer.getvalue())
    return Said(name, voice_id, wpm, spoken, samples.size / SAMPLE_RATE)
