"""Building a whole library: the planned episodes (:mod:`matcast.build.plan`), in parallel.

Episodes are built in worker processes, each with its own speech engine; they share the utterance
cache (its writes are atomic). One failing routine or episode does not stop the others. The
manifest records each outcome.
"""

from __future__ import annotations

import contextlib
import os
import time
from collections.abc import Callable, Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import TYPE_CHECKING, Any

from matcast.build.manifest import Manifest, Out, file_fingerprint
from matcast.build.plan import EpisodeJob, Outcome, Plan, compile_options
from matcast.errors import MatcastError
from matcast.fs.store import Store, is_url

if TYPE_CHECKING:
    from concurrent.futures import Future

# The process pool, its queue and traceback are imported where episodes are built: a rebuild
# with nothing to do never starts a worker.

# --- Building in worker processes ----------------------------------------------------------

_worker: dict[str, Any] = {}


def _init_worker(library: str, out_dir: str, build_options: dict[str, Any],
                 messages: Any) -> None:
    from matcast.build.session import Builder, BuildOptions

    _die_with_parent()
    # This episode's share of the cores for Piper's workers (see voice/piper_pool.py).
    from matcast.voice.piper_pool import PIPER_JOBS_ENV

    os.environ[PIPER_JOBS_ENV] = str(build_options.pop("piper_jobs", 1))

    _worker["allow_long"] = bool(build_options.pop("allow_long", False))
    _worker["cues"] = build_options.pop("cues", None)
    cache = build_options.get("cache_dir")
    options = BuildOptions(**{**build_options, "out_dir": Path(out_dir),
                              "cache_dir": cache if is_url(cache) else
                              Path(cache) if cache else None})
    _worker["library"] = Path(library)
    _worker["messages"] = messages
    _worker["builder"] = Builder(options, _QueueReporter(messages))


def _die_with_parent() -> None:
    """End this worker, and the speech workers it started, as soon as the batch's process ends.

    A worker outliving a killed ``build --all`` would go on building for minutes, keep the
    parent's stdout open (so ``build --all | tee log`` never ends) and rename episodes into a
    folder whose lock nobody holds. The spawn start method gives each worker a sentinel of its
    parent (a pipe end on POSIX, a process handle on Windows) that becomes ready when the parent
    is gone: a thread blocks on it, then kills the speech workers and exits at once. And before
    any episode is renamed into place, the worker checks that the parent is still alive.
    """
    import multiprocessing
    import multiprocessing.connection
    import threading

    from matcast.fs.atomic import set_commit_guard
    from matcast.voice.worker_process import kill_all_workers

    parent = multiprocessing.parent_process()
    if parent is None:
        return

    def watch() -> None:
        multiprocessing.connection.wait([parent.sentinel])
        kill_all_workers()
        os._exit(70)

    def guard() -> None:
        if not parent.is_alive():
            kill_all_workers()
            os._exit(70)

    threading.Thread(target=watch, name="matcast-parent-watch", daemon=True).start()
    set_commit_guard(guard)


class SendingReporter:
    """A worker's progress reporter: each stage and update of the episode ``slug`` is sent on
    (by :meth:`_send`) to whoever draws the bar."""

    def __init__(self) -> None:
        self.slug = ""
        self.total = 1

    def stage(self, label: str, total: int | None = None) -> None:
        self.total = total or 1
        self._send(label, 0)

    def update(self, done: int) -> None:
        self._send(None, done)

    def finish(self) -> None:
        pass

    def _send(self, label: str | None, done: int) -> None:
        raise NotImplementedError


class _QueueReporter(SendingReporter):
    """Sends a worker's progress to the parent: (slug, stage, done, total)."""

    def __init__(self, messages: Any) -> None:
        super().__init__()
        self.messages = messages

    def _send(self, label: str | None, done: int) -> None:
        if self.messages is not None:
            self.messages.put((self.slug, label, done, self.total))


def _build_one(job: EpisodeJob) -> Outcome:
    """Build one episode in a worker process; never raises."""
    builder = _worker["builder"]
    builder.progress.slug = job.slug
    return build_episode(builder, _worker["library"], job, _worker["allow_long"], _worker["cues"])


def build_episode(builder: Any, library: Path, job: EpisodeJob, allow_long: bool,
                  cues: str | None) -> Outcome:
    """Build one episode with ``builder`` (a :class:`~matcast.build.session.Builder`); never
    raises. Worker processes and cluster workers both build episodes through it."""
    import traceback

    from matcast.routine.loader import load_routine

    try:
        loaded = load_routine(library / job.routine)
        options = compile_options(job.variant, allow_long, cues)
        options.check(loaded)
        result = builder.build(loaded, options, track=job.number, slug=job.slug,
                               title=job.title)
    except MatcastError as exc:
        return Outcome(job.slug, "failed", " ".join(str(exc).split())[:300])
    except Exception as exc:  # a bug: report it for this episode, keep building the others
        where = traceback.extract_tb(exc.__traceback__)[-1]
        return Outcome(job.slug, "failed",
                       f"internal error {type(exc).__name__}: {exc} "
                       f"({Path(where.filename).name}:{where.lineno})")
    from matcast.lint.sessions import lint_built

    # Coaching findings never fail a build; the summary says how many there are.
    found = len(lint_built(loaded, result.script))
    reason = f"{found} coaching warning{'s' if found != 1 else ''} (matcast lint)" if found else ""
    return Outcome(job.slug, "built", reason, result.duration_seconds, result.mp3_bytes,
                   result.speech.rendered, result.speech.cached,
                   {f.name: file_fingerprint(f) for f in result.files})


