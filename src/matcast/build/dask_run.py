"""Building a library's episodes on a Dask cluster: ``matcast build --all --cluster URL``.

The client (the machine running matcast) holds the output folder's lock (for a folder in a store,
its lease: :mod:`matcast.build.lease`), plans the build as for a local one, sends the library's
files to every worker once, submits one task per episode (the longest first) and records each
outcome in the manifest as it comes back; the manifest, feed and page are written by the client
once all are back. Workers run :mod:`matcast.build.dask_worker`; into an output folder at a URL,
each uploads the episodes it built itself (:mod:`matcast.build.outbox`), so no MP3 travels through
Dask. A failing episode fails alone. A worker that dies takes its episode with it, and the
scheduler gives the episode to another worker (Dask's ``distributed.scheduler.allowed-failures``, 3
by default, bounds how many deaths one episode may cause before it is reported as failed).
"""

from __future__ import annotations

import contextlib
import os
import time
from collections import deque
from collections.abc import Iterator
from pathlib import Path
from typing import Any
from urllib.parse import urlsplit

from matcast import __version__
from matcast.build.library import Progress, finished
from matcast.build.manifest import Manifest, Out
from matcast.build.plan import Outcome, Plan
from matcast.errors import ClusterError, UsageError
from matcast.fs.store import Store, is_url

CONNECT_TIMEOUT = 10.0
"""Seconds to reach the scheduler."""
WORKER_TIMEOUT = 30.0
"""Seconds to wait for a first worker when the scheduler has none."""
_HINT = ("\n    hint: start a scheduler with `dask scheduler` (it listens on port 8786) and "
         "workers with `dask worker tcp://HOST:8786`; see the README's cluster section")


def connect(url: str) -> Any:
    """A Dask client of the scheduler at ``url``; a ClusterError saying why not, with a hint."""
    try:
        import logging

        from distributed import Client
    except ImportError:
        raise UsageError("--cluster needs Dask: pip install 'matcast[cluster]'") from None
    # Dask logs every failed attempt and every closed comm: the error below says it once.
    logging.getLogger("distributed").setLevel(logging.CRITICAL)
    _reachable(url)
    try:
        return Client(url, timeout=CONNECT_TIMEOUT, set_as_default=False)
    except (OSError, TimeoutError) as exc:
        raise ClusterError(f"cannot connect to the Dask scheduler at {url}: {exc}{_HINT}"
                           ) from None


def _reachable(url: str) -> None:
    """Fail at once where the scheduler's port refuses connections (Dask itself would retry
    until its timeout)."""
    import socket

    parts = urlsplit(url)
    if parts.scheme not in ("tcp", "tls") or not parts.hostname:
        return
    try:
        socket.create_connection((parts.hostname, parts.port or 8786),
                                 timeout=CONNECT_TIMEOUT).close()
    except OSError as exc:
        reason = exc.strerror or str(exc) or type(exc).__name__
        raise ClusterError(f"cannot reach the Dask scheduler at {url}: {reason}{_HINT}"
                           ) from None


def check_workers(client: Any, url: str) -> int:
    """Wait for a worker if there is none; refuse workers without this matcast version.
    Returns the number of workers."""
    from matcast.build.dask_worker import worker_version

    try:
        client.wait_for_workers(1, timeout=WORKER_TIMEOUT)
    except (TimeoutError, OSError):
        raise ClusterError(f"the Dask scheduler at {url} has no workers (waited "
                           f"{WORKER_TIMEOUT:g} s)\n    hint: start workers on the machines "
                           f"that are to build: dask worker {url} --nthreads 1") from None
    try:
        versions: dict[str, str] = client.run(worker_version)
    except Exception as exc:
        raise ClusterError(f"the workers of {url} cannot run matcast: {type(exc).__name__}: "
                           f"{exc}\n    hint: install matcast {__version__} with its cluster "
                           "extra on every worker machine: pip install 'matcast[cluster]'"
                           ) from None
    other = {address: v for address, v in versions.items() if v != __version__}
    if other:
        listed = ", ".join(f"{a} has {v}" for a, v in sorted(other.items()))
        raise ClusterError(f"the workers of {url} must run matcast {__version__} like this "
                           f"machine: {listed}\n    hint: install the same version everywhere")
    return len(versions)


