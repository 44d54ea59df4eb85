"""Building a session: routine -> cue script -> speech -> mixed, loudness-normalised audio -> files.

The flow runs one way: compile with estimated speech lengths, speak every distinct line (cache
first), compile again with the measured lengths (the same compiler code times both), join the
audio, normalise it, then hand the episode to each writer through an atomic temp file.
"""

from __future__ import annotations

import datetime as dt
from concurrent.futures import ThreadPoolExecutor, as_completed
from dataclasses import dataclass, field, replace
from pathlib import Path

import numpy as np

from matcast.atomic import atomic_paths, check_writable, clean_stale
from matcast.audio.cover import make_cover
from matcast.audio.ffmpeg import mp3_level_change_db
from matcast.audio.levels import LEVEL_ID, TARGET_LUFS, LoudnessReport
from matcast.audio.master import ProfileStore, level_clip, master
from matcast.audio.mixer import assemble, pcm
from matcast.audio.tags import EpisodeTags
from matcast.compiler import CompileOptions, compile_routine
from matcast.cues import CueScript
from matcast.errors import OutputError
from matcast.progress import Reporter, Silent
from matcast.publish import Episode, Writer, default_writers
from matcast.routine.loader import LoadedRoutine, image_mime
from matcast.voice import SpeechEngine, SynthStats, UtteranceCache, default_cache_dir, get_engine
from matcast.voice.engine import DEFAULT_ENGINE
from matcast.voice.synth import synthesize

ALBUM = "matcast sessions"
"""Album tag until a library names its own."""
GENRE = "Health & Fitness"


@dataclass(frozen=True)
class BuildOptions:
    """How sessions are rendered and written (what is said is in CompileOptions)."""

    out_dir: Path = Path("audio_out")
    engine: str = DEFAULT_ENGINE
    voice: str | None = None
    """Engine voice id; None for the engine's default."""
    rate: int | None = None
    """Words per minute; None for the engine's default."""
    cache_dir: Path | None = None
    """Utterance cache; None for the user cache folder."""
    bitrate: str = "96k"
    stereo: bool = False
    album: str = ALBUM
    """Album tag: the podcast's title when building a library."""


@dataclass(frozen=True)
class BuildResult:
    """What one build wrote and measured."""

    slug: str
    files: tuple[Path, ...]
    duration_seconds: float
    mp3_bytes: int
    speech: SynthStats
    loudness: LoudnessReport
    script: CueScript = field(repr=False)

    @property
    def mp3(self) -> Path:
        return self.files[0]


