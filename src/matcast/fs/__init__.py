"""Files on disk, below every other package: atomic writes with crash recovery (:mod:`.atomic`)
and bounded reads of regular files only (:mod:`.regular`)."""
