"""Building a session: routine -> cue script -> speech -> mixed, loudness-normalised audio -> files.

The flow runs one way: compile with estimated speech lengths, speak every distinct line (cache
first), compile again with the measured lengths (the same compiler code times both), join the
audio, normalise it, then hand the episode to each writer through an atomic temp file. The
audio is a stream of blocks made from the cue script as the encoder reads it: a session of any
length costs the same memory.
"""

from __future__ import annotations

import datetime as dt
import zlib
from collections.abc import Mapping
from concurrent.futures import ThreadPoolExecutor, as_completed
from dataclasses import dataclass, field, replace
from pathlib import Path

import numpy as np

from matcast.audio.cover import make_cover
from matcast.audio.ffmpeg import mp3_level_change_db
from matcast.audio.levels import LEVEL_ID, SESSION_CEILING_DBTP, TARGET_LUFS, LoudnessReport
from matcast.audio.master import ProfileStore, level_clip, master
from matcast.audio.mixer import VoiceTrack
from matcast.audio.stream import PcmSource
from matcast.audio.tags import EpisodeTags
from matcast.build.choices import Bed, Voice, choose_bed, choose_voice
from matcast.build.manifest import Manifest
from matcast.build.progress import Reporter, Silent
from matcast.compiler import CompileOptions, compile_routine
from matcast.cues import CueScript
from matcast.errors import OutputError
from matcast.fs.atomic import atomic_paths, check_writable, clean_stale
from matcast.publish import Episode, Writer, default_writers
from matcast.routine.lexicon import lexicon_for
from matcast.routine.loader import LoadedRoutine, image_mime
from matcast.routine.model import VoiceChoice
from matcast.voice import SpeechEngine, SynthStats, UtteranceCache, default_cache_dir, get_engine
from matcast.voice.clips import joined as clips_joined
from matcast.voice.clips import lengths as clip_lengths
from matcast.voice.synth import synthesize

ALBUM = "matcast sessions"
"""Album tag until a library names its own."""
GENRE = "Health & Fitness"


@dataclass(frozen=True)
class BuildOptions:
    """How sessions are rendered and written (what is said is in CompileOptions)."""

    out_dir: Path = Path("audio_out")
    engine: str | None = None
    """Speech engine; None for the routine's or the library's choice, else $MATCAST_ENGINE, else
    piper."""
    voice: str | None = None
    """Engine voice id; None for the routine's or library's choice, else the engine's default."""
    rate: int | None = None
    """Words per minute; None for the routine's or library's choice, else the engine's."""
    cache_dir: Path | str | None = None
    """Utterance cache: a folder or an fsspec URL; None for the user cache folder."""
    bitrate: str = "96k"
    stereo: bool = False
    album: str = ALBUM
    """Album tag: the podcast's title when building a library."""
    bed: str | None = None
    """Background bed: rain, ocean, none or an audio file; None for the routine's choice."""
    bed_level: float | None = None
    """Bed level in dB relative to the default; None for the routine's choice."""


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


ROUNDS = 12
"""Most times a session is spoken and re-timed before its lines settle (usually two: re-timing
with real lengths can lengthen a hold by a breath, whose count is then spoken)."""


