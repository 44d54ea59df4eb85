"""The speech worker: a child process that owns pyttsx3 and its native speech library.

Started by :class:`matcast.voice.pyttsx3_engine.Pyttsx3Engine` as a script (``python -P
.../_worker.py``) or as ``python -m matcast.voice._worker``; never by hand. It imports nothing from
matcast, so starting it costs Python, pyttsx3 and the speech library, nothing else. It is a
process of its own because eSpeak calls ``exit()`` when it cannot find its data, is not
thread-safe, and can hang; the parent can kill and restart a worker, not a library.

Protocol: JSON lines. Requests arrive on stdin; replies leave on the process's original stdout,
which this module takes over before pyttsx3 is imported, because pyttsx3 and the native libraries
print on stdout too.

* First line out, once ready: ``{"event": "ready", "protocol": 1, "driver": ..., "library": ...,
  "default_voice": ..., "voices": [{"id", "name", "languages"}, ...]}``.
* In: ``{"op": "render", "id": n, "text": ..., "voice": ..., "rate": ..., "path": ...}``; out:
  ``{"id": n, "ok": true}`` once a 16-bit PCM WAV is at ``path``, else ``{"id": n, "ok": false,
  "error": ...}``.
* stdin closing means: exit with status 0.

Text arrives as plain text (control characters already removed by the parent); this module only
makes sure each platform's engine reads it as text, never as markup.
"""

from __future__ import annotations

import ctypes
import json
import os
import signal
import subprocess
import sys
import traceback
from pathlib import Path
from typing import IO, Any
from xml.sax.saxutils import escape

PROTOCOL = 1


def _take_stdout() -> IO[str]:
    """The protocol channel: a private copy of fd 1. Afterwards fd 1 is stderr, sys.stdout void."""
    channel = os.fdopen(os.dup(1), "w", encoding="utf-8", newline="\n")
    # C libraries write to fd 1 directly: send that to stderr, where the parent keeps a tail for
    # error messages. pyttsx3's own prints ("Audio saved to ...") are noise: drop them.
    os.dup2(2, 1)
    sys.stdout = open(os.devnull, "w", encoding="utf-8")  # noqa: SIM115 - lives as long as we do
    return channel


def _load_bundled_espeak() -> str:
    """Point pyttsx3 at the eSpeak NG that espeakng-loader ships; return a library description."""
    try:
        import espeakng_loader
    except ImportError:
        # Not a Linux wheel platform (e.g. a BSD): pyttsx3 finds a system eSpeak itself.
        return "system eSpeak"
    os.environ["ESPEAK_DATA_PATH"] = espeakng_loader.get_data_path()
    # Loaded globally first so pyttsx3's own lookup of "libespeak-ng.so.1" resolves to this copy.
    ctypes.CDLL(espeakng_loader.get_library_path(), mode=ctypes.RTLD_GLOBAL)
    return "bundled eSpeak NG"


def _plain_text_espeak() -> str:
    """Make every eSpeak synthesis plain text; return the eSpeak version."""
    from pyttsx3.drivers import _espeak

    synth = _espeak.Synth

    def synth_plain(text: bytes | str, *args: Any, flags: int = 0, **kwargs: Any) -> int:
        # pyttsx3 2.99 passes neither flag, but it chooses the flags, not us: with SSML on, "<b>"
        # would be swallowed as a tag; with PHONEMES on, "[[...]]" read as phoneme codes.
        return synth(text, *args, flags=flags & ~(_espeak.SSML | _espeak.PHONEMES), **kwargs)

    _espeak.Synth = synth_plain
    version = _espeak.Info(None)
    return version.decode("ascii", "replace") if version else "unknown"


