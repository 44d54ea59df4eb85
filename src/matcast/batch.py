"""Building a whole library: every routine and every variant, in parallel and incrementally.

A manifest in the output folder records, per episode, a hash of everything the episode depends on
(the routine file, the pose files and cover it uses, its options, the speech engine and its
version, voice, rate, encoding settings, the matcast version). A rebuild builds only episodes
whose hash changed or whose files are missing. The manifest also keeps, per routine file, which
files it read: while none of them changed, the routine is not even parsed again, so a rebuild
with nothing to do takes a fraction of a second.

Episodes are built in worker processes, each with its own speech engine; they share the utterance
cache (its writes are atomic). One failing routine or episode does not stop the others.
"""

from __future__ import annotations

import contextlib
import datetime as dt
import hashlib
import json
import multiprocessing
import os
import queue
import time
import traceback
import uuid
from collections.abc import Callable, Iterator
from concurrent.futures import FIRST_COMPLETED, Future, ProcessPoolExecutor, wait
from concurrent.futures.process import BrokenProcessPool
from dataclasses import asdict, dataclass, field
from pathlib import Path
from typing import Any, Literal

from matcast import __version__
from matcast.atomic import write_atomic
from matcast.errors import MatcastError, RoutineError
from matcast.library import LIBRARY_CONFIG as CONFIG_FILE
from matcast.library import routine_paths

MANIFEST = "manifest.json"
"""The manifest's file name in the output folder."""
MANIFEST_VERSION = 1
BUILD_REVISION = 1
"""Bumped whenever a change to matcast changes what a build writes for the same inputs."""

Status = Literal["built", "skipped", "failed", "removed"]


@dataclass(frozen=True)
class BatchSettings:
    """Everything outside the routine files that an episode's files depend on."""

    engine: str | None
    engine_versions: str
    """Every engine's version: a routine or the library may pick any of them."""
    voice: str | None
    rate: int | None
    bitrate: str
    stereo: bool
    album: str
    mastering: str
    sound: str
    """The library's voice and sound defaults and the command line's sound options, as JSON."""

    def fingerprint(self) -> str:
        data = {**asdict(self), "matcast": __version__, "revision": BUILD_REVISION}
        return _digest(json.dumps(data, sort_keys=True).encode())


@dataclass(frozen=True)
class EpisodeJob:
    """One episode to build: a routine file with one variant's options."""

    slug: str
    title: str
    routine: str
    """The routine file, relative to the library folder."""
    variant: dict[str, Any]
    """The variant's options (minutes, style, level, pace), JSON-ready."""
    key: str
    """Hash of everything the episode depends on."""
    number: int = 0
    published: str = ""
    guid: str = ""
    """Assigned at first publication and kept: podcast apps know the episode by it."""
    seconds: float = 0.0
    """Expected length: the longest episodes start first, so no worker idles at the end."""


@dataclass
class Outcome:
    """What happened to one episode (or to a routine that could not be read)."""

    slug: str
    status: Status
    reason: str = ""
    duration: float | None = None
    mp3_bytes: int | None = None
    spoken: int = 0
    cached: int = 0


@dataclass
class Manifest:
    """The output folder's record of what was built from what."""

    settings: str = ""
    routines: dict[str, dict[str, Any]] = field(default_factory=dict)
    """Routine file -> {"inputs": {file: sha256}, "episodes": [{slug, title, variant}]}."""
    episodes: dict[str, dict[str, Any]] = field(default_factory=dict)
    """Slug -> {routine, key, number, published, title, variant, files, mp3_bytes, duration}."""
    publish: str = ""
    """Hash of what the feed and the library page were last made from."""
    config: dict[str, str] = field(default_factory=dict)
    """The library config's digest and the album name read from it."""

    @classmethod
    def load(cls, out_dir: Path) -> Manifest:
        try:
            data = json.loads((out_dir / MANIFEST).read_text(encoding="utf-8"))
        except (OSError, ValueError):
            return cls()
        if not isinstance(data, dict) or data.get("version") != MANIFEST_VERSION:
            return cls()
        return cls(str(data.get("settings", "")), dict(data.get("routines", {})),
                   dict(data.get("episodes", {})), str(data.get("publish", "")),
                   dict(data.get("config", {})))

    def save(self, out_dir: Path) -> None:
        """Write the manifest (atomically), unless it is already on disk as it is."""
        data = {"version": MANIFEST_VERSION, "settings": self.settings,
                "routines": self.routines, "episodes": self.episodes, "publish": self.publish,
                "config": self.config}
        text = (json.dumps(data, indent=1, sort_keys=True, ensure_ascii=False) + "\n").encode()
        path = out_dir / MANIFEST
        try:
            if path.read_bytes() == text:
                return
        except OSError:
            pass
        write_atomic(path, text)


