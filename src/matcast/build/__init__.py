"""The build side: everything that turns routines into files on disk.

One session (:mod:`.session`: compile, speak, mix, master, write), a whole library
(:mod:`.library`: plan, run and report a batch, with :mod:`.library_view` drawing it), the build
manifest (:mod:`.manifest`), the folder lock (:mod:`.lock`), the voice and bed choices
(:mod:`.choices`) and progress reporting (:mod:`.progress`). Only the CLI sits above this package.
"""
