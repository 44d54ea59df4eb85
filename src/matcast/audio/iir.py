"""Second-order-sections IIR filtering without importing :mod:`scipy.signal`.

``import scipy.signal`` costs about 50 MB of resident memory beyond numpy and scipy.ndimage
(it imports scipy.spatial, scipy.linalg, scipy.special, scipy.fft, ...), more than the rest of
a bed build's working set. A build only ever runs one filter from it: ``sosfilt``, whose work
is done by SciPy's compiled kernel ``scipy.signal._sosfilt._sosfilt``. :func:`sosfilt` loads
that kernel's extension module on its own (it depends on numpy only), and calls it as
``scipy.signal.sosfilt`` does, with the same dtypes and copies, so the output is the same to
the bit (tested). Where the kernel cannot be loaded that way (a SciPy that moved it), the public
``scipy.signal.sosfilt`` is used: the same result, at the memory cost.

Filter designs come from :mod:`scipy.signal` when they are needed at all; the designs a build
uses at 44.1 kHz are precomputed in :mod:`matcast.audio.designs`.
"""

from __future__ import annotations

import functools
import importlib.machinery
import importlib.util
import sys
from collections.abc import Callable
from pathlib import Path

import numpy as np

_KERNEL_MODULE = "scipy.signal._sosfilt"

Kernel = Callable[[np.ndarray, np.ndarray, np.ndarray], None]


@functools.cache
def kernel() -> Kernel | None:
    """SciPy's compiled SOS kernel, ``_sosfilt(sos, x, zi)`` (in place on C-contiguous
    (signals, samples) ``x`` and (signals, sections, 2) ``zi``), loaded without
    ``scipy.signal``; None if it cannot be found that way."""
    module = sys.modules.get(_KERNEL_MODULE)
    if module is None:
        try:
            import scipy

            folder = Path(scipy.__file__).parent / "signal"
            for suffix in importlib.machinery.EXTENSION_SUFFIXES:
                path = folder / f"_sosfilt{suffix}"
                if path.is_file():
                    break
            else:
                return None
            spec = importlib.util.spec_from_file_location(_KERNEL_MODULE, path)
            if spec is None or spec.loader is None:
                return None
            module = importlib.util.module_from_spec(spec)
            spec.loader.exec_module(module)
        except (ImportError, OSError):
            return None
        # Registered under its own name: a later `import scipy.signal` finds it and reuses it.
        sys.modules.setdefault(_KERNEL_MODULE, module)
    found = getattr(module, "_sosfilt", None)
    return found if callable(found) else None


def sosfilt(sos: np.ndarray, x: np.ndarray, zi: np.ndarray, axis: int = -1
            ) -> tuple[np.ndarray, np.ndarray]:
    """``scipy.signal.sosfilt(sos, x, axis=axis, zi=zi)``: the filtered signal and the final
    state (``zi`` has shape (sections, ..., 2, ...) with the 2 at ``axis``)."""
    run = kernel()
    if run is None:
        from scipy import signal

        y, zf = signal.sosfilt(sos, x, axis=axis, zi=zi)
        return y, zf
    sos = np.asarray(sos)
    x = np.asarray(x)
    if sos.ndim != 2 or sos.shape[1] != 6 or not np.all(sos[:, 3] == 1):
        raise ValueError(f"sos must be (sections, 6) with sos[:, 3] == 1, got {sos.shape}")
    sections = sos.shape[0]
    zi = np.asarray(zi)
    dtype = np.result_type(sos, x, zi)
    if dtype.char not in "fdgFDG":
        raise NotImplementedError(f"input type '{dtype}' not supported")
    axis = axis % x.ndim
    want = (sections, *x.shape[:axis], 2, *x.shape[axis + 1:])
    if zi.shape != want:
        raise ValueError(f"zi must have shape {want}, got {zi.shape}")
    # As scipy.signal.sosfilt: signals last-axis, copied once (the kernel works in place).
    work = np.moveaxis(x, axis, -1)
    shape = work.shape
    work = np.array(np.reshape(work, (-1, shape[-1])), dtype, order="C")
    state = np.moveaxis(np.array(zi, dtype=dtype), (0, axis + 1), (-2, -1))
    state_shape = state.shape
    state = np.ascontiguousarray(np.reshape(state, (-1, sections, 2)))
    run(sos.astype(dtype, copy=False), work, state)
    y = np.moveaxis(work.reshape(shape), -1, axis)
    zf = np.moveaxis(state.reshape(state_shape), (-2, -1), (0, axis + 1))
    return y, zf


def impulse_response(sos: np.ndarray, length: int) -> np.ndarray:
    """The first ``length`` samples of the filter's response to a unit impulse (float64)."""
    impulse = np.zeros(length)
    impulse[0] = 1.0
    return sosfilt(sos, impulse, np.zeros((len(sos), 2)))[0]
