"""The build side: everything that turns routines into files on disk.

One session (:mod:`.session`: compile, speak, mix, master, write); a whole library (:mod:`.plan`
decides what to build, :mod:`.library` builds it, :mod:`.library_view` draws it); the build
manifest (:mod:`.manifest`), the folder lock (:mod:`.lock`), the voice and bed choices
(:mod:`.choices`) and progress reporting (:mod:`.progress`). Only the CLI sits above this package.
"""
