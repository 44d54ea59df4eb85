"""Parallel Piper rendering: a few worker processes, each holding the model, fed in batches.

Owns how many Piper workers run (:func:`piper_jobs`), handing the lines of one render call to
them, keeping several requests in flight per worker (a batch: the worker reads its next request
while the parent decodes the last WAV, so it never waits on the round trip), and what happens
when a line fails: the worker is killed, its other in-flight lines go back to the queue, and the
failed line is tried once more, alone, in a fresh worker; if that fails too, an
:class:`EngineError` names the line, as with one worker. Each worker is a
:class:`~matcast.voice.worker_process.WorkerSession` speaking the protocol of
:mod:`matcast.voice._piper_worker`; what a request says is :mod:`matcast.voice.piper_engine`'s.

Why batches of requests and not one Piper call for several short lines: Piper's own cost per call
is about 6 ms against about 0.23 s per second of speech (measured on post-run's lines), and one
call for several lines would give one clip that has to be cut apart again. The overhead worth
cutting is the parent's: the round trip and the decoding of each WAV, which batching overlaps.

Workers and cores. Each worker runs onnxruntime on one thread (see the worker), so ``n`` workers
keep at most ``n`` cores busy. :func:`piper_jobs` never allows more workers than cores; a
library build running ``J`` episodes at once gives each episode ``max(1, cores // J)`` (set by
:mod:`matcast.build.library` through :data:`PIPER_JOBS_ENV`), so a library build never starts
more than ``max(cores, J)`` Piper processes.
"""

from __future__ import annotations

import os
import tempfile
import threading
from collections import deque
from collections.abc import Callable, Sequence
from pathlib import Path
from typing import Any

import numpy as np

from matcast.errors import EngineError
from matcast.voice.engine import read_speech_wav
from matcast.voice.worker_process import (
    Worker,
    WorkerFailure,
    WorkerSession,
    answered,
    short_cue,
)

PIPER_JOBS_ENV = "MATCAST_PIPER_JOBS"
"""Environment variable: how many Piper worker processes one engine may run (1 to the number of
cores; default: the number of cores). ``matcast build --jobs N`` sets it for a single build."""

IN_FLIGHT = 4
"""Requests sent to one worker ahead of its replies: enough to keep it busy while the parent
decodes, few enough that a killed worker costs little redone work."""

Request = Callable[[str, Path], dict[str, Any]]
"""``request(text, wav_path)``: the render message for one line (without ``op`` and ``id``)."""


def available_cores() -> int:
    """The cores this process may run on (its CPU affinity where the OS has one)."""
    try:
        return max(1, len(os.sched_getaffinity(0)))
    except (AttributeError, OSError):
        return max(1, os.cpu_count() or 1)


def piper_jobs(asked: int | None = None) -> int:
    """How many Piper workers to run: ``asked``, else :data:`PIPER_JOBS_ENV`, else the cores;
    never more than the cores, never fewer than one. A malformed variable is a ValueError."""
    cores = available_cores()
    if asked is None:
        raw = os.environ.get(PIPER_JOBS_ENV, "").strip()
        if raw:
            try:
                asked = int(raw)
            except ValueError:
                raise ValueError(f"{PIPER_JOBS_ENV}={raw!r} is not a whole number of "
                                 f"workers (1 to {cores})") from None
    if asked is None:
        return cores
    return max(1, min(asked, cores))


