"""Audio as a stream of blocks: what a session's sound is to the encoder, and how a stream is cut
into the aligned, overlapping windows that measurements need.

A session is never held whole: it is a :class:`PcmSource` whose :meth:`~PcmSource.blocks` produce
it from the start each time they are asked (the encoder reads it once, and again if the encoded
file needs correcting). :func:`steps` re-cuts any stream of blocks into fixed steps with a little
context either side, so a measurement that looks at neighbouring samples (true peak) gives what it
gives on the whole array.
"""

from __future__ import annotations

import ctypes
import ctypes.util
import functools
from collections.abc import Iterable, Iterator
from dataclasses import dataclass
from typing import Protocol

import numpy as np

BLOCK = 1 << 20
"""Samples per block of a streamed session (~24 s): a few MB of temporaries at a time."""


_M_MMAP_THRESHOLD = -3
"""glibc's mallopt parameter: allocations at least this large are mmapped, freed by munmap."""
_M_ARENA_MAX = -8
"""glibc's mallopt parameter: how many malloc arenas threads may create."""
_MMAP_THRESHOLD = 1 << 17
"""glibc's default threshold (128 KiB), here kept fixed."""


@functools.cache
def unmap_freed_blocks() -> bool:
    """Have every array of 128 KiB or more given back to the system as soon as it is freed
    (glibc only; elsewhere nothing changes). Returns whether it took effect.

    A streamed session allocates and frees the same few MB-sized temporaries block after
    block. glibc's default raises its mmap threshold to the size of each large block freed (up
    to 32 MiB), so after the first block these temporaries come from malloc's heaps instead,
    where freed memory stays resident, fragmented, and once more in every thread's own arena
    (the encoder's writer thread renders the session again): with a bed that was 100-150 MB of
    resident memory holding nothing. A fixed threshold costs a page fault per fresh page of a
    temporary, a few percent of a bed build's time. Threads created after the call share the
    main arena: only one of a build's threads does numpy work at a time (the others wait on it
    or on ffmpeg), so they do not contend, and a second arena's leftovers cost ~30 MB of a rain
    build's peak. Process-wide, so called once, by the build, before it starts its threads.
    """
    name = ctypes.util.find_library("c")
    try:
        libc = ctypes.CDLL(name)
        mallopt = libc.mallopt
    except (OSError, AttributeError, TypeError):  # not glibc (musl, macOS, Windows)
        return False
    mallopt.argtypes = (ctypes.c_int, ctypes.c_int)
    mallopt.restype = ctypes.c_int
    return bool(mallopt(_M_MMAP_THRESHOLD, _MMAP_THRESHOLD)) & bool(mallopt(_M_ARENA_MAX, 1))


class PcmSource(Protocol):
    """A session's int16 mono samples, produced block by block."""

    @property
    def samples(self) -> int:
        """How many samples :meth:`blocks` produce in all."""
        ...

    def blocks(self) -> Iterator[np.ndarray]:
        """The samples from the start, as consecutive 1-D int16 blocks."""
        ...


@dataclass(frozen=True)
class ArrayPcm:
    """A :class:`PcmSource` over samples already in memory (short sounds, tests)."""

    pcm: np.ndarray

    @property
    def samples(self) -> int:
        return int(self.pcm.size)

    def blocks(self) -> Iterator[np.ndarray]:
        for start in range(0, self.pcm.size, BLOCK):
            yield self.pcm[start:start + BLOCK]


def steps(chunks: Iterable[np.ndarray], step: int, context: int
          ) -> Iterator[tuple[int, np.ndarray, int, int]]:
    """Re-cut a stream of blocks (any sizes; (n,) or (n, channels)) into steps of ``step``.

    Yields ``(start, window, offset, count)``: the step is ``window[offset:offset + count]``
    (samples ``start`` to ``start + count`` of the stream), with up to ``context`` samples of the
    stream either side of it in ``window`` (fewer only at the stream's ends). At most a step and
    a block are held at a time.
    """
    buffer = np.empty(0, dtype=np.float32)
    first = 0  # stream index of buffer[0]
    start = 0
    source = iter(chunks)
    ended = False
    while True:
        while not ended and first + len(buffer) < start + step + context:
            chunk = next(source, None)
            if chunk is None:
                ended = True
            elif len(chunk):
                buffer = np.concatenate([buffer, chunk]) if len(buffer) else chunk
        end = first + len(buffer)
        if start >= end:
            return
        stop = min(start + step, end)
        lo = max(start - context, 0)
        yield start, buffer[lo - first:min(stop + context, end) - first], start - lo, stop - start
        start = stop
        cut = start - context - first
        if cut > 0:
            buffer, first = buffer[cut:], first + cut


class Signal(Protocol):
    """Float samples, (n, channels), read a stretch at a time (made on demand, not stored)."""

    samples: int
    channels: int

    def read(self, start: int, stop: int) -> np.ndarray:
        """Samples ``start`` to ``stop``, (stop - start, channels), any float type."""
        ...


@dataclass(frozen=True)
class ArraySignal:
    """A :class:`Signal` over an (n, channels) array."""

    x: np.ndarray

    @property
    def samples(self) -> int:
        return int(self.x.shape[0])

    @property
    def channels(self) -> int:
        return int(self.x.shape[1])

    def read(self, start: int, stop: int) -> np.ndarray:
        return self.x[start:stop]