def run(plan_: Plan, library: Path, out_dir: Out, manifest: Manifest,
        build_options: dict[str, Any], url: str, progress: Progress | None = None
        ) -> Iterator[Outcome]:
    """Build ``plan_.todo`` on the cluster at ``url``; yield each outcome as it comes."""
    progress = progress or Progress()
    if not plan_.todo:
        return
    client = connect(url)
    try:
        check_workers(client, url)
        yield from _run(client, plan_, library, out_dir, manifest, build_options, progress)
    finally:
        with contextlib.suppress(Exception):
            client.close(timeout=5)


def _run(client: Any, plan_: Plan, library: Path, out_dir: Out, manifest: Manifest,
         build_options: dict[str, Any], progress: Progress) -> Iterator[Outcome]:
    from distributed import KilledWorker

    from matcast.build.bundle import pack
    from matcast.build.dask_worker import PLUGIN, PROGRESS_TOPIC, MatcastPlugin, build_task

    options, extra, skip = _worker_options(build_options, out_dir)
    for job in plan_.todo:
        for name in manifest.routines.get(job.routine, {}).get("inputs", {}):
            extra.append(library / name)
    bundle = pack(library, extra, skip)
    client.register_plugin(MatcastPlugin(), name=PLUGIN)
    [shipped] = client.scatter([bundle], broadcast=True, hash=False)
    build = os.urandom(6).hex()
    events: deque[Any] = deque()
    client.subscribe_topic(PROGRESS_TOPIC, events.append)
    count = len(plan_.todo)
    futures = {client.submit(build_task, build, job, shipped, options, pure=False,
                             key=f"matcast-{build}-{job.slug}", priority=count - i): job
               for i, job in enumerate(plan_.todo)}
    started: set[str] = set()
    try:
        while futures:
            time.sleep(0.1)
            _drain(events, build, started, progress)
            for future in [f for f in futures if f.done()]:
                job = futures.pop(future)
                try:
                    outcome = future.result()
                except KilledWorker as exc:
                    outcome = Outcome(job.slug, "failed", f"its worker died each time it was "
                                      f"built ({exc}); see the workers' logs")
                except Exception as exc:
                    outcome = Outcome(job.slug, "failed",
                                      f"cluster task failed: {type(exc).__name__}: {exc}")
                if job.slug not in started:
                    started.add(job.slug)
                    progress.started(job.slug)
                finished(plan_, manifest, out_dir, job, outcome)
                progress.ended(outcome)
                yield outcome
    finally:
        with contextlib.suppress(Exception):
            client.unsubscribe_topic(PROGRESS_TOPIC)
        with contextlib.suppress(Exception):
            client.cancel(list(futures))


def _worker_options(build_options: dict[str, Any], out_dir: Out
                    ) -> tuple[dict[str, Any], list[Path], list[Path]]:
    """The build options as a worker needs them (absolute paths; an output folder in a store as
    its URL, which the workers upload to themselves), the files outside the library to send (a
    bed file, a voice file), and the folders never to send (output, cache)."""
    if isinstance(out_dir, Store):
        options = {**build_options, "out_dir": out_dir.url}
        skip = []
    else:
        options = {**build_options, "out_dir": str(out_dir.resolve())}
        skip = [out_dir]
    cache = options.get("cache_dir")
    if cache and not is_url(cache):
        options["cache_dir"] = str(Path(cache).resolve())
        skip.append(Path(cache))
    extra = []
    bed = options.get("bed")
    if bed not in (None, "rain", "ocean", "none"):
        options["bed"] = str(Path(bed).resolve())
        extra.append(Path(bed))
    voice = options.get("voice")
    if voice and Path(voice).is_file():  # a Piper voice file and its config travel too
        options["voice"] = str(Path(voice).resolve())
        extra += [Path(voice), Path(f"{voice}.json")]
    return options, extra, skip


def _drain(events: deque[Any], build: str, started: set[str], progress: Progress) -> None:
    while events:
        event = events.popleft()
        message = event[1] if isinstance(event, tuple) and len(event) == 2 else event
        try:
            sender, slug, label, done, total = message
        except (TypeError, ValueError):
            continue
        if sender != build:
            continue
        if slug not in started:
            started.add(slug)
            progress.started(slug)
        progress.moved(slug, label, done, total)
