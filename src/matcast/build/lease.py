"""One build at a time per output folder in a store: a local lock plus a lease in the store.

``flock`` cannot lock a bucket. A build of ``-o s3://bucket/show`` takes two things:

- this machine's lock for the URL (a file in matcast's cache folder named by a hash of the
  URL, :func:`matcast.build.lock.key_lock`): two builds on one machine take turns, the second
  waiting for the first as it does for a local folder;
- a lease, the object ``.matcast-lock`` in the store, naming its holder (machine, process,
  since when) and renewed every :data:`RENEW_SECONDS` while the build runs. A build that finds
  another's lease renewed within :data:`STALE_SECONDS` refuses to start, saying who holds it;
  an older lease (its build was killed, its machine lost) is taken over, as is one left by a
  process of this machine that is no longer running. The lease is removed when the build ends.

Whoever takes the lease also removes the temp objects (``.<name>.<pid>.<random>.matcast-tmp``)
that killed builds left in the folder on a store written by temp name and rename: no other
build of the folder is running then.

What the lease does not do: a store has no compare-and-swap that every fsspec backend offers,
so two builds on two machines started within the same second or so can both take it (each
checks, after writing, that the lease it reads back is its own, which narrows the window but
cannot close it). Machines whose clocks disagree by more than a few minutes misjudge its age.
"""

from __future__ import annotations

import contextlib
import datetime as dt
import json
import os
import socket
import threading
import time
from collections.abc import Callable, Iterator
from typing import Any

from matcast.build.lock import key_lock
from matcast.errors import OutputError
from matcast.fs.atomic import _alive
from matcast.fs.store import TMP_SUFFIX, Store

LEASE = ".matcast-lock"
"""The lease's name in the output folder."""
RENEW_SECONDS = 60.0
"""How often a running build renews its lease."""
STALE_SECONDS = 600.0
"""A lease not renewed for this long is taken to be left by a build that is gone."""


def holder() -> dict[str, Any]:
    """This process, as a lease names it."""
    now = time.time()
    return {"host": socket.gethostname(), "pid": os.getpid(), "token": os.urandom(8).hex(),
            "since": now, "renewed": now}


def read_lease(store: Store) -> dict[str, Any] | None:
    """The lease in ``store``, or None if there is none (or it is not one of ours)."""
    data = store.read(LEASE)
    if data is None:
        return None
    try:
        lease = json.loads(data)
        lease["renewed"] = float(lease["renewed"])
        lease["since"] = float(lease.get("since", lease["renewed"]))
    except (ValueError, KeyError, TypeError, IndexError):
        return None  # not a lease matcast wrote: the next build writes its own over it
    return lease if isinstance(lease, dict) else None


def is_stale(lease: dict[str, Any], now: float | None = None) -> bool:
    """Whether ``lease`` was left by a build that is gone: not renewed for STALE_SECONDS, or
    held by a process of this machine that is no longer running."""
    now = time.time() if now is None else now
    if now - float(lease["renewed"]) > STALE_SECONDS:
        return True
    pid = lease.get("pid")
    return (lease.get("host") == socket.gethostname() and isinstance(pid, int)
            and pid != os.getpid() and not _alive(pid))


def _when(seconds: float) -> str:
    return dt.datetime.fromtimestamp(seconds, dt.UTC).strftime("%Y-%m-%d %H:%M:%S UTC")


def held_error(store: Store, lease: dict[str, Any]) -> OutputError:
    ago = max(0, round(time.time() - float(lease["renewed"])))
    return OutputError(
        f"{store.url} is being built by process {lease.get('pid')} on {lease.get('host')} "
        f"since {_when(lease['since'])} (its lease "
        f"{store.shown(LEASE)} was renewed {ago} s ago)\n    hint: wait for that build to "
        f"finish; if it is gone (killed, its machine lost), its lease is taken over "
        f"{STALE_SECONDS / 60:g} minutes after its last renewal, or delete "
        f"{store.shown(LEASE)} to build now")


@contextlib.contextmanager
def store_lock(store: Store, on_wait: Callable[[], None] | None = None) -> Iterator[None]:
    """Hold the output folder ``store`` for the block: this machine's lock for its URL, then
    its lease (refused with an OutputError naming the holder while another's is fresh)."""
    with key_lock(store.url, on_wait):
        lease = _take(store)
        stop = threading.Event()
        renewer = threading.Thread(target=_renew, args=(store, lease, stop),
                                   name="matcast-lease", daemon=True)
        renewer.start()
        try:
            yield
        finally:
            stop.set()
            renewer.join()
            with contextlib.suppress(OutputError, OSError):
                current = read_lease(store)
                if current is not None and current.get("token") == lease["token"]:
                    store.remove(LEASE)


def _take(store: Store) -> dict[str, Any]:
    current = read_lease(store)
    if current is not None and not is_stale(current):
        raise held_error(store, current)
    lease = holder()
    store.write(LEASE, json.dumps(lease).encode())
    # Another machine that wrote its lease at the same moment: one of the two reads the
    # other's back here, and gives way.
    again = read_lease(store)
    if again is not None and again.get("token") != lease["token"]:
        raise held_error(store, again)
    _clear_litter(store)
    return lease


def _clear_litter(store: Store) -> None:
    """Remove the temp objects of killed builds from the folder (an object store has none)."""
    if store.object_store:
        return
    try:
        paths = store.fs.ls(store.root, detail=False)
    except OSError:
        return
    for path in paths:
        name = str(path).rstrip("/").rpartition("/")[2]
        if name.startswith(".") and name.endswith(TMP_SUFFIX):
            with contextlib.suppress(OSError):
                store.delete(name)


def _renew(store: Store, lease: dict[str, Any], stop: threading.Event) -> None:
    """Renew the lease every RENEW_SECONDS until ``stop``; stop renewing if another build
    took it (it found the lease stale: this one was stalled for STALE_SECONDS)."""
    while not stop.wait(RENEW_SECONDS):
        try:
            current = read_lease(store)
            if current is None or current.get("token") != lease["token"]:
                return
            lease["renewed"] = time.time()
            store.write(LEASE, json.dumps(lease).encode())
        except (OutputError, OSError):
            continue  # the store is unreachable for now: the build's own writes will say so
