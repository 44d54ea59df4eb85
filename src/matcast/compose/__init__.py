"""Composing a new class from a few wishes: see :mod:`matcast.compose.composer`."""

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
