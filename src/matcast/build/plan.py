"""Planning a library build: which episodes there are, which need building, and with what.

A manifest in the output folder records, per episode, a hash of everything the episode depends on
(the routine file, the pose files and cover it uses, its options, the speech engine and its
version, voice, rate, encoding settings, the matcast version). A rebuild builds only episodes
whose hash changed or whose files are missing. The manifest also keeps, per routine file, which
files it read: while none of them changed, the routine is not even parsed again, so a rebuild
with nothing to do takes a fraction of a second. :mod:`matcast.build.library` runs the plan.
"""

from __future__ import annotations

import contextlib
import json
import os
import sys
from collections.abc import Sequence
from dataclasses import asdict, dataclass, field, replace
from pathlib import Path
from typing import Any, Literal

from matcast import __version__
from matcast.build.manifest import Manifest, Out, digest, file_digest, stale_file
from matcast.errors import MatcastError, RoutineError
from matcast.routine.paths import LIBRARY_CONFIG as CONFIG_FILE
from matcast.routine.paths import in_library_order, routine_paths

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
        return digest(json.dumps(data, sort_keys=True).encode())


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
    fingerprints: dict[str, str | None] = field(default_factory=dict)
    """File name -> fingerprint of each file a build wrote, taken right after writing."""


def library_defaults(library: Path, manifest: Manifest) -> dict[str, Any]:
    """What ``library.yaml`` says that episodes depend on: the album (the podcast's title), the
    voice and sound defaults, and the digest of a bed file it names. Parsed again only when the
    file changed, so an up-to-date library is not parsed."""
    path = library / CONFIG_FILE
    config_digest = file_digest(path) or ""
    cached = manifest.config
    if (cached.get("digest") == config_digest and "album" in cached and "order" in cached
            and "composed" in cached):
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
        # The order is kept apart from the defaults: reordering the library rebuilds nothing.
        manifest.config = {"digest": config_digest, "album": config.title, "defaults": defaults,
                           "order": list(config.order),
                           "composed": [c.model_dump(mode="json", by_alias=True)
                                        for c in config.composed]}
    bed = (defaults.get("sound") or {}).get("bed")
    if bed and bed not in ("rain", "ocean", "none"):
        defaults["bed_file"] = file_digest(library / bed)
    return defaults


def engine_versions(manifest: Manifest) -> str:
    """Every speech engine's version (what the episodes depend on), kept in the manifest while
    the Python environment is the same: asking the installed packages costs a no-op rebuild
    ~0.08 s of CPU, a quarter of its budget."""
    signature = _environment_signature()
    cached = manifest.environment
    if cached.get("signature") == signature and "engines" in cached:
        return cached["engines"]
    from matcast.voice.versions import engine_versions as installed_versions

    versions = installed_versions()
    manifest.environment = {"signature": signature, "engines": versions}
    return versions


def _environment_signature() -> str:
    """What the engines' versions are read from: the interpreter, the folders installed packages
    live in (installing, upgrading or removing one changes the folder's mtime), the operating
    system, and matcast's environment variables (MATCAST_PIPER_DETERMINISTIC changes Piper)."""
    parts = [sys.version, sys.prefix, sys.base_prefix, sys.platform,
             " ".join(os.uname()) if hasattr(os, "uname") else str(sys.getwindowsversion())]
    for entry in sys.path:
        with contextlib.suppress(OSError):
            if os.path.isdir(entry) and os.path.basename(entry) in (
                    "site-packages", "dist-packages"):
                parts.append(f"{entry} {os.stat(entry).st_mtime_ns}")
    parts += [f"{k}={v}" for k, v in sorted(os.environ.items()) if k.startswith("MATCAST_")]
    return digest("\n".join(parts).encode())


@dataclass
class Plan:
    """The library's episodes and what has to be done about each."""

    jobs: list[EpisodeJob] = field(default_factory=list)
    """Every episode the library declares, in order."""
    todo: list[EpisodeJob] = field(default_factory=list)
    """The episodes to build now."""
    outcomes: list[Outcome] = field(default_factory=list)
    """Episodes skipped, routines that could not be read, duplicates."""
    why: dict[str, str] = field(default_factory=dict)
    """Slug -> why an episode whose inputs did not change is built again (a replaced file)."""


def plan(library: Path, out_dir: Out, manifest: Manifest, settings: BatchSettings,
         force: bool = False, order: Sequence[str] = (),
         composed: Sequence[dict[str, Any]] = ()) -> Plan:
    """Work out every episode of the library, in the library's ``order`` (library.yaml's), then
    its ``composed`` classes (composed first when their poses changed), and which ones need
    building."""
    from matcast.build.composed import compose_library

    fingerprint = settings.fingerprint()
    result = Plan()
    owners: dict[str, str] = {}
    made = compose_library(library, list(composed), manifest)
    result.outcomes += [Outcome(slug, "failed", why) for slug, why in made.failed]
    for path in [*in_library_order(routine_paths(library), order), *made.paths]:
        name = path.relative_to(library).as_posix()
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
            key = digest(json.dumps([fingerprint, inputs, episode["variant"]],
                                    sort_keys=True).encode())
            job = EpisodeJob(slug, episode["title"], name, episode["variant"], key,
                             seconds=float(episode.get("estimate", 0.0)))
            result.jobs.append(job)
            entry = manifest.episodes.get(slug)
            if not force and entry is not None and entry.get("key") == key:
                # Up to date only while its files are still the ones its build wrote: a single
                # build or the Python API may have written over them since.
                stale = stale_file(out_dir, entry)
                if stale is None:
                    result.outcomes.append(Outcome(slug, "skipped", "up to date",
                                                   entry.get("duration"),
                                                   entry.get("mp3_bytes")))
                    continue
                result.why[slug] = stale
            result.todo.append(job)
    # Episode numbers: kept in the library's published.yaml; new ones numbered in library order.
    numbered = []
    if result.todo:
        from matcast.publish.history import episode_numbers, load_history

        todo = {job.slug for job in result.todo}
        numbers = episode_numbers(load_history(library),
                                  [job.slug for job in result.jobs if job.slug in todo],
                                  manifest.episodes)
        for job in result.todo:
            entry = manifest.episodes.get(job.slug, {})
            numbered.append(replace(job, number=numbers[job.slug],
                                    seconds=float(entry.get("duration") or job.seconds)))
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
        if recorded and all(file_digest(library / f) == h for f, h in recorded.items()):
            return recorded, list(known.get("episodes", []))
    from matcast.routine.loader import load_routine
    from matcast.routine.model import Variant

    loaded = load_routine(path)
    files = [path, *loaded.pose_paths.values(), *([loaded.cover] if loaded.cover else []),
             *([loaded.bed] if loaded.bed else [])]
    inputs = {}
    for file in files:
        rel = os.path.relpath(file.resolve(), library.resolve())
        inputs[rel] = file_digest(file) or ""
    episodes = []
    for variant in loaded.routine.variants or [Variant()]:
        options = variant.model_dump(mode="json", exclude_none=True)
        episodes.append({"slug": variant.episode_slug(loaded.slug),
                         "title": variant.episode_title(loaded.routine.title),
                         "variant": options, "estimate": _estimate(loaded, options)})
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
