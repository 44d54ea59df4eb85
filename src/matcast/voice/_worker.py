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
  ``{"id": n, "ok": true}`` once a complete 16-bit PCM WAV is at ``path`` (closed, its header
  agreeing with its size), else ``{"id": n, "ok": false, "error": ...}``.
* stdin closing means: exit with status 0.

Text arrives as plain text (control characters already removed by the parent); this module only
makes sure each platform's engine reads it as text, never as markup.
"""

from __future__ import annotations

import ctypes
import json
import os
import signal
import struct
import subprocess
import sys
import traceback
from pathlib import Path
from typing import IO, Any
from xml.sax.saxutils import escape

PROTOCOL = 1


def wav_defect(data: bytes) -> str | None:
    """Why ``data`` is not a complete RIFF/WAVE file, or None when it is.

    Complete means: the RIFF header's size is the file's size, every chunk ends inside the file,
    and there is a ``fmt `` chunk and a non-empty ``data`` chunk. A file still being written (or
    cut short) fails the first test, whatever its bytes so far look like.
    """
    if len(data) < 12 or data[:4] != b"RIFF" or data[8:12] != b"WAVE":
        return f"not a WAV file ({len(data)} bytes)"
    declared = struct.unpack_from("<I", data, 4)[0] + 8
    if declared != len(data):
        return f"incomplete WAV: its header says {declared} bytes, the file has {len(data)}"
    chunks: dict[bytes, int] = {}
    pos = 12
    while pos + 8 <= len(data):
        name, size = data[pos : pos + 4], struct.unpack_from("<I", data, pos + 4)[0]
        end = pos + 8 + size + (size & 1)
        if pos + 8 + size > len(data):
            return f"incomplete WAV: chunk {name!r} runs past the end of the file"
        chunks.setdefault(name, size)
        pos = end
    if b"fmt " not in chunks or b"data" not in chunks:
        return "incomplete WAV: no fmt or data chunk"
    if chunks[b"data"] == 0:
        return "the WAV has no samples"
    return None


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


def _initialize_espeak_synchronously() -> None:
    """Start eSpeak in synchronous mode before pyttsx3's eSpeak driver starts it asynchronously.

    The driver initialises eSpeak with AUDIO_OUTPUT_RETRIEVAL: ``espeak_Synth`` then only queues
    the text, a thread of eSpeak's synthesises it, and the driver's callback writes the WAV from
    that thread when the message-terminated event arrives. ``runAndWait`` waits for that callback
    only when the driver's proxy is idle on entry and no ``stop()`` intervenes, and neither holds
    for a worker's first line: the proxy starts out busy, so the ``endLoop`` that ``runAndWait``
    queues runs in the loop's first pump, before synthesis starts; and ``endLoop`` calls
    ``stop()``, which finds eSpeak "playing" while it still applies the rate and voice just set
    (in asynchronous mode those are queued commands too), so the loop cancels synthesis or ends
    early. Either way ``runAndWait`` returned while the WAV was missing, empty or half written.

    In AUDIO_OUTPUT_SYNCHRONOUS mode ``espeak_Synth`` synthesises in the calling thread and
    returns after the last callback, and parameters are applied at once: no second thread touches
    eSpeak (which is not thread-safe), and nothing is "playing" between lines. The driver
    initialises eSpeak only while its class flag says nobody has, so setting the flag (and the
    default voice the driver would have read) hands it this initialisation. Synchronous mode ends
    a message with a NULL buffer rather than a message-terminated event: see
    :func:`_end_message_on_null_buffer`, which must follow ``pyttsx3.init()``.
    """
    from pyttsx3.drivers import _espeak
    from pyttsx3.drivers.espeak import EspeakDriver

    if EspeakDriver._moduleInitialized:
        return
    if _espeak.Initialize(_espeak.AUDIO_OUTPUT_SYNCHRONOUS, 1000) == -1:
        raise RuntimeError("could not initialise eSpeak")
    voice = _espeak.GetCurrentVoice()
    if voice and voice.contents.name:
        EspeakDriver._defaultVoice = voice.contents.name.decode("utf-8")
    else:
        EspeakDriver._defaultVoice = "gmw/en"
    EspeakDriver._moduleInitialized = True


def _end_message_on_null_buffer(driver: Any) -> None:
    """Have the eSpeak driver finish each message when synchronous eSpeak says it is done.

    The driver writes and closes the WAV, notifies "finished-utterance" and ends its loop on a
    message-terminated event, which only asynchronous eSpeak sends. Synchronous eSpeak's last
    callback of a message carries a NULL buffer ("synthesis has been completed", speak_lib.h):
    hand the driver that callback as the event it expects. Then the WAV is complete before
    ``espeak_Synth`` returns, and so before ``runAndWait`` does.
    """
    from pyttsx3.drivers import _espeak

    finished = (_espeak.EVENT * 2)()
    finished[0].type = _espeak.EVENT_MSG_TERMINATED
    finished[1].type = _espeak.EVENT_LIST_TERMINATED
    on_synth = driver._onSynth

    def callback(wav: Any, numsamples: int, events: Any) -> int:
        return int(on_synth(wav, numsamples, events if wav else finished))

    _espeak.SetSynthCallback(callback)


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

        if source != "native":
            _initialize_espeak_synchronously()
        self.engine = pyttsx3.init()
        self.driver = str(self.engine)
        self.library = source
        # The driver's "finished-utterance" notification: sent once the WAV is written and closed.
        self._finished: bool | None = None
        if self.driver == "espeak":
            if source != "native":
                _end_message_on_null_buffer(self.engine.proxy._driver)
            self.library = f"{source} {_plain_text_espeak()}"
            self.engine.connect("finished-utterance", self._on_finished)
        self.voice: str | None = None
        self.rate: int | None = None

    def _on_finished(self, completed: bool = True, **_: Any) -> None:
        self._finished = bool(completed)

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
        defect = wav_defect(path.read_bytes()) if path.exists() else "no WAV file was written"
        if defect:
            raise RuntimeError(defect)

    def _save(self, text: str, path: Path) -> None:
        # The eSpeak driver honours only the last save_to_file before runAndWait: one each.
        self._finished = None
        self.engine.save_to_file(text, str(path))
        self.engine.runAndWait()
        if self.driver == "espeak" and not self._finished:
            # Synchronous eSpeak notifies before runAndWait returns: anything else is a bug.
            state = "was cancelled" if self._finished is False else "never finished"
            raise RuntimeError(f"eSpeak's synthesis of the line {state}")

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