def library_defaults(library: Path, manifest: Manifest) -> dict[str, Any]:
    """What ``library.yaml`` says that episodes depend on: the album (the podcast's title), the
    voice and sound defaults, and the digest of a bed file it names. Parsed again only when the
    file changed, so an up-to-date library is not parsed."""
    path = library / CONFIG_FILE
    digest = _file_digest(path) or ""
    cached = manifest.config
    if cached.get("digest") == digest and "album" in cached:
        defaults = dict(cached.get("defaults", {}))
    else:
        if path.is_file():
            from matcast.routine.loader import load_library_config

            config = load_library_config(path)
        else:
            from matcast.routine.library_config import LibraryConfig

            config = LibraryConfig()
        defaults = {"album": config.title,
                    "voice": config.voice.model_dump(mode="json") if config.voice else None,
                    "sound": config.sound.model_dump(mode="json") if config.sound else None}
        manifest.config = {"digest": digest, "album": config.title, "defaults": defaults}
    bed = (defaults.get("sound") or {}).get("bed")
    if bed and bed not in ("rain", "ocean", "none"):
        defaults["bed_file"] = _file_digest(library / bed)
    return defaults


def file_digest(path: Path) -> str | None:
    """SHA-256 of a file's bytes, or None if it cannot be read."""
    return _file_digest(path)


def _digest(data: bytes) -> str:
    return hashlib.sha256(data).hexdigest()


def _file_digest(path: Path) -> str | None:
    try:
        return _digest(path.read_bytes())
    except OSError:
        return None


@dataclass
class Plan:
    """The library's episodes and what has to be done about each."""

    jobs: list[EpisodeJob] = field(default_factory=list)
    """Every episode the library declares, in order."""
    todo: list[EpisodeJob] = field(default_factory=list)
    """The episodes to build now."""
    outcomes: list[Outcome] = field(default_factory=list)
    """Episodes skipped, routines that could not be read, duplicates."""


