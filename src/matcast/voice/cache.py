"""The utterance cache: rendered speech clips on disk, named by what made them.

A clip's key is the sha256 of engine, engine version, voice, rate, the engine's own speed
setting and the text spoken, so a rebuild renders
only lines that changed and an engine upgrade never reuses old audio. Each entry is one WAV file
(44.1 kHz mono int16, playable by anything) holding an extra ``hash`` chunk with the sha256 of its
samples: a truncated or damaged entry is detected, deleted and treated as a miss. Entries are
written to a temporary file and linked into place only if no entry is there yet (first writer
wins), so readers never see half a file, several processes may fill the cache at once, and an
entry a build has measured never changes under it.

The cache may also live at an fsspec URL (``s3://bucket/matcast``, ``memory://cache``) that the
machines of a cluster share: entries are then read and written through
:class:`~matcast.fs.store.Store`, each put atomic on its backend.
"""

from __future__ import annotations

import contextlib
import errno
import hashlib
import json
import os
import re
import struct
import sys
import tempfile
from pathlib import Path

import numpy as np
import platformdirs

from matcast.cues import SAMPLE_RATE
from matcast.errors import OutputError
from matcast.fs.store import Store, is_url

CACHE_DIR_ENV = "MATCAST_CACHE_DIR"
"""Environment variable replacing matcast's cache folder; utterances go in its ``utterances``
subfolder."""

_KEY = re.compile(r"^[0-9a-f]{64}$")
_HASH_CHUNK = b"hash"
_PCM, _CHANNELS, _BITS = 1, 1, 16


def default_cache_dir() -> Path:
    """Where utterances are cached: ``$MATCAST_CACHE_DIR/utterances``, else the user cache."""
    override = os.environ.get(CACHE_DIR_ENV)
    base = Path(override).expanduser() if override else platformdirs.user_cache_path("matcast")
    return base / "utterances"


class UtteranceCache:
    """Speech clips stored under ``root`` (a folder, or a URL) as ``<key[:2]>/<key>.wav``."""

    def __init__(self, root: Path | str) -> None:
        self.store = Store(str(root)) if is_url(root) else None
        self.root: Path | str = str(root) if self.store else Path(root)

    @staticmethod
    def key(engine_name: str, engine_version: str, voice: str, rate: int, text: str,
            setting: float | None = None) -> str:
        """The sha256 hex digest naming the clip of ``text`` spoken with these settings.

        ``text`` is what the engine was given (after the pronunciation lexicon); ``setting`` the
        engine's own speed setting the rate was calibrated to (eSpeak's rate, Piper's length
        scale), so a new calibration re-renders."""
        canonical = json.dumps(
            {
                "engine": engine_name,
                "version": engine_version,
                "voice": voice,
                "rate": rate,
                "setting": setting,
                "text": text,
            },
            sort_keys=True,
            ensure_ascii=False,
            separators=(",", ":"),
        )
        return hashlib.sha256(canonical.encode("utf-8")).hexdigest()

    def path(self, key: str) -> Path:
        """The file holding ``key``'s clip (which may not exist)."""
        return Path(self.root) / self.name(key)

    @staticmethod
    def name(key: str) -> str:
        """The entry's name inside the cache: ``<key[:2]>/<key>.wav``."""
        if not _KEY.match(key):
            raise ValueError(f"not a cache key: {key!r}")
        return f"{key[:2]}/{key}.wav"

    def get(self, key: str) -> np.ndarray | None:
        """The cached int16 samples for ``key``, or None (a damaged entry is deleted)."""
        if self.store is not None:
            return self._get_stored(self.store, key)
        path = self.path(key)
        try:
            data = path.read_bytes()
        except FileNotFoundError:
            return None
        except OSError as exc:
            raise self._failed("read", exc) from exc
        pcm = _read_entry(data)
        if pcm is None:
            # Another process may have replaced it with a good entry meanwhile; deleting that
            # costs one re-render, never wrong audio.
            with contextlib.suppress(FileNotFoundError):
                path.unlink()
            return None
        return np.frombuffer(pcm, dtype="<i2").astype(np.int16)

    def _get_stored(self, store: Store, key: str) -> np.ndarray | None:
        data = store.read(self.name(key))
        if data is None:
            return None
        pcm = _read_entry(data)
        if pcm is None:
            with contextlib.suppress(OSError):
                store.delete(self.name(key))
            return None
        return np.frombuffer(pcm, dtype="<i2").astype(np.int16)

    def put(self, key: str, samples: np.ndarray) -> np.ndarray:
        """Store int16 mono ``samples`` under ``key``, atomically, and return the clip the cache
        now holds under it: ``samples``, or the entry another process wrote first. An entry never
        changes once written (first writer wins): the engines are not bit-exact from one render
        to the next, and a build that has measured a cached clip reads it again when it mixes.
        An :class:`OutputError` naming the cache folder if it cannot be written (full disk,
        read-only, not a folder)."""
        if samples.dtype != np.int16 or samples.ndim != 1:
            raise TypeError(f"expected 1-D int16 samples, got {samples.ndim}-D {samples.dtype}")
        return self._put(key, samples)

    def _put(self, key: str, samples: np.ndarray) -> np.ndarray:
        data = _entry(samples.astype("<i2", copy=False).tobytes())
        if self.store is not None:
            # A store has no put-if-absent in general: look first (two workers rendering the
            # same line at the same moment remains possible, and then the last put wins).
            existing = self._get_stored(self.store, key)
            if existing is not None:
                return existing
            try:
                self.store.write(self.name(key), data)
            except OutputError as exc:
                raise OutputError(f"speech cache: {exc}\n    hint: choose another cache "
                                  "with --cache-dir DIR or URL") from exc
            return samples
        path = self.path(key)
        try:
            path.parent.mkdir(parents=True, exist_ok=True)
            fd, tmp_name = tempfile.mkstemp(dir=path.parent, prefix=f".{key[:16]}.",
                                            suffix=".tmp")
        except OSError as exc:
            raise self._failed("write to", exc) from exc
        tmp = Path(tmp_name)
        try:
            with os.fdopen(fd, "wb") as f:
                f.write(data)
            for _ in range(3):
                try:
                    # A hard link is a rename that refuses to replace: put-if-absent.
                    os.link(tmp, path)
                    return samples
                except FileExistsError:
                    existing = self.get(key)  # a damaged entry is deleted: try again
                    if existing is not None:
                        return existing
                except OSError as exc:
                    if exc.errno not in (errno.EPERM, errno.ENOTSUP, errno.EOPNOTSUPP,
                                         errno.EXDEV):
                        raise
                    break  # a file system without hard links: rename, the last writer wins
            try:
                os.replace(tmp, path)
            except PermissionError:
                # Windows refuses to replace a file another process has open. That process is
                # reading (or has just written) the same key, i.e. the same clip: keep theirs.
                if sys.platform != "win32" or not path.exists():
                    raise
            return samples
        except OSError as exc:
            raise self._failed("write to", exc) from exc
        finally:
            tmp.unlink(missing_ok=True)

    def _failed(self, doing: str, exc: OSError) -> OutputError:
        reason = "the disk is full" if exc.errno == errno.ENOSPC else (exc.strerror or str(exc))
        where = f" ({exc.filename})" if exc.filename else ""
        return OutputError(f"cannot {doing} the speech cache folder {self.root}: {reason}{where}"
                           "\n    hint: choose another cache folder with --cache-dir DIR")