class Builder:
    """Builds routines one after another, sharing one speech engine and one cache."""

    def __init__(self, options: BuildOptions, progress: Reporter | None = None,
                 engine: SpeechEngine | None = None,
                 writers: tuple[Writer, ...] | None = None) -> None:
        self.options = options
        self.progress = progress or Silent()
        self.engine = engine or get_engine(options.engine)
        cache_dir = options.cache_dir or default_cache_dir()
        self.cache = UtteranceCache(cache_dir)
        self.profiles = ProfileStore(cache_dir / "profiles")
        self.writers = writers or tuple(default_writers())
        # Fail on a bad voice or rate before any work is done.
        self.voice, self.rate = self.engine.check(options.voice, options.rate)

    def close(self) -> None:
        self.engine.close()

    def __enter__(self) -> Builder:
        return self

    def __exit__(self, *exc: object) -> None:
        self.close()

    def build(self, loaded: LoadedRoutine, compile_options: CompileOptions | None = None,
              track: int | None = None, slug: str | None = None,
              title: str | None = None) -> BuildResult:
        """Render ``loaded`` and write its files into the output folder.

        ``slug`` names the files (default: the routine's), ``title`` the episode (default: the
        routine's title), ``track`` its episode number.
        """
        out_dir = self.options.out_dir
        check_writable(out_dir)
        clean_stale(out_dir)
        options = replace(compile_options or CompileOptions(), rate=self.rate)
        script, clips, stats = self._speak(loaded, options)

        self.progress.stage("mixing", 1)
        channels = 2 if self.options.stereo else 1
        with ThreadPoolExecutor(max_workers=2, thread_name_prefix="matcast-write") as pool:
            # The cover is drawn, and later the sidecars written, while the main work goes on:
            # ffmpeg's encode (its own process) is the long pole, so the rest hides beside it.
            tags = pool.submit(self._tags, loaded, script, track, title)
            # Aim the PCM so that the MP3, after the encoder's own level change, is on target.
            codec_db = mp3_level_change_db(self.options.bitrate, channels)
            mastered = master(script, clips, TARGET_LUFS - codec_db, profiles=self.profiles)
            audio = pcm(assemble(script, mastered.speech, mastered.chimes))
            episode = Episode(slug or loaded.slug, script, audio, tags.result(),
                              self.options.bitrate, channels)
            self.progress.stage("encoding and writing", len(self.writers))
            files = [out_dir / f"{episode.slug}{w.suffix}" for w in self.writers]
            # Every file is finished in its temp file before any replaces its target, so the
            # MP3 and its sidecars are replaced together or not at all.
            with atomic_paths(files) as tmps:
                written = [pool.submit(w.write, episode, tmp)
                           for w, tmp in zip(self.writers, tmps, strict=True)]
                # Let every writer finish (or fail) before the temp files are renamed or removed.
                for i, future in enumerate(as_completed(written)):
                    if future.exception() is None:
                        self.progress.update(i + 1)
                for future in written:
                    future.result()
        loudness = LoudnessReport(mastered.loudness.integrated_lufs + codec_db,
                                  mastered.loudness.true_peak_dbtp + codec_db)
        return BuildResult(episode.slug, tuple(files), script.duration_seconds,
                           files[0].stat().st_size, stats, loudness, script)

    def _speak(self, loaded: LoadedRoutine, options: CompileOptions
               ) -> tuple[CueScript, dict[str, np.ndarray], SynthStats]:
        """Compile, speak the lines, re-time with the real lengths; repeat while re-timing brings
        in lines not yet spoken (a longer hold can fit one more breath cue)."""
        script = compile_routine(loaded, options)
        clips: dict[str, np.ndarray] = {}
        rendered = cached = 0
        for _ in range(5):
            missing = [t for t in script.speech_texts() if t not in clips]
            if not missing:
                break
            self.progress.stage("speaking", len(missing))
            new, stats = synthesize(missing, self.engine, self.voice, self.rate, self.cache,
                                    lambda done, _total: self.progress.update(done),
                                    finish=level_clip, finish_id=LEVEL_ID)
            clips.update(new)
            rendered += stats.rendered
            cached += stats.cached
            script = compile_routine(loaded, options, {t: len(c) for t, c in clips.items()})
        return script, clips, SynthStats(rendered, cached)

    def _tags(self, loaded: LoadedRoutine, script: CueScript, track: int | None,
              title: str | None) -> EpisodeTags:
        routine = loaded.routine
        minutes = round(script.duration_seconds / 60)
        style = script.options.get("style", "")
        return EpisodeTags(
            title=title or routine.title,
            artist=routine.author or "matcast",
            album=self.options.album,
            track=track,
            genre=GENRE,
            year=dt.date.today().year,
            description=routine.description,
            **_cover_fields(loaded, f"{minutes} min · {style}"),
        )


def _cover_fields(loaded: LoadedRoutine, subtitle: str) -> dict[str, bytes | str]:
    """The routine's own cover if it names one, else a square cover drawn with its title."""
    if loaded.cover is not None:
        try:
            data = loaded.cover.read_bytes()
        except OSError as exc:
            raise OutputError(f"cannot read the cover {loaded.cover}: {exc.strerror}") from exc
        return {"cover": data, "cover_mime": image_mime(data) or "image/png"}
    return {"cover": make_cover(loaded.routine.title, subtitle), "cover_mime": "image/png"}


__all__ = ["BuildOptions", "BuildResult", "Builder"]