class _Speaker:
    """One pyttsx3 engine, with voice and rate set only when they change."""

    def __init__(self) -> None:
        source = "native"
        if sys.platform not in ("darwin", "win32"):
            source = _load_bundled_espeak()
        import pyttsx3

        self.engine = pyttsx3.init()
        self.driver = str(self.engine)
        self.library = source
        if self.driver == "espeak":
            self.library = f"{source} {_plain_text_espeak()}"
        self.voice: str | None = None
        self.rate: int | None = None

    def ready(self) -> dict[str, Any]:
        voices = [
            {
                "id": str(v.id),
                "name": str(v.name or v.id),
                "languages": [str(lang) for lang in (v.languages or []) if lang],
            }
            for v in self.engine.getProperty("voices")
        ]
        return {
            "event": "ready",
            "protocol": PROTOCOL,
            "driver": self.driver,
            "library": self.library,
            "default_voice": str(self.engine.getProperty("voice")),
            "voices": voices,
        }

    def render(self, text: str, voice: str, rate: int, path: Path) -> None:
        if voice != self.voice:
            self.engine.setProperty("voice", voice)
            self.voice = voice
        if rate != self.rate:
            self.engine.setProperty("rate", rate)
            self.rate = rate
        match self.driver:
            case "nsss":
                self._render_nsss(text, path)
            case "sapi5":
                # SAPI parses the text as XML exactly when it starts with "<"; wrapping it in a
                # neutral element makes it always XML, so escaped "<", ">", "&" are read as text.
                wrapped = f'<volume level="100">{escape(text)}</volume>'
                self._save(wrapped, path)
            case _:
                self._save(text, path)

    def _save(self, text: str, path: Path) -> None:
        # The eSpeak driver honours only the last save_to_file before runAndWait: one each.
        self.engine.save_to_file(text, str(path))
        self.engine.runAndWait()

    def _render_nsss(self, text: str, path: Path) -> None:
        # NSSpeechSynthesizer obeys embedded commands such as "[[rate 300]]": break the brackets.
        text = text.replace("[[", "[ [").replace("]]", "] ]")
        # It writes AIFF whatever the file name says; afconvert ships with every macOS.
        aiff = path.with_suffix(".aiff")
        self._save(text, aiff)
        try:
            subprocess.run(
                ["afconvert", "-f", "WAVE", "-d", "LEI16", str(aiff), str(path)],
                check=True,
                stdout=subprocess.DEVNULL,
                stderr=sys.stderr,
            )
        finally:
            aiff.unlink(missing_ok=True)


def _handle(speaker: _Speaker, request: dict[str, Any]) -> dict[str, Any]:
    request_id = request.get("id")
    if request.get("op") != "render":
        return {"id": request_id, "ok": False, "error": f"unknown op {request.get('op')!r}"}
    try:
        speaker.render(
            str(request["text"]), str(request["voice"]), int(request["rate"]), Path(request["path"])
        )
    except Exception as exc:  # reported to the parent, which decides to retry or give up
        traceback.print_exc(file=sys.stderr)
        return {"id": request_id, "ok": False, "error": f"{type(exc).__name__}: {exc}"}
    return {"id": request_id, "ok": True}


def _send(channel: IO[str], message: dict[str, Any]) -> None:
    channel.write(json.dumps(message, ensure_ascii=False) + "\n")
    channel.flush()


def main() -> int:
    # Ctrl-C in a terminal reaches the whole process group; the parent decides when we stop (it
    # closes stdin or kills us), so a keypress must not leave a traceback here mid-utterance.
    signal.signal(signal.SIGINT, signal.SIG_IGN)
    channel = _take_stdout()
    speaker = _Speaker()
    _send(channel, speaker.ready())
    for raw in sys.stdin.buffer:
        if not raw.strip():
            continue
        try:
            request = json.loads(raw)
        except ValueError as exc:
            _send(channel, {"id": None, "ok": False, "error": f"bad request: {exc}"})
            continue
        _send(channel, _handle(speaker, request))
    return 0


if __name__ == "__main__":
    sys.exit(main())