class Builder:
    """Builds routines one after another, sharing speech engines and one cache."""

    def __init__(self, options: BuildOptions, progress: Reporter | None = None,
                 engine: SpeechEngine | None = None,
                 writers: tuple[Writer, ...] | None = None) -> None:
        self.options = options
        self.progress = progress or Silent()
        self._engines: dict[str, SpeechEngine] = {engine.name: engine} if engine else {}
        self._checked: dict[Voice, tuple[str, int]] = {}
        cache_dir = options.cache_dir or default_cache_dir()
        self.cache = UtteranceCache(cache_dir)
        # Loudness profiles are derived from the clips: with a cache at a URL, each machine
        # keeps its own in its user cache folder.
        self.profiles = ProfileStore((default_cache_dir() if isinstance(cache_dir, str)
                                      else cache_dir) / "profiles")
        self.writers = writers or tuple(default_writers())
        self.cli_voice = VoiceChoice(engine=options.engine, voice=options.voice,
                                     rate=options.rate)

    def engine(self, name: str) -> SpeechEngine:
        """The engine called ``name``, started once and kept for the following routines."""
        if name not in self._engines:
            self._engines[name] = get_engine(name)
        return self._engines[name]

    def voice_for(self, loaded: LoadedRoutine) -> tuple[SpeechEngine, str, int]:
        """The engine, checked voice id and rate a routine is spoken with (a bad voice or rate
        fails here, before anything is rendered)."""
        choice = choose_voice(self.cli_voice, loaded)
        engine = self.engine(choice.engine)
        if choice not in self._checked:
            self._checked[choice] = engine.check(choice.voice, choice.rate)
        voice, rate = self._checked[choice]
        return engine, voice, rate

    def prepare(self, loaded: LoadedRoutine) -> None:
        """Refuse now what :meth:`build` would refuse only after speaking every line: an unknown
        engine or voice, a rate out of range, a bed file that cannot be decoded or looped, a
        broken pronunciation lexicon."""
        self.voice_for(loaded)
        lexicon_for(loaded.path.parent)
        bed = choose_bed(self.options.bed, self.options.bed_level, loaded)
        if bed is not None and bed.kind == "file":
            from matcast.audio.bed import BedLoop

            assert bed.path is not None
            BedLoop(bed.path)

    def close(self) -> None:
        for engine in self._engines.values():
            engine.close()

    def __enter__(self) -> Builder:
        return self

    def __exit__(self, *exc: object) -> None:
        self.close()

    def build(self, loaded: LoadedRoutine, compile_options: CompileOptions | None = None,
              track: int | None = None, slug: str | None = None,
              title: str | None = None) -> BuildResult:
        """Render ``loaded`` and write its files into the output folder.

        ``slug`` names the files and ``title`` the episode; by default they are the ones a
        library variant with these options gets (``post-run-10min-flow``, "Post-run yoga (10 min,
        flow)"), so sessions built with different options never overwrite each other. ``track``
        is the episode number: by default the one the output folder's manifest gives this slug
        (none without a library build there).
        """
        out_dir = self.options.out_dir
        check_writable(out_dir)
        clean_stale(out_dir)
        compile_options = compile_options or CompileOptions()
        variant = compile_options.variant()
        slug = slug or variant.episode_slug(loaded.slug)
        title = title or variant.episode_title(loaded.routine.title)
        if track is None:
            track = Manifest.load(out_dir).number(slug)
        engine, voice, rate = self.voice_for(loaded)
        bed = choose_bed(self.options.bed, self.options.bed_level, loaded)
        options = replace(compile_options, rate=rate)
        script, clips, stats = self._speak(loaded, options, engine, voice, rate)

        self.progress.stage("mixing", 1)
        if bed is not None:  # before the writer threads exist (see there)
            from matcast.audio.stream import unmap_freed_blocks

            unmap_freed_blocks()
        channels = 2 if self.options.stereo else 1
        with ThreadPoolExecutor(max_workers=2, thread_name_prefix="matcast-write") as pool:
            # The cover is drawn, and later the sidecars written, while the main work goes on:
            # ffmpeg's encode (its own process) is the long pole, so the rest hides beside it.
            tags = pool.submit(self._tags, loaded, script, track, title)
            # Aim the PCM so that the MP3, after the encoder's own level change, is on target.
            codec_db = mp3_level_change_db(self.options.bitrate, channels)
            mastered = master(script, clips, TARGET_LUFS - codec_db, profiles=self.profiles)
            # The session is never joined whole: the encoder reads it block by block.
            audio: PcmSource = VoiceTrack(script, mastered.speech, mastered.chimes)
            loudness = mastered.loudness
            if bed is not None:
                audio, loudness = _with_bed(audio, script, bed, loaded.slug,
                                            TARGET_LUFS - codec_db)
            episode = Episode(slug, script, audio, tags.result(),
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
                measured = self._hold_mp3(episode, tmps) if bed is not None else None
        loudness = measured or LoudnessReport(loudness.integrated_lufs + codec_db,
                                              loudness.true_peak_dbtp + codec_db)
        return BuildResult(episode.slug, tuple(files), script.duration_seconds,
                           files[0].stat().st_size, stats, loudness, script)

    def _hold_mp3(self, episode: Episode, tmps: list[Path]) -> LoudnessReport | None:
        """Measure the MP3 just written and encode it again where coding pushed it over the
        ceiling (a bed makes the encoder's overshoot larger than the margin left for it); its
        measured levels, or None without an MP3 writer."""
        from matcast.audio.encoded import hold_levels

        index = next((i for i, w in enumerate(self.writers) if w.suffix == ".mp3"), None)
        if index is None:
            return None
        writer, tmp = self.writers[index], tmps[index]

        def rewrite(pcm: PcmSource) -> None:
            writer.write(replace(episode, pcm=pcm), tmp)

        return hold_levels(episode.pcm, tmp, rewrite)[1]

    def _speak(self, loaded: LoadedRoutine, options: CompileOptions, engine: SpeechEngine,
               voice: str, rate: int
               ) -> tuple[CueScript, Mapping[str, np.ndarray], SynthStats]:
        """Compile, speak the lines, re-time with the real lengths; repeat while re-timing brings
        in lines not yet spoken (a longer hold can fit one more breath cue). The clips stay in
        the utterance cache, read when the session is mixed."""
        script = compile_routine(loaded, options)
        # The library's pronunciation lexicon, applied only to what the engine is given.
        respell = lexicon_for(loaded.path.parent).respeller(engine.name)
        clips: Mapping[str, np.ndarray] = {}
        rendered = cached = 0
        for _ in range(ROUNDS):
            missing = [t for t in script.speech_texts() if t not in clips]
            if not missing:
                break
            self.progress.stage("speaking", len(missing))
            new, stats = synthesize(missing, engine, voice, rate, self.cache,
                                    lambda done, _total: self.progress.update(done),
                                    finish=level_clip, finish_id=LEVEL_ID, respell=respell)
            clips = clips_joined(clips, new)
            rendered += stats.rendered
            cached += stats.cached
            script = compile_routine(loaded, options, clip_lengths(clips))
        else:
            if any(t not in clips for t in script.speech_texts()):
                raise OutputError(f"{loaded.slug}: re-timing with the real lengths of the "
                                  f"spoken lines still brought in new ones after {ROUNDS} rounds")
        return script, clips, SynthStats(rendered, cached)

    def _tags(self, loaded: LoadedRoutine, script: CueScript, track: int | None,
              title: str) -> EpisodeTags:
        routine = loaded.routine
        minutes = round(script.duration_seconds / 60)
        style = script.options.get("style", "")
        return EpisodeTags(
            title=title,
            artist=routine.author or "matcast",
            # The library's podcast title, unless the caller named an album.
            album=(loaded.config.title if loaded.config and self.options.album == ALBUM
                   else self.options.album),
            track=track,
            genre=GENRE,
            year=dt.date.today().year,
            description=routine.description,
            **_cover_fields(loaded, f"{minutes} min · {style}"),
        )


def _with_bed(voice: VoiceTrack, script: CueScript, bed: Bed, slug: str, target_lufs: float
              ) -> tuple[PcmSource, LoudnessReport]:
    """The session with its background bed mixed under it, ducked under every spoken line, and
    the loudness target and true-peak ceiling met again for the mix (a bed adds a little to
    both). The mix is read through to measure it before it is encoded, so this path is slower
    than a voice-only build; it never holds the session or the bed whole."""
    from matcast.audio import bed as beds
    from matcast.audio.session_mix import bed_layer, mix_session
    layer = bed_layer(bed.kind, bed.path, voice.samples, zlib.crc32(slug.encode()))
    return mix_session(script, voice, layer, beds.DEFAULT_LEVEL_DB + bed.level_db, target_lufs,
                       SESSION_CEILING_DBTP)


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