def plan(library: Path, out_dir: Path, manifest: Manifest, settings: BatchSettings,
         force: bool = False) -> Plan:
    """Work out every episode of the library and which ones need building."""
    fingerprint = settings.fingerprint()
    result = Plan()
    owners: dict[str, str] = {}
    for path in routine_paths(library):
        name = path.name
        try:
            inputs, episodes = _routine_episodes(library, path, manifest.routines.get(name))
        except RoutineError as exc:
            first = exc.problems[0].format().splitlines()[0] if exc.problems else str(exc)
            more = f" (and {len(exc.problems) - 1} more)" if len(exc.problems) > 1 else ""
            result.outcomes.append(Outcome(path.stem, "failed", f"invalid routine: {first}{more}"))
            # Its earlier episodes stay published with their old files.
            for slug, entry in manifest.episodes.items():
                if entry.get("routine") == name:
                    owners.setdefault(slug, name)
            continue
        manifest.routines[name] = {"inputs": inputs, "episodes": episodes}
        for episode in episodes:
            slug = episode["slug"]
            if slug in owners:
                result.outcomes.append(Outcome(
                    slug, "failed", f"{name} would overwrite the episode of {owners[slug]}; "
                    "rename one routine or change its variants"))
                continue
            owners[slug] = name
            key = _digest(json.dumps([fingerprint, inputs, episode["variant"]],
                                     sort_keys=True).encode())
            job = EpisodeJob(slug, episode["title"], name, episode["variant"], key,
                             seconds=float(episode.get("estimate", 0.0)))
            result.jobs.append(job)
            entry = manifest.episodes.get(slug)
            if (not force and entry is not None and entry.get("key") == key
                    and all((out_dir / f).is_file() for f in entry.get("files", [None]))):
                result.outcomes.append(Outcome(slug, "skipped", "up to date",
                                               entry.get("duration"), entry.get("mp3_bytes")))
            else:
                result.todo.append(job)
    # Episode numbers: kept for episodes published before, new ones numbered in order.
    used = [int(e["number"]) for e in manifest.episodes.values() if "number" in e]
    next_number = max(used, default=0) + 1
    now = dt.datetime.now(dt.UTC).replace(microsecond=0).isoformat()
    numbered = []
    for job in result.todo:
        entry = manifest.episodes.get(job.slug, {})
        number = entry.get("number")
        if number is None:
            number, next_number = next_number, next_number + 1
        numbered.append(EpisodeJob(job.slug, job.title, job.routine, job.variant, job.key,
                                   int(number), entry.get("published", now),
                                   entry.get("guid") or f"urn:uuid:{uuid.uuid4()}",
                                   float(entry.get("duration") or job.seconds)))
    result.todo = sorted(numbered, key=lambda j: -j.seconds)
    for slug in sorted(set(manifest.episodes) - set(owners)):
        result.outcomes.append(Outcome(slug, "removed", "no longer in the library"))
    return result


def _routine_episodes(library: Path, path: Path, known: dict[str, Any] | None
                      ) -> tuple[dict[str, str], list[dict[str, Any]]]:
    """The files a routine reads (with their hashes) and the episodes it declares.

    Taken from the manifest while none of those files changed; else the routine is loaded.
    """
    if known is not None:
        recorded: dict[str, str] = known.get("inputs", {})
        if recorded and all(_file_digest(library / f) == h for f, h in recorded.items()):
            return recorded, list(known.get("episodes", []))
    from matcast.routine.loader import load_routine

    loaded = load_routine(path)
    files = [path, *loaded.pose_paths.values(), *([loaded.cover] if loaded.cover else []),
             *([loaded.bed] if loaded.bed else [])]
    inputs = {}
    for file in files:
        rel = os.path.relpath(file.resolve(), library.resolve())
        inputs[rel] = _file_digest(file) or ""
    episodes = []
    variants = loaded.routine.variants or [None]
    for variant in variants:
        suffix = variant.suffix() if variant is not None else ""
        label = variant.label() if variant is not None else ""
        options = variant.model_dump(mode="json", exclude_none=True) if variant else {}
        title = loaded.routine.title + (f" ({label})" if label else "")
        episodes.append({"slug": loaded.slug + suffix, "title": title, "variant": options,
                         "estimate": _estimate(loaded, options)})
    return inputs, episodes


def _estimate(loaded: Any, variant: dict[str, Any]) -> float:
    """Seconds the episode will last, from the compiler's speech estimate (0 if it cannot be
    compiled: the build will report why)."""
    from matcast.compiler import compile_routine

    try:
        return compile_routine(loaded, compile_options(variant)).duration_seconds
    except MatcastError:
        return 0.0


def compile_options(variant: dict[str, Any], allow_long: bool = False,
                    cues: str | None = None) -> Any:
    """CompileOptions from a variant's JSON options (and the command line's cue sounds)."""
    from matcast.compiler import CompileOptions
    from matcast.routine.enums import CueSounds, Guidance, Level, Pace, Style

    return CompileOptions(
        style=Style(variant["style"]) if "style" in variant else None,
        level=Level(variant.get("level", Level.all.value)),
        pace=Pace(variant.get("pace", Pace.medium.value)),
        minutes=variant.get("minutes"), allow_long=allow_long,
        cues=CueSounds(cues) if cues else None,
        guidance=Guidance(variant.get("guidance", Guidance.full.value)))