@dataclass
class Progress:
    """Callbacks the batch calls as episodes start, move and end (the CLI draws them)."""

    started: Callable[[str], None] = lambda slug: None
    moved: Callable[[str, str | None, int, int], None] = lambda slug, label, done, total: None
    ended: Callable[[Outcome], None] = lambda outcome: None


def run(plan_: Plan, library: Path, out_dir: Out, manifest: Manifest,
        build_options: dict[str, Any], jobs: int, progress: Progress | None = None
        ) -> Iterator[Outcome]:
    """Build ``plan_.todo`` in ``jobs`` worker processes; yield each outcome as it comes.

    The manifest is updated and saved after every finished episode, so an interrupted batch
    keeps what it completed. With the output folder in a store, the workers build into a local
    temp folder and this process uploads each episode as it comes back (so a store only this
    process sees, ``memory://``, works too).
    """
    if not plan_.todo:
        return
    if not isinstance(out_dir, Store):
        yield from _run(plan_, library, out_dir, out_dir, manifest, build_options, jobs,
                        progress)
        return
    from matcast.build.outbox import staging

    with staging() as folder:
        yield from _run(plan_, library, out_dir, folder, manifest, build_options, jobs,
                        progress)


def _run(plan_: Plan, library: Path, out_dir: Out, folder: Path, manifest: Manifest,
         build_options: dict[str, Any], jobs: int, progress: Progress | None
         ) -> Iterator[Outcome]:
    """:func:`run`, the workers writing into ``folder``."""
    # Workers report their stages only when something draws them. A plain multiprocessing queue
    # (handed to the workers when they start) rather than a manager's: a manager is one more
    # process, and one that would outlive a killed build.
    shown = progress is not None
    progress = progress or Progress()
    if not plan_.todo:
        return
    import multiprocessing
    from concurrent.futures import FIRST_COMPLETED, ProcessPoolExecutor, wait
    from concurrent.futures.process import BrokenProcessPool
    context = multiprocessing.get_context("spawn")
    messages = context.Queue() if shown else None
    workers = max(1, min(jobs, len(plan_.todo)))
    # Episodes at once times Piper workers per episode stays within the cores: a library build
    # starts at most max(cores, jobs) Piper processes.
    from matcast.voice.piper_pool import episode_share

    build_options = {**build_options, "piper_jobs": episode_share(workers)}
    with ProcessPoolExecutor(workers, mp_context=context, initializer=_init_worker,
                             initargs=(str(library), str(folder), build_options,
                                       messages)) as pool:
        pending: dict[Future[Outcome], EpisodeJob] = {}
        waiting = list(plan_.todo)
        # Keep just enough queued that every worker is busy, so "running" means running.
        broken = ""
        while waiting or pending:
            while waiting and len(pending) < workers and not broken:
                job = waiting.pop(0)
                try:
                    pending[pool.submit(_build_one, job)] = job
                except BrokenProcessPool as exc:
                    broken = str(exc)
                    waiting.insert(0, job)
                    break
                progress.started(job.slug)
            if broken and not pending:
                # No worker can run: every episode left fails with the reason, none is lost.
                for job in waiting:
                    outcome = Outcome(job.slug, "failed", f"worker processes failed: {broken}")
                    progress.ended(outcome)
                    yield outcome
                return
            done, _ = wait(pending, timeout=0.1, return_when=FIRST_COMPLETED)
            _drain(messages, progress)
            for future in done:
                job = pending.pop(future)
                try:
                    outcome = future.result()
                except Exception as exc:  # the worker process died (killed, out of memory)
                    broken = broken or (isinstance(exc, BrokenProcessPool) and str(exc)) or ""
                    outcome = Outcome(job.slug, "failed", f"worker process failed: {exc}")
                if isinstance(out_dir, Store):
                    from matcast.build.outbox import uploaded

                    outcome = uploaded(out_dir, folder, outcome)
                finished(plan_, manifest, out_dir, job, outcome)
                progress.ended(outcome)
                yield outcome


def _drain(messages: Any, progress: Progress) -> None:
    if messages is None:
        return
    import queue

    for _ in range(1000):
        try:
            slug, label, done, total = messages.get_nowait()
        except (queue.Empty, OSError, EOFError):
            return
        progress.moved(slug, label, done, total)


def finished(plan_: Plan, manifest: Manifest, out_dir: Out, job: EpisodeJob,
             outcome: Outcome) -> None:
    """Record a built episode in the manifest and save it (a batch killed later keeps it)."""
    if outcome.status != "built":
        return
    outcome.reason = plan_.why.get(outcome.slug, "")
    _record(manifest, job, outcome)
    manifest.save(out_dir)


def _record(manifest: Manifest, job: EpisodeJob, outcome: Outcome) -> None:
    manifest.episodes[job.slug] = {
        "routine": job.routine, "key": job.key, "number": job.number, "title": job.title,
        "variant": job.variant,
        "files": list(outcome.fingerprints), "fingerprints": outcome.fingerprints,
        "mp3_bytes": outcome.mp3_bytes,
        "duration": outcome.duration, "built": time.strftime("%Y-%m-%dT%H:%M:%SZ",
                                                             time.gmtime()),
    }


def remove_episode(manifest: Manifest, out_dir: Out, slug: str) -> None:
    """Forget an episode that is no longer in the library and delete its files."""
    entry = manifest.episodes.pop(slug, {})
    for name in entry.get("files", []):
        with contextlib.suppress(OSError):
            if isinstance(out_dir, Store):
                out_dir.delete(name)
            else:
                (out_dir / name).unlink()