def episode_share(episodes: int) -> int:
    """Piper workers for each of ``episodes`` built at once: an equal share of the cores, at
    least one, so that all of them together start at most ``max(cores, episodes)``."""
    return max(1, available_cores() // max(1, episodes))


class PiperPool:
    """Up to ``size`` Piper workers, started as a render call needs them and kept (with their
    model loaded) until :meth:`close`. One render call at a time."""

    def __init__(self, argv: Sequence[str], size: int, *, startup_timeout: float,
                 timeout: float, timeout_per_char: float, load_timeout: float) -> None:
        self.argv = list(argv)
        self.size = max(1, size)
        self.startup_timeout = startup_timeout
        self.timeout = timeout
        self.timeout_per_char = timeout_per_char
        self.load_timeout = load_timeout
        self.sessions: list[WorkerSession] = []
        self._loaded: dict[int, tuple[object, object]] = {}
        self._count = threading.Lock()
        self.started = 0
        """Worker processes started so far (for tests and benchmarks)."""

    def render(self, texts: Sequence[str], request: Request,
               on_done: Callable[[str, np.ndarray], None] | None = None) -> dict[str, np.ndarray]:
        """Speak each distinct text; return text → samples in the order of ``texts``.

        ``on_done(text, samples)`` is called as each line is ready (in the order they finish,
        from one thread at a time). The first failure stops the other workers after their
        in-flight lines and is raised; lines already done have been passed to ``on_done``.
        """
        unique = list(dict.fromkeys(texts))
        if not unique:
            return {}
        for _ in range(len(self.sessions), min(self.size, len(unique))):
            self.sessions.append(self._new_session(len(self.sessions)))
        run = _Run(unique, request, on_done)
        busy = self.sessions[: min(self.size, len(unique))]
        with tempfile.TemporaryDirectory(prefix="matcast-piper-",
                                         ignore_cleanup_errors=True) as tmp:
            threads = [threading.Thread(target=self._serve,
                                        args=(n, s, run, Path(tmp), len(busy)),
                                        name=f"matcast-piper-{n}", daemon=True)
                       for n, s in enumerate(busy)]
            for thread in threads:
                thread.start()
            for thread in threads:
                thread.join()
        if run.error is not None:
            raise run.error
        return {text: run.clips[text] for text in unique}

    def close(self) -> None:
        """Let every worker exit (the pool may be used again afterwards)."""
        for session in self.sessions:
            session.close()

    # --- one worker's loop -------------------------------------------------------------------

    def _new_session(self, n: int) -> WorkerSession:
        return WorkerSession("piper", self.argv, self.startup_timeout,
                             on_discard=lambda: self._loaded.pop(n, None))

    def _running(self, session: WorkerSession) -> Worker:
        """The session's live worker, started if needed (and counted in :attr:`started`)."""
        before = session.worker
        worker = session.running()
        if worker is not before:
            with self._count:
                self.started += 1
        return worker

    def _serve(self, n: int, session: WorkerSession, run: _Run, tmp: Path,
               share: int) -> None:
        try:
            while not run.stopped():
                batch = run.take(IN_FLIGHT, share)
                if not batch:
                    return
                self._batch(n, session, run, tmp, batch)
        except BaseException as exc:  # handed to the thread that called render
            run.fail(exc)

    def _batch(self, n: int, session: WorkerSession, run: _Run, tmp: Path,
               batch: list[tuple[int, str]]) -> None:
        """Send ``batch`` to the worker at once, then take the replies in order; on a failure,
        requeue what is left and give the failed line its second attempt alone."""
        sent: list[tuple[int, str, Path, dict[str, Any]]] = []
        try:
            worker = self._running(session)
            for index, text in batch:
                path = tmp / f"{index}-1.wav"
                message = run.request(text, path)
                worker.send({**message, "op": "render", "id": index + 1})
                sent.append((index, text, path, message))
        except WorkerFailure as exc:
            # Nothing was rendered; the first line carries the failure.
            stderr = session.discard()
            rest = batch[1:]
            run.give_back(rest)
            self._second_attempt(n, session, run, tmp, batch[0], str(exc), stderr)
            return
        for position, (index, text, path, message) in enumerate(sent):
            try:
                samples = self._reply(n, worker, index, text, path, message)
            except WorkerFailure as exc:
                stderr = session.discard()
                for _, _, other, _ in sent[position:]:
                    other.unlink(missing_ok=True)
                run.give_back([(i, t) for i, t, _, _ in sent[position + 1:]])
                self._second_attempt(n, session, run, tmp, (index, text), str(exc), stderr)
                return
            finally:
                path.unlink(missing_ok=True)
            self._loaded[n] = _model(message)
            run.done(text, samples)

    def _second_attempt(self, n: int, session: WorkerSession, run: _Run, tmp: Path,
                        line: tuple[int, str], first: str, stderr: str) -> None:
        index, text = line
        path = tmp / f"{index}-2.wav"
        try:
            message = run.request(text, path)
            worker = self._running(session)
            worker.send({**message, "op": "render", "id": index + 1})
            samples = self._reply(n, worker, index, text, path, message)
        except WorkerFailure as exc:
            stderr = session.discard() or stderr
            raise EngineError(session.failure_message(
                f"could not speak the cue {short_cue(text)!r}", [first, str(exc)],
                stderr)) from None
        finally:
            path.unlink(missing_ok=True)
        self._loaded[n] = _model(message)
        run.done(text, samples)

    def _reply(self, n: int, worker: Worker, index: int, text: str, path: Path,
               message: dict[str, Any]) -> np.ndarray:
        """The samples of request ``index + 1``, once the worker says they are at ``path``."""
        reply = worker.receive(self._timeout(n, text, message))
        samples: np.ndarray = answered(reply, index + 1, path, read_speech_wav)
        return samples

    def _timeout(self, n: int, text: str, message: dict[str, Any]) -> float:
        wait = self.timeout + self.timeout_per_char * len(text)
        # A worker that has not loaded this model yet needs time to load it first.
        return wait + (self.load_timeout if self._loaded.get(n) != _model(message) else 0.0)


def _model(message: dict[str, Any]) -> tuple[object, object]:
    return message.get("model"), message.get("config")


class _Run:
    """One render call's shared state: the queue of lines, the clips, the first error."""

    def __init__(self, texts: list[str], request: Request,
                 on_done: Callable[[str, np.ndarray], None] | None) -> None:
        self._queue: deque[tuple[int, str]] = deque(enumerate(texts))
        self._request = request
        self._on_done = on_done
        self._lock = threading.Lock()
        self.clips: dict[str, np.ndarray] = {}
        self.error: BaseException | None = None

    def request(self, text: str, path: Path) -> dict[str, Any]:
        return self._request(text, path)

    def take(self, most: int, workers: int) -> list[tuple[int, str]]:
        """Up to ``most`` lines, and no more than a fair share among ``workers`` of what is
        left, so a short call still keeps every worker busy."""
        with self._lock:
            count = min(most, -(-len(self._queue) // workers))
            return [self._queue.popleft() for _ in range(count)]

    def give_back(self, lines: list[tuple[int, str]]) -> None:
        with self._lock:
            self._queue.extendleft(reversed(lines))

    def done(self, text: str, samples: np.ndarray) -> None:
        with self._lock:
            if self.error is not None:
                return
            self.clips[text] = samples
            if self._on_done is not None:
                self._on_done(text, samples)

    def fail(self, exc: BaseException) -> None:
        with self._lock:
            if self.error is None:
                self.error = exc

    def stopped(self) -> bool:
        return self.error is not None
