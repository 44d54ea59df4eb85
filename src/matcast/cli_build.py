"""``matcast build``'s work: single routines, or a whole library built, reported and published.

The command and its options are in :mod:`matcast.cli`; this module takes the folder lock, runs the
build side (:mod:`matcast.build`) and prints what happened.
"""

from __future__ import annotations

import contextlib
import json
import sys
from collections.abc import Callable
from pathlib import Path
from typing import TYPE_CHECKING

import typer

from matcast import cli_checks as checks
from matcast.errors import UsageError
from matcast.routine.enums import CueSounds
from matcast.routine.paths import no_routines, resolve_routine, routine_paths, shown_path

if TYPE_CHECKING:
    from matcast.build.manifest import Manifest, Out
    from matcast.build.plan import Plan
    from matcast.compiler import CompileOptions
    from matcast.fs.store import Store


def build_routines(names: list[str], out_dir: Path | str, engine: str | None,
                    voice: str | None, rate: int | None, cache_dir: Path | str | None,
                    bitrate: str, stereo: bool, options: CompileOptions, quiet: bool,
                    library: Path | None, bed: str | None, bed_level: float | None) -> None:
    """Build routines into ``out_dir``: a folder, or an fsspec URL (each episode built in a
    private temp folder, then uploaded: :mod:`matcast.build.outbox`)."""
    from matcast.build.progress import reporter
    from matcast.build.session import Builder, BuildOptions
    from matcast.lint.command import build_warnings
    from matcast.publish.clock import clock as length
    from matcast.routine.loader import load_routine

    loaded = [load_routine(resolve_routine(name, library)) for name in names]
    seen: dict[str, str] = {}
    for routine in loaded:
        options.check(routine)
        slug = options.variant().episode_slug(routine.slug)
        if slug in seen:
            where = f"{out_dir}/{slug}" if isinstance(out_dir, str) else out_dir / slug
            raise UsageError(f"{routine.path} and {seen[slug]} would both write "
                             f"{where}.mp3; build them into separate folders")
        seen[slug] = str(routine.path)
    progress = reporter(quiet)
    try:
        with contextlib.ExitStack() as stack:
            url = isinstance(out_dir, str)
            folder = stack.enter_context(_staging()) if url else Path(out_dir)
            build_options = BuildOptions(out_dir=folder, engine=engine, voice=voice, rate=rate,
                                         cache_dir=cache_dir, bitrate=bitrate, stereo=stereo,
                                         bed=bed, bed_level=bed_level)
            builder = stack.enter_context(Builder(build_options, progress))
            # Everything that can be refused is, before the first file is written.
            for routine in loaded:
                builder.prepare(routine)
            store = _store(out_dir)
            outputs = [checks.output_folder(folder)] if store is None else []
            created = checks.usable_folders(*_cache_folders(cache_dir), *outputs)
            stack.enter_context(checks.removed_if_unused(created))
            stack.enter_context(_out_lock(out_dir, store, quiet))
            numbers = _manifest(store)
            for routine in loaded:
                slug = options.variant().episode_slug(routine.slug)
                result = builder.build(routine, options, track=(
                    numbers.number(slug) if numbers is not None else None))
                shown = str(result.mp3)
                if store is not None:
                    from matcast.build.outbox import upload_episode

                    upload_episode(store, folder, [f.name for f in result.files])
                    shown = store.shown(result.mp3.name)
                progress.finish()
                if not quiet:
                    typer.echo(f"{shown}  {length(result.duration_seconds)}"
                               f"  {result.mp3_bytes / 1e6:.1f} MB  "
                               f"({result.speech.rendered} lines spoken, "
                               f"{result.speech.cached} from cache; "
                               f"routine {shown_path(routine.path)})")
                # Coaching warnings show even with --quiet ("nothing but warnings and
                # errors").
                for line in build_warnings(routine, result.script):
                    typer.echo(line, err=True)
    finally:
        progress.finish()


