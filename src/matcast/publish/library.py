"""Publishing a built library: show notes, the podcast feed and the library page.

Reads the library's episodes (:class:`LibraryEpisode`) and what the build recorded of them
(:data:`Built`; the manifest itself is the build side's business), the routines, the library's
publication history (``published.yaml``) and each episode's cue-script sidecar, turns them into
:class:`~matcast.publish.records.EpisodeRecord`, and hands those to the writers, in the library's
order. Episodes published for the first time are recorded in the history first (number, date,
and the podcast's GUID with the first feed). Skipped when nothing it reads changed since the last
time.
"""

from __future__ import annotations

import datetime as dt
import hashlib
import json
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import TYPE_CHECKING, Any, Protocol

from matcast import __version__
from matcast.cues import SAMPLE_RATE, CueScript
from matcast.errors import OutputError
from matcast.fs.atomic import atomic_paths
from matcast.publish.files import FEED, NOTES_SUFFIX, PAGE
from matcast.routine.paths import LIBRARY_CONFIG as CONFIG_FILE
from matcast.routine.paths import PUBLISHED

if TYPE_CHECKING:
    from matcast.publish.history import History
    from matcast.publish.records import EpisodeRecord
    from matcast.routine.library_config import LibraryConfig
    from matcast.routine.loader import LoadedRoutine

PUBLISH_REVISION = 2
"""Bumped when the feed, notes or page change for the same episodes."""
SHOW_COVER = "cover"
"""Base name of the show's cover image in the output folder."""


class LibraryEpisode(Protocol):
    """One episode of the library, as the publisher reads it (the build's plan has these)."""

    @property
    def slug(self) -> str: ...
    @property
    def title(self) -> str: ...
    @property
    def routine(self) -> str:
        """The routine file, relative to the library folder."""
        ...
    @property
    def variant(self) -> Mapping[str, Any]:
        """The variant's options (minutes, style, level, pace)."""
        ...


Built = Mapping[str, Mapping[str, Any]]
"""What the last build recorded of each built episode, by slug (key, number, title, mp3_bytes,
duration, fingerprints; an older build's published date and GUID)."""


@dataclass(frozen=True)
class Published:
    """What a publish wrote, or why it wrote less."""

    files: tuple[Path, ...]
    note: str = ""
    skipped: bool = False
    warnings: tuple[str, ...] = ()
    """What the user should fix, though everything was written."""
    key: str = ""
    """The :func:`publish_key` to keep for the next publish (which skips when it is unchanged)."""


def library_config(library: Path) -> LibraryConfig:
    """The library's ``library.yaml``, or the defaults when it has none."""
    from matcast.routine.library_config import LibraryConfig
    from matcast.routine.loader import load_library_config

    path = library / CONFIG_FILE
    return load_library_config(path) if path.is_file() else LibraryConfig()


def publish_key(library: Path, episodes: Sequence[LibraryEpisode], built: Built,
                base_url: str | None) -> str:
    """A hash of everything the feed, the notes and the page are made from (read as bytes: a
    library with nothing new is not parsed)."""
    data = [PUBLISH_REVISION, __version__, base_url]
    for name in (CONFIG_FILE, PUBLISHED):
        path = library / name
        data.append(hashlib.sha256(path.read_bytes()).hexdigest() if path.is_file() else None)
    for job in episodes:
        entry = built.get(job.slug)
        if entry is not None:
            # The fingerprints change whenever an episode's files are written again.
            data.append([job.slug, entry.get("key"), entry.get("number"),
                         entry.get("mp3_bytes"), entry.get("duration"),
                         entry.get("fingerprints")])
    return hashlib.sha256(json.dumps(data, sort_keys=True).encode()).hexdigest()


def publish(library: Path, out_dir: Path, jobs: Sequence[LibraryEpisode], built: Built,
            base_url: str | None, previous_key: str | None, force: bool = False) -> Published:
    """Write show notes, ``index.html`` and (given a base URL) ``feed.xml`` for the built
    episodes among ``jobs``. Every file is written atomically, all renamed together. Skipped when
    ``previous_key`` (the last publish's :attr:`Published.key`) shows nothing changed."""
    key = publish_key(library, jobs, built, base_url)
    page = out_dir / PAGE
    if not force and previous_key == key and page.is_file():
        return Published((), skipped=True, key=key)

    from matcast.publish.feed import feed_xml
    from matcast.publish.notes import show_notes_page
    from matcast.publish.page import library_page

    config = library_config(library)
    given_url, base_url = base_url, base_url or config.base_url
    history, warnings = _record_history(library, out_dir, jobs, built, base_url)
    records = _records(library, out_dir, jobs, built, config, history)
    cover_name, cover = _show_cover(library, config)
    outputs: dict[Path, bytes] = {out_dir / cover_name: cover}
    for record in records:
        outputs[out_dir / f"{record.slug}{NOTES_SUFFIX}"] = show_notes_page(
            record, config).encode("utf-8")
    outputs[page] = library_page(config, records, cover_name).encode("utf-8")
    note = ""
    if base_url and records:
        base = base_url if base_url.endswith("/") else base_url + "/"
        outputs[out_dir / FEED] = feed_xml(config, records, base, base + cover_name,
                                           history.podcast_guid)
        if not config.email:
            warnings.append(
                f"{FEED} has no owner e-mail (itunes:owner, podcast:locked): set email: in "
                f"{CONFIG_FILE}; Apple Podcasts, Spotify and other directories verify that you "
                "own the feed through it")
    elif not records:
        note = f"{FEED} not written: no episode has been built yet"
    else:
        note = (f"{FEED} not written: no base URL (set base_url in {CONFIG_FILE} or pass "
                "--base-url)")
    targets = list(outputs)
    with atomic_paths(targets) as tmps:
        for tmp, target in zip(tmps, targets, strict=True):
            tmp.write_bytes(outputs[target])
    # The key as it is now that published.yaml has the new episodes: the next build skips.
    return Published(tuple(targets), note, warnings=tuple(warnings),
                     key=publish_key(library, jobs, built, given_url))


