"""The ffmpeg boundary: finding the binary, encoding PCM to MP3, decoding any audio file to PCM.

Owns every ffmpeg command line matcast runs. Commands are argument lists, logged with
``shlex.join`` and carried by :class:`~matcast.errors.ToolError` when they fail. Audio moves through
pipes (raw s16le), never through temporary WAV files, and ffmpeg never probes anything on our behalf
(imageio-ffmpeg ships ffmpeg but no ffprobe).
"""

from __future__ import annotations

import contextlib
import functools
import itertools
import logging
import math
import os
import shlex
import shutil
import subprocess
import threading
from collections.abc import Iterable, Iterator
from pathlib import Path
from typing import IO

import numpy as np

from matcast.cues import SAMPLE_RATE
from matcast.errors import ToolError

log = logging.getLogger(__name__)

ENV_VAR = "MATCAST_FFMPEG"
"""Set to an ffmpeg binary (path or name on PATH) to use instead of imageio-ffmpeg's."""

_HINT = f"install it with `pip install imageio-ffmpeg`, or set {ENV_VAR} to an ffmpeg binary"

_CHUNK_BYTES = 1 << 20
"""Bytes per write to ffmpeg's stdin: big enough to keep it busy, small enough to stay cheap."""

_WRITE_FAILURES = (
    ("No space left on device", "the disk is full"),
    ("Disk quota exceeded", "the disk quota is exceeded"),
    ("Permission denied", "permission denied"),
    ("Read-only file system", "the file system is read-only"),
)


def ffmpeg_exe() -> str:
    """Path of the ffmpeg binary: ``$MATCAST_FFMPEG`` if set, else the one imageio-ffmpeg ships."""
    override = os.environ.get(ENV_VAR, "").strip()
    if override:
        found = shutil.which(override) if os.sep not in override else override
        if found is None or not os.path.isfile(found) or not os.access(found, os.X_OK):
            raise ToolError(
                [override], None, "",
                message=f"{ENV_VAR}={override!r} is not an executable file; {_HINT}",
            )
        return found
    try:
        import imageio_ffmpeg
    except ImportError:
        raise ToolError(["ffmpeg"], None, "", message=f"ffmpeg is not available; {_HINT}") from None
    try:
        return str(imageio_ffmpeg.get_ffmpeg_exe())
    except RuntimeError as exc:
        raise ToolError(
            ["ffmpeg"], None, "", message=f"ffmpeg is not available ({exc}); {_HINT}"
        ) from None


