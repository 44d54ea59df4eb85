"""The build side: everything that turns routines into files on disk.

One session (:mod:`.session`: compile, speak, mix, master, write), a whole library
(:mod:`.library`: plan, run and report a batch, with :mod:`.library_view` drawing it), the build
manifest (:mod:`.manifest`), the folder lock (:mod:`.lock`), the voice and bed choices
(:mod:`.choices`) and progress reporting (:mod:`.progress`). Only the CLI sits above this package.
"""

from __future__ import annotations

import importlib
from typing import TYPE_CHECKING, Any

# Names load on first use: taking the folder lock or reading the manifest does not pay for numpy.
_EXPORTS = {
    "BuildOptions": "matcast.build.session",
    "BuildResult": "matcast.build.session",
    "Builder": "matcast.build.session",
}

if TYPE_CHECKING:
    from matcast.build.session import Builder, BuildOptions, BuildResult


def __getattr__(name: str) -> Any:
    module = _EXPORTS.get(name)
    if module is None:
        raise AttributeError(f"module 'matcast.build' has no attribute {name!r}")
    value = getattr(importlib.import_module(module), name)
    globals()[name] = value
    return value


__all__ = ["BuildOptions", "BuildResult", "Builder"]