def _record_history(library: Path, out_dir: Path, jobs: Sequence[LibraryEpisode], built: Built,
                    base_url: str | None) -> tuple[History, list[str]]:
    """The library's history with every built episode in it, saved to ``published.yaml`` when
    that added something; a warning instead when the file cannot be written."""
    from matcast.publish.feed import feed_url
    from matcast.publish.history import load_history, record, save_history

    history = load_history(library)
    numbers = [(job.slug, int(built[job.slug]["number"])) for job in jobs
               if job.slug in built and (out_dir / f"{job.slug}.cues.json").is_file()]
    updated = record(history, numbers, built, dt.datetime.now(dt.UTC),
                     feed_url(base_url) if base_url else None)
    warnings = []
    if updated != history:
        try:
            save_history(library, updated)
        except OutputError as exc:
            warnings.append(f"{exc}; the publication dates of new episodes are not kept, so the "
                            f"next build dates them again (make {library / PUBLISHED} writable)")
    return updated, warnings


def _show_cover(library: Path, config: LibraryConfig) -> tuple[str, bytes]:
    from matcast.routine.loader import image_mime

    if config.image:
        path = (library / config.image).resolve()
        if not path.is_relative_to(library.resolve()):
            raise OutputError(f"the show image {config.image!r} is outside {library}")
        try:
            data = path.read_bytes()
        except OSError as exc:
            raise OutputError(f"cannot read the show image {path}: {exc.strerror}") from exc
        mime = image_mime(data)
        if mime is None:
            raise OutputError(f"the show image {path} is not a PNG or JPEG")
        return f"{SHOW_COVER}.{'jpg' if mime == 'image/jpeg' else 'png'}", data
    from matcast.audio.cover import make_cover

    return f"{SHOW_COVER}.png", make_cover(config.title, "guided yoga sessions")


def _records(library: Path, out_dir: Path, jobs: Sequence[LibraryEpisode], built: Built,
             config: LibraryConfig, history: History) -> list[EpisodeRecord]:
    """A record per built episode, in the order of ``jobs`` (the library's)."""
    from matcast.routine.loader import load_routine

    records = []
    routines: dict[str, LoadedRoutine | None] = {}
    for job in jobs:
        entry = built.get(job.slug)
        cues = out_dir / f"{job.slug}.cues.json"
        if entry is None or not cues.is_file():
            continue  # never built (its build failed): nothing to publish
        if job.routine not in routines:
            try:
                routines[job.routine] = load_routine(library / job.routine)
            except Exception:
                routines[job.routine] = None
        loaded = routines[job.routine]
        script = CueScript.from_dict(json.loads(cues.read_text(encoding="utf-8")))
        records.append(_record(job, entry, script, loaded, config, history))
    return records


def _record(job: LibraryEpisode, entry: Mapping[str, Any], script: CueScript,
            loaded: LoadedRoutine | None, config: LibraryConfig,
            history: History) -> EpisodeRecord:
    from matcast.publish.records import EpisodeRecord, PoseNote

    routine = loaded.routine if loaded is not None else None
    poses = []
    for chapter in script.chapters:
        pose = loaded.poses.get(chapter.pose) if loaded and chapter.pose else None
        if pose is None:
            continue
        poses.append(PoseNote(
            pose=chapter.pose or "", name=pose.name, sanskrit=pose.sanskrit,
            targets=tuple(t.spoken for t in pose.targets), tips=tuple(pose.tips),
            cautions=tuple(c if isinstance(c, str) else c.say for c in pose.cautions),
            start=chapter.start / SAMPLE_RATE))
    variant = job.variant
    published = history.episodes[job.slug]
    # The episode's level: the variant's, else the one the routine is written for.
    level = variant.get("level") or (routine.level if routine else script.options.get("level"))
    return EpisodeRecord(
        slug=job.slug,
        title=entry.get("title") or job.title,
        routine=Path(job.routine).stem,
        description=(routine.description if routine and routine.description
                     else (routine.title if routine else job.title)),
        focus=tuple(routine.focus) if routine else (),
        author=(routine.author if routine and routine.author else config.author),
        number=published.number,
        guid=history.guid(job.slug) or "",
        published=published.published,
        mp3_bytes=int(entry.get("mp3_bytes") or 0),
        duration=float(entry.get("duration") or script.duration_seconds),
        script=script,
        poses=tuple(poses),
        style=str(script.options.get("style", variant.get("style", ""))),
        level=str(level or "all"),
        minutes=variant.get("minutes"),
    )