def _entry(pcm: bytes) -> bytes:
    """A WAV file: fmt chunk, our ``hash`` chunk, then the samples."""
    fmt = struct.pack(
        "<HHIIHH", _PCM, _CHANNELS, SAMPLE_RATE, SAMPLE_RATE * 2, 2 * _CHANNELS, _BITS
    )
    chunks = [
        b"fmt " + struct.pack("<I", len(fmt)) + fmt,
        _HASH_CHUNK + struct.pack("<I", 32) + hashlib.sha256(pcm).digest(),
        b"data" + struct.pack("<I", len(pcm)) + pcm,
    ]
    body = b"WAVE" + b"".join(chunks)
    return b"RIFF" + struct.pack("<I", len(body)) + body


def _read_entry(data: bytes) -> bytes | None:
    """The samples of a cache entry, or None unless it is complete, ours and intact."""
    if len(data) < 12 or data[:4] != b"RIFF" or data[8:12] != b"WAVE":
        return None
    chunks: dict[bytes, bytes] = {}
    pos = 12
    while pos + 8 <= len(data):
        chunk_id = data[pos : pos + 4]
        (size,) = struct.unpack_from("<I", data, pos + 4)
        body = data[pos + 8 : pos + 8 + size]
        if len(body) != size:
            return None
        chunks[chunk_id] = body
        pos += 8 + size + (size & 1)
    fmt, digest, pcm = chunks.get(b"fmt "), chunks.get(_HASH_CHUNK), chunks.get(b"data")
    if fmt is None or digest is None or pcm is None or len(fmt) < 16:
        return None
    pcm_format, channels, rate, _, _, bits = struct.unpack_from("<HHIIHH", fmt)
    if (pcm_format, channels, rate, bits) != (_PCM, _CHANNELS, SAMPLE_RATE, _BITS):
        return None
    if hashlib.sha256(pcm).digest() != digest:
        return None
    return pcm