@functools.cache
def mp3_level_change_db(bitrate: str = "96k", channels: int = 1) -> float:
    """How many dB the MP3 encoder changes the level by, measured on a test tone.

    LAME, as ffmpeg drives it, scales its input by 0.95 (-0.45 dB); an independent decoder
    (mpg123) reads the same. The build measures it with the ffmpeg at hand, once per process, and
    aims the PCM that much higher, so that the MP3 is at the loudness target.
    """
    import tempfile

    t = np.arange(SAMPLE_RATE) / SAMPLE_RATE
    tone = np.round(0.1 * 32767 * np.sin(2 * np.pi * 997 * t)).astype(np.int16)
    with tempfile.TemporaryDirectory(prefix="matcast-") as tmp:
        path = Path(tmp) / "tone.mp3"
        encode_mp3(tone, SAMPLE_RATE, path, bitrate=bitrate, channels=channels)
        back = decode_pcm(path, SAMPLE_RATE, channels)
    back = back[:, 0] if back.ndim == 2 else back
    middle = slice(SAMPLE_RATE // 4, 3 * SAMPLE_RATE // 4)
    before = float(np.sqrt(np.mean(tone[middle].astype(np.float64) ** 2)))
    after = float(np.sqrt(np.mean(back[middle].astype(np.float64) ** 2)))
    return 20 * math.log10(after / before) if after > 0 else 0.0


def encode_mp3(
    pcm: np.ndarray | Iterable[np.ndarray],
    sample_rate: int,
    out_path: Path,
    bitrate: str = "96k",
    channels: int = 1,
) -> None:
    """Encode mono int16 PCM to a 44.1 kHz CBR MP3 at exactly ``out_path``.

    ``pcm`` is one array or an iterable of consecutive blocks (a session is streamed block by
    block into ffmpeg's stdin, never held whole). ``channels=2`` writes the mono signal to both
    channels. The file gets a Xing/LAME header (so players know its exact length and trim the
    encoder delay) and no tags: :mod:`.tags` writes those. Overwrites ``out_path``; the caller
    owns temp naming and the final rename. If the blocks raise, ffmpeg is stopped and the error
    goes on; if ffmpeg stops early (killed, or failing), :class:`ToolError` says so.
    """
    if channels not in (1, 2):
        raise ValueError(f"channels must be 1 or 2, got {channels}")
    blocks = iter([pcm] if isinstance(pcm, np.ndarray) else pcm)
    first = next((b for b in map(_checked_block, blocks) if b.size), None)
    if first is None:
        # ffmpeg would "succeed" with a file no player (not even ffmpeg) can open.
        raise ValueError("encode_mp3 got no samples")
    argv = [
        ffmpeg_exe(), "-hide_banner", "-nostats", "-loglevel", "error", "-y",
        "-f", "s16le", "-ar", str(sample_rate), "-ac", "1", "-i", "pipe:0",
        "-ac", str(channels), "-ar", str(SAMPLE_RATE),
        "-codec:a", "libmp3lame", "-b:a", bitrate,
        "-write_xing", "1", "-id3v2_version", "0", "-write_id3v1", "0",
        "-f", "mp3", f"file:{out_path}",
    ]
    data = (memoryview(np.ascontiguousarray(b, dtype="<i2")).cast("B")
            for b in itertools.chain([first], map(_checked_block, blocks)))
    code, stderr, fed = _run_feeding(argv, data)
    if code != 0:
        raise _failure(argv, code, stderr, f"encoding {out_path}", writing=True)
    if not fed:
        raise ToolError(argv, code, stderr,
                        message=f"ffmpeg stopped reading the session before its end while "
                                f"encoding {out_path}\n  command: {shlex.join(argv)}\n"
                                f"  ffmpeg said")


def _checked_block(pcm: np.ndarray) -> np.ndarray:
    if pcm.ndim != 1 or pcm.dtype != np.int16:
        raise ValueError(f"encode_mp3 wants 1-D int16 PCM, got {pcm.ndim}-D {pcm.dtype}")
    return pcm


def decode_pcm(path: Path, sample_rate: int = SAMPLE_RATE, channels: int = 1) -> np.ndarray:
    """Decode any audio file ffmpeg can read to int16: (n,) for mono, else (n, channels)."""
    return _decode(path, sample_rate, channels, "s16")


def decode_float(path: Path, sample_rate: int = SAMPLE_RATE, channels: int = 1) -> np.ndarray:
    """Decode to float32 in [-1, 1], unclipped: an MP3's peaks can decode above full scale,
    which int16 would hide."""
    return _decode(path, sample_rate, channels, "f32")


def _decode(path: Path, sample_rate: int, channels: int, sample: str) -> np.ndarray:
    dtype = np.int16 if sample == "s16" else np.float32
    parts = list(decode_blocks(path, sample_rate, channels, sample))
    samples = np.concatenate(parts) if parts else np.empty(0, dtype=dtype)
    return samples if channels == 1 else samples.reshape(-1, channels)


def decode_blocks(path: Path, sample_rate: int = SAMPLE_RATE, channels: int = 1,
                  sample: str = "f32") -> Iterator[np.ndarray]:
    """Decode ``path`` as it plays: consecutive blocks of interleaved samples (``"s16"``: int16,
    ``"f32"``: float32 unclipped), each about a second, so a long file is never held whole.

    Raises :class:`ToolError` (after the blocks read so far) if ffmpeg fails.
    """
    argv = [
        ffmpeg_exe(), "-hide_banner", "-nostats", "-nostdin", "-loglevel", "error",
        "-i", f"file:{path}", "-vn",
        "-f", f"{sample}le", "-codec:a", f"pcm_{sample}le", "-ac", str(channels),
        "-ar", str(sample_rate), "pipe:1",
    ]
    log.debug("running %s", shlex.join(argv))
    try:
        proc = subprocess.Popen(argv, stdin=subprocess.DEVNULL, stdout=subprocess.PIPE,
                                stderr=subprocess.PIPE)
    except OSError as exc:
        raise ToolError(argv, None, "", message=f"could not start ffmpeg: {exc}") from None
    assert proc.stdout is not None and proc.stderr is not None
    captured: list[bytes] = []
    drain = threading.Thread(target=_drain, args=(proc.stderr, captured), daemon=True)
    drain.start()
    dtype = np.dtype("<i2" if sample == "s16" else "<f4")
    frame = dtype.itemsize * channels
    rest = b""
    finished = False
    try:
        while chunk := proc.stdout.read(_CHUNK_BYTES):
            chunk = rest + chunk
            usable = len(chunk) // frame * frame
            rest = chunk[usable:]
            if usable:
                yield np.frombuffer(chunk, dtype=dtype, count=usable // dtype.itemsize).astype(
                    np.int16 if sample == "s16" else np.float32)
        finished = True
    finally:
        proc.stdout.close()
        if not finished:  # the reader stopped early: ffmpeg is not needed any more
            proc.kill()
        code = proc.wait()
        drain.join()
    if code != 0:
        raise _failure(argv, code, b"".join(captured).decode("utf-8", "replace"),
                       f"decoding {path}", writing=False)


def _run_feeding(argv: list[str], data: Iterable[memoryview]) -> tuple[int, str, bool]:
    """Run ``argv`` with ``data`` on its stdin; return (exit code, stderr, whether all of
    ``data`` was fed).

    stderr is drained on a thread: ffmpeg blocks if that pipe fills while we block writing stdin.
    A broken pipe means ffmpeg gave up early; its exit code and stderr say why.
    """
    log.debug("running %s", shlex.join(argv))
    try:
        proc = subprocess.Popen(
            argv, stdin=subprocess.PIPE, stdout=subprocess.DEVNULL, stderr=subprocess.PIPE
        )
    except OSError as exc:
        raise ToolError(argv, None, "", message=f"could not start ffmpeg: {exc}") from None
    assert proc.stdin is not None and proc.stderr is not None
    captured: list[bytes] = []
    drain = threading.Thread(target=_drain, args=(proc.stderr, captured), daemon=True)
    drain.start()
    fed = False
    try:
        for block in data:
            for start in range(0, len(block), _CHUNK_BYTES):
                proc.stdin.write(block[start:start + _CHUNK_BYTES])
        proc.stdin.close()
        fed = True
    except (BrokenPipeError, ConnectionResetError):
        pass
    except BaseException:
        proc.kill()
        proc.wait()
        drain.join()
        raise
    finally:
        # A second close after a broken pipe would raise again while flushing nothing.
        with contextlib.suppress(BrokenPipeError, ConnectionResetError):
            proc.stdin.close()
    code = proc.wait()
    drain.join()
    return code, b"".join(captured).decode("utf-8", "replace"), fed


def _drain(stream: IO[bytes], into: list[bytes]) -> None:
    while chunk := stream.read(65536):
        into.append(chunk)
    stream.close()


def _failure(argv: list[str], code: int, stderr: str, doing: str, *, writing: bool) -> ToolError:
    """The ToolError for a failed run: what went wrong in words, then the command to rerun it."""
    if code < 0:
        what = f"ffmpeg was killed by signal {-code} while {doing}"
    else:
        what = f"ffmpeg failed (exit code {code}) while {doing}"
        if writing:
            for needle, reason in _WRITE_FAILURES:
                if needle in stderr:
                    what = f"cannot write the MP3: {reason} (ffmpeg exit code {code}, {doing})"
                    break
    # ToolError appends ":" and the tail of stderr, so "ffmpeg said" introduces it.
    message = f"{what}\n  command: {shlex.join(argv)}\n  ffmpeg said"
    return ToolError(argv, code, stderr, message=message)
