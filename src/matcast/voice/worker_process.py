"""The parent's side of a speech worker process: start it, talk JSON lines, time out, kill.

Both engines render in a worker process (eSpeak can call exit(), neural models can hang or run
out of memory), and both use this class to drive it. What a worker says is the engine's business;
this module only moves messages, keeps the tail of the worker's stderr for error messages, and
tells a hung or dead worker from a slow one.
"""

from __future__ import annotations

import contextlib
import json
import os
import queue
import shlex
import subprocess
import tempfile
import threading
import weakref
from collections import deque
from collections.abc import Callable, Mapping, Sequence
from pathlib import Path
from typing import IO, Any

from matcast.errors import EngineError

STDERR_LINES = 40
"""How much of a worker's stderr is kept for error messages."""
CUE_CHARS = 60
"""How much of a spoken line an error message quotes."""


_LIVE: weakref.WeakSet[Worker] = weakref.WeakSet()
"""Every worker process this process started and has not yet reaped."""


def kill_all_workers() -> None:
    """Kill every speech worker this process started: for a process about to die suddenly."""
    for worker in list(_LIVE):
        with contextlib.suppress(OSError):
            worker.proc.kill()


class WorkerFailure(Exception):
    """The worker hung, died, or produced no usable audio: worth a restart and a retry."""


def answered(reply: dict[str, Any], request_id: int, path: Path,
             read: Callable[[Path], Any]) -> Any:
    """The samples a worker's ``reply`` to request ``request_id`` says it wrote at ``path``;
    :class:`WorkerFailure` for a reply to another request, a failure, or an unreadable WAV."""
    if reply.get("id") != request_id:
        raise WorkerFailure(f"reply to the wrong request: {reply!r:.80}")
    if not reply.get("ok"):
        raise WorkerFailure(str(reply.get("error") or "the worker reported failure"))
    try:
        return read(path)
    except ValueError as exc:
        raise WorkerFailure(str(exc)) from None


def short_cue(text: str) -> str:
    """A spoken line shortened for an error message."""
    flat = " ".join(text.split())
    return flat if len(flat) <= CUE_CHARS else flat[: CUE_CHARS - 1] + "…"


class Worker:
    """One worker process and the threads draining its pipes."""

    def __init__(self, argv: Sequence[str], env: Mapping[str, str]) -> None:
        self.argv = list(argv)
        try:
            self.proc = subprocess.Popen(
                self.argv,
                stdin=subprocess.PIPE,
                stdout=subprocess.PIPE,
                stderr=subprocess.PIPE,
                env=dict(env),
                text=True,
                encoding="utf-8",
                errors="replace",
                bufsize=1,
            )
        except OSError as exc:
            raise WorkerFailure(f"could not start {shlex.join(self.argv)}: {exc}") from None
        _LIVE.add(self)
        self._lines: queue.Queue[str | None] = queue.Queue()
        self._stderr: deque[str] = deque(maxlen=STDERR_LINES)
        # Threads rather than select(): pipes cannot be polled on Windows, and a full stderr pipe
        # would block the worker, so it has to be drained all the time anyway.
        assert self.proc.stdout is not None and self.proc.stderr is not None
        self._threads = [
            threading.Thread(
                target=self._drain, args=(self.proc.stdout, self._lines.put), daemon=True
            ),
            threading.Thread(
                target=self._drain, args=(self.proc.stderr, self._keep_stderr), daemon=True
            ),
        ]
        for thread in self._threads:
            thread.start()
        self.ready: dict[str, Any] = {}

    def _keep_stderr(self, line: str | None) -> None:
        if line is not None:
            self._stderr.append(line.rstrip("\n"))

    @staticmethod
    def _drain(stream: IO[str], sink: Callable[[str | None], None]) -> None:
        with contextlib.suppress(OSError, ValueError):
            for line in stream:
                sink(line)
        sink(None)

    def send(self, message: dict[str, Any]) -> None:
        assert self.proc.stdin is not None
        try:
            self.proc.stdin.write(json.dumps(message, ensure_ascii=False) + "\n")
            self.proc.stdin.flush()
        except OSError:
            raise WorkerFailure(self._gone()) from None

    def receive(self, timeout: float) -> dict[str, Any]:
        try:
            line = self._lines.get(timeout=timeout)
        except queue.Empty:
            raise WorkerFailure(f"no reply within {timeout:.1f} s") from None
        if line is None:
            raise WorkerFailure(self._gone())
        try:
            message = json.loads(line)
        except ValueError:
            message = None
        if not isinstance(message, dict):
            raise WorkerFailure(f"the worker wrote something that is not a reply: {line[:80]!r}")
        return message

    def _gone(self) -> str:
        try:
            code = self.proc.wait(timeout=2)
        except subprocess.TimeoutExpired:
            return "the worker closed its output"
        return f"the worker exited with code {code}"

    def kill(self) -> str:
        """Stop the process now; return the tail of what it wrote on stderr."""
        with contextlib.suppress(OSError):
            self.proc.kill()
        self._reap()
        return "\n".join(self._stderr)

    def close(self, grace: float = 2.0) -> None:
        """Ask the worker to exit (stdin closed); kill it if it does not."""
        with contextlib.suppress(OSError):
            if self.proc.stdin is not None:
                self.proc.stdin.close()
        try:
            self.proc.wait(timeout=grace)
        except subprocess.TimeoutExpired:
            with contextlib.suppress(OSError):
                self.proc.kill()
        self._reap()

    def _reap(self) -> None:
        _LIVE.discard(self)
        with contextlib.suppress(subprocess.TimeoutExpired):
            self.proc.wait(timeout=5)
        # The pipes close with the process unless it left a child holding them: do not wait long.
        for thread in self._threads:
            thread.join(timeout=1)
        for stream in (self.proc.stdout, self.proc.stderr):
            if stream is not None:
                with contextlib.suppress(OSError):
                    stream.close()


