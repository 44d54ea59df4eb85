"""The audio back end's building blocks: chimes, loudness, cover art, ffmpeg, and ID3 tags.

Each module here is a small, self-contained tool; the mixer and the exporter put them together.
"""