def _store(out_dir: Path | str) -> Store | None:
    """The output folder's store if it is a URL (checked writable, before any long work)."""
    if not isinstance(out_dir, str):
        return None
    from matcast.fs.store import Store

    store = Store(out_dir)
    store.check_writable("output folder")
    return store


def _staging() -> contextlib.AbstractContextManager[Path]:
    from matcast.build.outbox import staging

    return staging()


def _manifest(store: Store | None) -> Manifest | None:
    if store is None:
        return None
    from matcast.build.manifest import Manifest

    return Manifest.load(store)


def _out_lock(out_dir: Path | str, store: Store | None, quiet: bool
              ) -> contextlib.AbstractContextManager[None]:
    """The output folder's build lock: the folder's own, or for a store this machine's lock
    for its URL and a lease in the store (:mod:`matcast.build.lease`)."""
    if store is not None:
        from matcast.build.lease import store_lock

        return store_lock(store, _waiting(store.url, quiet))
    from matcast.build.lock import folder_lock

    return folder_lock(Path(out_dir), _waiting(Path(out_dir), quiet))


def build_library(library: Path, out_dir: Path | str, engine: str | None,
                  voice: str | None, rate: int | None, cache_dir: Path | str | None,
                  bitrate: str, stereo: bool, jobs: int, force: bool, base_url: str | None,
                  quiet: bool, allow_long: bool, sound: dict[str, object],
                  cluster: str | None = None) -> int:
    """Build and publish a library into a folder or an fsspec URL; the exit code is 1 if any
    episode failed."""
    if not routine_paths(library) and not _declares_composed(library):
        raise no_routines(library)  # a missing library, or a file, is refused by routine_paths
    folders = [] if isinstance(out_dir, str) else [checks.output_folder(out_dir)]
    if cache_dir is not None:
        folders[:0] = _cache_folders(cache_dir)
    created = checks.usable_folders(*folders)
    with checks.removed_if_unused(created):
        store = _store(out_dir)
    out: Out = store if store is not None else Path(out_dir)
    with checks.removed_if_unused(created), _out_lock(out_dir, store, quiet):
        return _build_library_locked(library, out, engine, voice, rate, cache_dir, bitrate,
                                     stereo, jobs, force, base_url, quiet, allow_long, sound,
                                     cluster)


def _cache_folders(cache_dir: Path | str | None) -> list[checks.Folder]:
    """The cache folder to check; a cache at a URL is checked here by writing a probe."""
    if isinstance(cache_dir, str):
        from matcast.fs.store import Store

        Store(cache_dir).check_writable("speech cache folder")
        return []
    return [checks.cache_folder(cache_dir)]


def _declares_composed(library: Path) -> bool:
    """Whether the library's library.yaml declares composed classes (a library may hold only
    those)."""
    from matcast.routine.loader import load_library_config
    from matcast.routine.paths import LIBRARY_CONFIG

    config = library / LIBRARY_CONFIG
    return config.is_file() and bool(load_library_config(config).composed)


def _waiting(out_dir: Path | str, quiet: bool) -> Callable[[], None]:
    def say() -> None:
        if not quiet:
            typer.echo(f"waiting for another build of {out_dir} to finish", err=True)
    return say


