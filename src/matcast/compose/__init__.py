"""Composing a new class from a few wishes: see :mod:`matcast.compose.composer`.

The names below are loaded on first use: the command line imports
:mod:`matcast.compose.wishes` for its options, and must not pay for the composer (and with it
the compiler and the routine model) on a no-op library rebuild.
"""

from __future__ import annotations

import importlib
from typing import TYPE_CHECKING, Any

if TYPE_CHECKING:
    from matcast.compose.composer import (
        Catalog,
        Composition,
        Purpose,
        Wishes,
        compose,
        focus_share,
        library_ref,
        load_catalog,
    )

__all__ = ["Catalog", "Composition", "Purpose", "Wishes", "compose", "focus_share",
           "library_ref", "load_catalog"]


def __getattr__(name: str) -> Any:
    if name in __all__:
        return getattr(importlib.import_module("matcast.compose.composer"), name)
    raise AttributeError(f"module {__name__!r} has no attribute {name!r}")