class WorkerSession:
    """A restartable worker for one engine: started on first use, one request at a time, a
    failed request retried once in a fresh worker, then an :class:`EngineError` that names the
    line and quotes the worker's stderr."""

    def __init__(self, engine: str, argv: Sequence[str], startup_timeout: float,
                 on_discard: Callable[[], None] | None = None) -> None:
        self.engine = engine
        self.argv = list(argv)
        self.startup_timeout = startup_timeout
        self.on_discard = on_discard
        self.worker: Worker | None = None
        self._next_id = 0

    def ready(self) -> dict[str, Any]:
        """What the worker said when it started (its voices, its default voice)."""
        reasons: list[str] = []
        stderr = ""
        for _attempt in (1, 2):
            try:
                return self.running().ready
            except WorkerFailure as exc:
                reasons.append(str(exc))
                stderr = self.discard() or stderr
        raise EngineError(self.failure_message("could not start its worker", reasons, stderr))

    def speak_all(self, texts: Sequence[str], one: Callable[[Path, int, str], Any],
                  on_done: Callable[[str, Any], None] | None = None) -> dict[str, Any]:
        """Speak each distinct text with ``one(scratch_folder, index, text)``; call ``on_done``
        as each is ready, so the caller can work on it while the worker speaks the next."""
        clips: dict[str, Any] = {}
        with tempfile.TemporaryDirectory(prefix=f"matcast-{self.engine}-",
                                         ignore_cleanup_errors=True) as tmp:
            for index, text in enumerate(dict.fromkeys(texts)):
                clips[text] = one(Path(tmp), index, text)
                if on_done is not None:
                    on_done(text, clips[text])
        return clips

    def speak(self, text: str, tmp: Path, index: int,
              request: Callable[[Path], dict[str, Any]], timeout: Callable[[], float],
              read: Callable[[Path], Any]) -> Any:
        """Have the worker render ``text``: ``request(path)`` is the message asking for a WAV at
        ``path``, ``timeout()`` how long to wait (asked once the worker runs), ``read(path)``
        turns the WAV into samples (a ValueError there counts as a failed attempt)."""
        reasons: list[str] = []
        stderr = ""
        for attempt in (1, 2):
            path = tmp / f"{index}-{attempt}.wav"
            try:
                worker = self.running()
                self._next_id += 1
                worker.send({**request(path), "op": "render", "id": self._next_id})
                return answered(worker.receive(timeout()), self._next_id, path, read)
            except WorkerFailure as exc:
                reasons.append(str(exc))
                stderr = self.discard() or stderr
            finally:
                path.unlink(missing_ok=True)
        raise EngineError(
            self.failure_message(f"could not speak the cue {short_cue(text)!r}", reasons, stderr))

    def running(self) -> Worker:
        """The live worker, started (and awaited until ready) if there is none."""
        if self.worker is not None and self.worker.proc.poll() is None:
            return self.worker
        self.discard()
        # Its stderr ends up in our error messages: make it UTF-8 on every platform.
        self.worker = worker = Worker(self.argv, {**os.environ, "PYTHONIOENCODING": "utf-8"})
        ready = worker.receive(self.startup_timeout)
        if ready.get("event") != "ready":
            raise WorkerFailure(f"the worker did not say it was ready: {ready!r:.80}")
        worker.ready = ready
        return worker

    def discard(self) -> str:
        """Kill the current worker, if any; return its stderr tail."""
        if self.on_discard is not None:
            self.on_discard()
        if self.worker is None:
            return ""
        worker, self.worker = self.worker, None
        return worker.kill()

    def close(self) -> None:
        """Let the worker exit cleanly (it may be started again later)."""
        if self.on_discard is not None:
            self.on_discard()
        if self.worker is not None:
            worker, self.worker = self.worker, None
            worker.close()

    def failure_message(self, what: str, reasons: Sequence[str], stderr: str) -> str:
        lines = [f"speech engine {self.engine} {what} (tried twice, restarting its worker):"]
        lines += [f"  attempt {n}: {reason}" for n, reason in enumerate(reasons, start=1)]
        tail = stderr.strip().splitlines()[-8:]
        if tail:
            lines.append("  worker stderr (last lines):")
            lines += [f"    {line}" for line in tail]
        return "\n".join(lines)
