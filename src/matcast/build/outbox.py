"""Output folders in a store (``-o s3://bucket/show``): built locally, then uploaded.

An episode is built exactly as into a local folder, in a private temp folder (same files, same
names, the same atomic switch), then each of its files is put in the store (each put atomic:
:class:`~matcast.fs.store.Store`), the sidecars first and the MP3 last, so a reader who finds
the MP3 finds its sidecars. Nothing reaches the store from a build that fails before its
upload, and the manifest records an episode only once its files are up. The client of a
library build publishes the same way: notes, cover and page built in a temp folder from the cue
sidecars it downloads, uploaded with the feed last.
"""

from __future__ import annotations

import contextlib
import shutil
import tempfile
from collections.abc import Iterator, Sequence
from pathlib import Path
from typing import TYPE_CHECKING, Any

from matcast.build.plan import Outcome
from matcast.errors import MatcastError
from matcast.fs.atomic import check_commit_guard
from matcast.fs.store import Store

if TYPE_CHECKING:
    from matcast.publish.library import Published


@contextlib.contextmanager
def staging(prefix: str = "matcast-out-") -> Iterator[Path]:
    """A private local temp folder, removed with everything in it when the block ends."""
    folder = Path(tempfile.mkdtemp(prefix=prefix))
    try:
        yield folder
    finally:
        shutil.rmtree(folder, ignore_errors=True)


def upload_files(store: Store, folder: Path, names: Sequence[str]) -> None:
    """Put the files ``names`` of the local ``folder`` in ``store``, in that order, then remove
    the local copies (also when a put fails)."""
    try:
        check_commit_guard()
        for name in names:
            store.upload(folder / name, name)
    finally:
        for name in names:
            with contextlib.suppress(OSError):
                (folder / name).unlink()


def episode_order(names: Sequence[str]) -> list[str]:
    """An episode's files in upload order: the sidecars, then the MP3."""
    return sorted(names, key=lambda name: name.endswith(".mp3"))


def upload_episode(store: Store, folder: Path, names: Sequence[str]) -> None:
    """Put an episode's files (``names`` in ``folder``) in ``store``, the MP3 last; if a put
    fails, the objects this upload created are deleted again (one it replaced cannot be given
    its old bytes back: the manifest's fingerprints then show it changed, and the next build
    builds the episode again)."""
    order = episode_order(names)
    new = [name for name in order if store.size(name) is None]
    try:
        upload_files(store, folder, order)
    except BaseException:
        for name in new:
            with contextlib.suppress(Exception):
                store.delete(name)
        raise


def uploaded(store: Store, folder: Path, outcome: Outcome) -> Outcome:
    """``outcome`` once the episode it built in ``folder`` is in ``store``; a failed outcome if
    the upload failed (the manifest then keeps the episode's previous record)."""
    if outcome.status != "built":
        return outcome
    try:
        upload_episode(store, folder, list(outcome.fingerprints))
    except MatcastError as exc:
        return Outcome(outcome.slug, "failed", " ".join(str(exc).split())[:300])
    return outcome


def publish_to_store(library: Path, store: Store, jobs: Sequence[Any], built: Any,
                     base_url: str | None, previous_key: str | None) -> Published:
    """Publish the library into ``store`` (:func:`matcast.publish.library.publish` in a temp
    folder, from the cue sidecars it downloads), then upload what it wrote: the cover and the
    notes, then the page, the feed last. Skipped, reading nothing but the page's size, when
    nothing it is made from changed since ``previous_key``."""
    from matcast.publish.files import FEED, PAGE
    from matcast.publish.library import Published, publish, publish_key

    key = publish_key(library, jobs, built, base_url)
    if previous_key == key and store.size(PAGE) is not None:
        return Published((), skipped=True, key=key)
    with staging("matcast-publish-") as folder:
        for job in jobs:
            if job.slug in built:
                store.download(f"{job.slug}.cues.json", folder / f"{job.slug}.cues.json")
        result = publish(library, folder, jobs, built, base_url, previous_key, force=True)
        names = sorted((p.name for p in result.files),
                       key=lambda name: (name == PAGE) + 2 * (name == FEED))
        upload_files(store, folder, names)
    return result