def _build_library_locked(library: Path, out_dir: Out, engine: str | None,
                          voice: str | None, rate: int | None, cache_dir: Path | str | None,
                          bitrate: str, stereo: bool, jobs: int, force: bool,
                          base_url: str | None, quiet: bool, allow_long: bool,
                          sound: dict[str, object], cluster: str | None) -> int:
    from matcast.audio.levels import LEVEL_ID
    from matcast.build import library as batch
    from matcast.build import plan as planning
    from matcast.build.manifest import Manifest, file_digest
    from matcast.routine.paths import lexicon_path
    from matcast.voice.default import default_engine

    manifest = Manifest.load(out_dir)
    defaults = planning.library_defaults(library, manifest)
    lexicon = lexicon_path(library)
    cues = sound["cues"]
    settings = planning.BatchSettings(
        engine, planning.engine_versions(manifest), voice, rate, bitrate, stereo, defaults["album"],
        LEVEL_ID,
        json.dumps({**defaults, "bed": sound["bed"], "bed_level": sound["bed_level"],
                    "cues": cues.value if isinstance(cues, CueSounds) else None,
                    # The engine when none is named, and how words are respelled for it.
                    "default_engine": default_engine(),
                    "lexicon": file_digest(lexicon) if lexicon else None,
                    "bed_file": file_digest(Path(str(sound["bed"])))
                    if sound["bed"] not in (None, "rain", "ocean", "none") else None},
                   sort_keys=True))
    plan = planning.plan(library, out_dir, manifest, settings, force,
                         manifest.config.get("order", []), manifest.config.get("composed", []))
    if plan.todo:
        # Only now: a rebuild with nothing to do never touches the cache or starts an engine.
        if cache_dir is None:
            checks.usable_folders(checks.cache_folder(None))
        checks.library_choices(library, [job.routine for job in plan.todo], engine, voice,
                               rate, sound["bed"], sound["bed_level"])
    outcomes = list(plan.outcomes)
    bar = None
    if plan.todo and not quiet and sys.stderr.isatty():
        from rich.console import Console

        from matcast.build.library_view import BatchBar

        bar = BatchBar(len(plan.todo), Console(stderr=True))
    build_options = {"engine": engine, "voice": voice, "rate": rate, "bitrate": bitrate,
                     "stereo": stereo, "album": settings.album, "allow_long": allow_long,
                     "cache_dir": str(cache_dir) if cache_dir else None,
                     "bed": sound["bed"], "bed_level": sound["bed_level"],
                     "cues": cues.value if isinstance(cues, CueSounds) else None}
    try:
        if cluster is not None:
            from matcast.build import dask_run

            outcomes += dask_run.run(plan, library, out_dir, manifest, build_options, cluster,
                                     bar.callbacks() if bar else None)
        else:
            outcomes += batch.run(plan, library, out_dir, manifest, build_options, jobs,
                                  bar.callbacks() if bar else None)
    finally:
        if bar is not None:
            bar.stop()
    for outcome in outcomes:
        if outcome.status == "removed":
            batch.remove_episode(manifest, out_dir, outcome.slug)
    manifest.save(out_dir)
    published = _publish(library, out_dir, manifest, plan, base_url)
    if not quiet:
        from matcast.build.library_view import summary, use_colour

        typer.echo(summary(outcomes, use_colour(sys.stdout.isatty())))
        typer.echo(f"library {shown_path(library)}: {len(plan.jobs)} episodes"
                   + (f"; {published}" if published else ""))
    failed = [o for o in outcomes if o.status == "failed"]
    if quiet:
        # --quiet drops the summary, not the failures: a script must see what went wrong.
        for outcome in failed:
            typer.echo(f"error: {outcome.slug}: {outcome.reason}", err=True)
    return 1 if failed else 0


def _publish(library: Path, out_dir: Out, manifest: Manifest, plan: Plan,
             base_url: str | None) -> str:
    from matcast.publish.files import FEED, PAGE

    if isinstance(out_dir, Path):
        from matcast.publish.library import publish

        result = publish(library, out_dir, plan.jobs, manifest.episodes, base_url,
                         manifest.publish)
    else:
        from matcast.build.outbox import publish_to_store

        result = publish_to_store(library, out_dir, plan.jobs, manifest.episodes, base_url,
                                  manifest.publish)
    if not result.skipped:
        manifest.publish = result.key
        manifest.save(out_dir)
    for warning in result.warnings:
        typer.echo(f"warning: {warning}", err=True)
    if result.skipped:
        return ""
    names = ", ".join(sorted(p.name for p in result.files if p.name in (PAGE, FEED)))
    where = out_dir if isinstance(out_dir, Path) else out_dir.url
    return f"published {names} in {where}" + (f"; {result.note}" if result.note else "")


def check_base_url(url: str | None) -> None:
    from matcast.routine.links import url_problem

    problem = url_problem(url, base=True) if url is not None else None
    if problem is not None:
        raise UsageError(f"--base-url: {problem}")
