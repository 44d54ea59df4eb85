"""The worker side of a library build on a Dask cluster: a worker plugin and the episode task.

The plugin lives as long as the worker. It keeps one :class:`~matcast.build.session.Builder`
per build settings and worker thread, so a speech engine (a Piper model, an eSpeak process) is
started once per worker and serves every episode the worker is given. It unpacks each library
pack it is sent once (:mod:`matcast.build.bundle`), and it guards every rename into the output
folder: an episode whose build was cancelled (the client was stopped, or lost) is not put in
place. Progress goes to the client as Dask events.
"""

from __future__ import annotations

import contextlib
import json
import shutil
import tempfile
import threading
from pathlib import Path
from typing import Any

from distributed import WorkerPlugin, get_worker

from matcast import __version__
from matcast.build.bundle import Bundle, unpack
from matcast.build.library import SendingReporter, build_episode
from matcast.build.plan import EpisodeJob, Outcome
from matcast.errors import OutputError
from matcast.fs.store import is_url

PLUGIN = "matcast"
"""The plugin's name on every worker."""
PROGRESS_TOPIC = "matcast-progress"
"""The Dask event topic the workers' progress goes out on: (build id, slug, stage, done, total)."""
_GONE = {"cancelled", "released", "forgotten"}
KEEP = 2
"""Builders (build settings) a worker thread keeps between builds."""
LIBRARIES = 8
"""Unpacked library versions a worker keeps (a new version comes with each edit)."""


def worker_version() -> str:
    """matcast's version on a worker (the client refuses workers running another one)."""
    return __version__


class MatcastPlugin(WorkerPlugin):
    """Speech engines kept between tasks, unpacked libraries, the commit guard."""

    name = PLUGIN
    idempotent = True
    """Registered by every build: a worker keeps the plugin it has (and its engines)."""

    def __init__(self) -> None:
        self.builders: dict[tuple[str, int], Any] = {}
        self.libraries: dict[str, Path] = {}
        self.lock = threading.Lock()
        self.root: Path | None = None
        self.worker: Any = None

    def __getstate__(self) -> dict[str, Any]:
        return {}  # sent to the workers empty: each fills its own

    def __setstate__(self, state: dict[str, Any]) -> None:
        self.__init__()  # type: ignore[misc]

    def setup(self, worker: Any) -> None:
        from matcast.fs.atomic import set_commit_guard

        self.worker = worker
        self.root = Path(tempfile.mkdtemp(prefix="matcast-worker-"))
        set_commit_guard(self.guard)

    def teardown(self, worker: Any) -> None:
        for builder in self.builders.values():
            with contextlib.suppress(Exception):
                builder.close()
        self.builders.clear()
        if self.root is not None:
            shutil.rmtree(self.root, ignore_errors=True)

    def guard(self) -> None:
        """Refuse a rename into place for a task that is no longer wanted."""
        from distributed.worker import thread_state

        key = getattr(thread_state, "key", None)
        if key is None or self.worker is None:
            return
        task = self.worker.state.tasks.get(key)
        if task is None or task.state in _GONE:
            raise OutputError("the build that sent this episode was stopped; its files were "
                              "not put in place")

    def library(self, bundle: Bundle) -> tuple[Path, Path]:
        """The unpacked library folder, and the root it was unpacked under."""
        assert self.root is not None
        with self.lock:
            if bundle.digest not in self.libraries:
                if len(self.libraries) >= LIBRARIES:  # the oldest goes (dicts keep order)
                    oldest = next(iter(self.libraries))
                    del self.libraries[oldest]
                    shutil.rmtree(self.root / oldest[:16], ignore_errors=True)
                root = self.root / bundle.digest[:16]
                self.libraries[bundle.digest] = unpack(bundle, root)
            library = self.libraries[bundle.digest]
        return library, self.root / bundle.digest[:16]

    def output(self, out_dir: str) -> Path:
        """Where this thread's builder writes: the output folder, or for a folder in a store a
        private folder of this thread's, from which each episode is uploaded."""
        if not is_url(out_dir):
            return Path(out_dir)
        assert self.root is not None
        folder = self.root / "out" / str(threading.get_ident())
        folder.mkdir(parents=True, exist_ok=True)
        return folder

    def builder(self, options: dict[str, Any]) -> Any:
        """This thread's builder for these settings, started on first use and then kept."""
        from matcast.build.session import Builder, BuildOptions

        key = (json.dumps(options, sort_keys=True, default=str), threading.get_ident())
        with self.lock:
            builder = self.builders.get(key)
        if builder is None:
            cache = options.get("cache_dir")
            settings = {**options, "out_dir": self.output(options["out_dir"]),
                        "cache_dir": cache if is_url(cache) else Path(cache) if cache else None}
            builder = Builder(BuildOptions(**settings), _EventReporter(self.worker))
            with self.lock:
                # A worker serving builds with other settings keeps the latest few builders
                # per thread (each holds its engines' processes and models).
                mine = [k for k in self.builders if k[1] == key[1]]
                old = [self.builders.pop(k) for k in mine[:max(0, len(mine) + 1 - KEEP)]]
                self.builders[key] = builder
            for stale in old:
                with contextlib.suppress(Exception):
                    stale.close()
        return builder


class _EventReporter(SendingReporter):
    """Sends a worker's progress to the client as events: (build, slug, stage, done, total)."""

    def __init__(self, worker: Any) -> None:
        super().__init__()
        self.worker = worker
        self.build = ""

    def _send(self, label: str | None, done: int) -> None:
        with contextlib.suppress(Exception):
            self.worker.log_event(PROGRESS_TOPIC,
                                  (self.build, self.slug, label, done, self.total))


def build_task(build: str, job: EpisodeJob, bundle: Bundle, options: dict[str, Any]
               ) -> Outcome:
    """Build one episode on the worker running this task; never raises for the episode's own
    failures (a lost worker is Dask's to retry)."""
    worker = get_worker()
    plugin = worker.plugins.get(PLUGIN)
    if not isinstance(plugin, MatcastPlugin):
        return Outcome(job.slug, "failed", "the worker has no matcast plugin (it joined after "
                       "the build started and the plugin did not reach it); build again")
    library, root = plugin.library(bundle)
    settings = dict(options)
    allow_long = bool(settings.pop("allow_long", False))
    cues = settings.pop("cues", None)
    for option in ("bed", "voice"):  # files the client sent: where they are here
        value = settings.get(option)
        if isinstance(value, str) and value in bundle.files:
            settings[option] = str(bundle.path(root, value))
    builder = plugin.builder(settings)
    builder.progress.build = build
    builder.progress.slug = job.slug
    builder.progress.stage("starting", 1)
    outcome = build_episode(builder, library, job, allow_long, cues)
    if is_url(settings["out_dir"]):
        from matcast.build.outbox import uploaded
        from matcast.fs.store import Store

        outcome = uploaded(Store(settings["out_dir"]), builder.options.out_dir, outcome)
    return outcome