# --- Building in worker processes ----------------------------------------------------------

_worker: dict[str, Any] = {}


def _init_worker(library: str, out_dir: str, build_options: dict[str, Any],
                 messages: Any) -> None:
    from matcast.build import Builder, BuildOptions

    _worker["allow_long"] = bool(build_options.pop("allow_long", False))
    _worker["cues"] = build_options.pop("cues", None)
    options = BuildOptions(**{**build_options, "out_dir": Path(out_dir),
                              "cache_dir": Path(build_options["cache_dir"])
                              if build_options.get("cache_dir") else None})
    _worker["library"] = Path(library)
    _worker["messages"] = messages
    _worker["builder"] = Builder(options, _QueueReporter(messages))


class _QueueReporter:
    """Sends a worker's progress to the parent: (slug, stage, done, total)."""

    def __init__(self, messages: Any) -> None:
        self.messages = messages
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
        if self.messages is not None:
            self.messages.put((self.slug, label, done, self.total))


def _build_one(job: EpisodeJob) -> Outcome:
    """Build one episode in a worker; never raises."""
    from matcast.routine.loader import load_routine

    builder = _worker["builder"]
    builder.progress.slug = job.slug
    try:
        loaded = load_routine(_worker["library"] / job.routine)
        options = compile_options(job.variant, _worker["allow_long"], _worker["cues"])
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
                   result.speech.rendered, result.speech.cached)


@dataclass
class Progress:
    """Callbacks the batch calls as episodes start, move and end (the CLI draws them)."""

    started: Callable[[str], None] = lambda slug: None
    moved: Callable[[str, str | None, int, int], None] = lambda slug, label, done, total: None
    ended: Callable[[Outcome], None] = lambda outcome: None


def run(plan_: Plan, library: Path, out_dir: Path, manifest: Manifest,
        build_options: dict[str, Any], jobs: int, progress: Progress | None = None
        ) -> Iterator[Outcome]:
    """Build ``plan_.todo`` in ``jobs`` worker processes; yield each outcome as it comes.

    The manifest is updated and saved after every finished episode, so an interrupted batch
    keeps what it completed.
    """
    # Workers report their stages only when something draws them: the queue needs a manager
    # process of its own, not worth starting for --quiet or piped output.
    shown = progress is not None
    progress = progress or Progress()
    if not plan_.todo:
        return
    by_slug = {job.slug: job for job in plan_.todo}
    context = multiprocessing.get_context("spawn")
    messages = context.Manager().Queue() if shown else None
    workers = max(1, min(jobs, len(plan_.todo)))
    with ProcessPoolExecutor(workers, mp_context=context, initializer=_init_worker,
                             initargs=(str(library), str(out_dir), build_options,
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
                if outcome.status == "built":
                    _record(manifest, by_slug[outcome.slug], outcome)
                    manifest.save(out_dir)
                progress.ended(outcome)
                yield outcome


def _drain(messages: Any, progress: Progress) -> None:
    if messages is None:
        return
    for _ in range(1000):
        try:
            slug, label, done, total = messages.get_nowait()
        except (queue.Empty, OSError, EOFError):
            return
        progress.moved(slug, label, done, total)


def _record(manifest: Manifest, job: EpisodeJob, outcome: Outcome) -> None:
    from matcast.publish.files import episode_files

    manifest.episodes[job.slug] = {
        "routine": job.routine, "key": job.key, "number": job.number,
        "published": job.published, "guid": job.guid, "title": job.title,
        "variant": job.variant,
        "files": episode_files(job.slug), "mp3_bytes": outcome.mp3_bytes,
        "duration": outcome.duration, "built": time.strftime("%Y-%m-%dT%H:%M:%SZ",
                                                             time.gmtime()),
    }


def remove_episode(manifest: Manifest, out_dir: Path, slug: str) -> None:
    """Forget an episode that is no longer in the library and delete its files."""
    entry = manifest.episodes.pop(slug, {})
    for name in entry.get("files", []):
        with contextlib.suppress(OSError):
            (out_dir / name).unlink()
