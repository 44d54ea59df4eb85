"""The Piper worker: a child process that owns piper-tts, onnxruntime and one loaded voice model.

Started by :class:`matcast.voice.piper_engine.PiperEngine` as a script (``python -P
.../_piper_worker.py``) or as ``python -m matcast.voice._piper_worker``; never by hand. It imports
nothing from matcast, so starting it costs Python, piper and onnxruntime, nothing else. It is a
process of its own for the same reasons as the pyttsx3 worker (:mod:`matcast.voice._worker`): a
native library (onnxruntime, piper's eSpeak bridge) can crash or hang, and the parent can kill
and restart a worker, not a library.

Protocol: JSON lines. Requests arrive on stdin; replies leave on the process's original stdout,
which this module takes over before piper is imported, because native libraries may print there.

* First line out, once ready: ``{"event": "ready", "protocol": 1, "piper": ..., "onnxruntime":
  ...}``.
* In: ``{"op": "render", "id": n, "text": ..., "model": ..., "config": ..., "length_scale": ...,
  "noise_scale": ..., "noise_w_scale": ..., "path": ...}`` (a null noise scale means the voice's
  own default); out: ``{"id": n, "ok": true, "sample_rate": ...}`` once a 16-bit PCM WAV is at
  ``path``, else ``{"id": n, "ok": false, "error": ...}``. The model is loaded on first use and
  kept until a request names another, so the first request for a model takes longer.
* stdin closing means: exit with status 0.

Text arrives as plain text: the parent has removed control characters and broken up ``[[``,
which Piper would otherwise read as raw phonemes.
"""

from __future__ import annotations

import json
import os
import signal
import sys
import traceback
import wave
from importlib.metadata import PackageNotFoundError, version
from typing import IO, Any

PROTOCOL = 1


def _take_stdout() -> IO[str]:
    """The protocol channel: a private copy of fd 1. Afterwards fd 1 is stderr, sys.stdout void.

    Copied from :mod:`matcast.voice._worker`: importing it would import the matcast package,
    which this script avoids to start fast.
    """
    channel = os.fdopen(os.dup(1), "w", encoding="utf-8", newline="\n")
    # C libraries write to fd 1 directly: send that to stderr, where the parent keeps a tail for
    # error messages.
    os.dup2(2, 1)
    sys.stdout = open(os.devnull, "w", encoding="utf-8")  # noqa: SIM115 - lives as long as we do
    return channel


def _version(name: str) -> str:
    try:
        return version(name)
    except PackageNotFoundError:
        return "unknown"


class _Speaker:
    """One Piper voice at a time, loaded when a request first names it."""

    def __init__(self) -> None:
        # Imported here, after the stdout take-over, not at module level.
        from piper import SynthesisConfig

        self._config = SynthesisConfig
        self._voice: Any = None
        self._loaded: tuple[str, str] | None = None

    def render(self, request: dict[str, Any]) -> int:
        """Speak ``request["text"]`` into a WAV at ``request["path"]``; return its sample rate."""
        model, config = str(request["model"]), str(request["config"])
        if self._loaded != (model, config):
            # Drop the old model first: two 60 MB sessions at once would double the memory.
            self._voice, self._loaded = None, None
            self._voice = _load(model, config)
            self._loaded = (model, config)
        settings = self._config(
            length_scale=float(request["length_scale"]),
            noise_scale=_optional_float(request.get("noise_scale")),
            noise_w_scale=_optional_float(request.get("noise_w_scale")),
        )
        rate = int(self._voice.config.sample_rate)
        frames = 0
        with wave.open(str(request["path"]), "wb") as wav:
            wav.setnchannels(1)
            wav.setsampwidth(2)
            wav.setframerate(rate)
            # One chunk per sentence. Piper ends each with about 0.2 s of release, so sentences
            # written back to back already have a natural pause between them.
            for chunk in self._voice.synthesize(str(request["text"]), syn_config=settings):
                wav.writeframes(chunk.audio_int16_bytes)
                frames += len(chunk.audio_int16_array)
        if frames == 0:
            raise ValueError("Piper produced no audio (the text has nothing it can pronounce)")
        return rate


def _load(model: str, config: str) -> Any:
    """The voice, with onnxruntime on one thread (PiperVoice.load would use one per core).

    One thread, because the parent runs one worker per core (several threads per worker would
    fight for the same cores and spin, which on a busy machine made synthesis twice as slow), and
    because the thread count changes the samples: onnxruntime splits its sums by thread, so
    with the default (one thread per core) the same line came out with other bits on machines
    with other core counts. With one thread, and the noise pinned to 0, every worker on every
    machine gives the same samples for the same line.
    """
    import onnxruntime
    from piper import PiperVoice
    from piper.config import PiperConfig

    with open(config, encoding="utf-8") as f:
        settings = json.load(f)
    options = onnxruntime.SessionOptions()
    options.intra_op_num_threads = 1
    options.inter_op_num_threads = 1
    session = onnxruntime.InferenceSession(model, sess_options=options,
                                           providers=["CPUExecutionProvider"])
    return PiperVoice(config=PiperConfig.from_dict(settings), session=session)


def _optional_float(value: Any) -> float | None:
    return None if value is None else float(value)


def _handle(speaker: _Speaker, request: dict[str, Any]) -> dict[str, Any]:
    request_id = request.get("id")
    if request.get("op") != "render":
        return {"id": request_id, "ok": False, "error": f"unknown op {request.get('op')!r}"}
    try:
        rate = speaker.render(request)
    except Exception as exc:  # reported to the parent, which decides to retry or give up
        traceback.print_exc(file=sys.stderr)
        return {"id": request_id, "ok": False, "error": f"{type(exc).__name__}: {exc}"}
    return {"id": request_id, "ok": True, "sample_rate": rate}


def _send(channel: IO[str], message: dict[str, Any]) -> None:
    channel.write(json.dumps(message, ensure_ascii=False) + "\n")
    channel.flush()


def main() -> int:
    # Ctrl-C in a terminal reaches the whole process group; the parent decides when we stop (it
    # closes stdin or kills us), so a keypress must not leave a traceback here mid-utterance.
    signal.signal(signal.SIGINT, signal.SIG_IGN)
    channel = _take_stdout()
    speaker = _Speaker()
    ready = {
        "event": "ready",
        "protocol": PROTOCOL,
        "piper": _version("piper-tts"),
        "onnxruntime": _version("onnxruntime"),
    }
    _send(channel, ready)
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
