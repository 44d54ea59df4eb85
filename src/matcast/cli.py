"""The ``matcast`` command: a thin layer over the public API.

Every user-facing failure is a :class:`~matcast.errors.MatcastError`, caught once in :func:`main`,
printed without a traceback, and turned into its exit code (2 for bad input, 1 for failures).
"""

from __future__ import annotations

import json
import os
import sys
from collections.abc import Callable
from pathlib import Path
from typing import TYPE_CHECKING, Annotated

import typer

from matcast import cli_checks as checks
from matcast.bounds import DEFAULT_BITRATE
from matcast.cli_options import (
    AllowLongOpt,
    BedLevelOpt,
    BedOpt,
    BitrateOpt,
    CacheDirOpt,
    CuesOpt,
    EngineOpt,
    FormatOpt,
    JobsOpt,
    LangOpt,
    LevelOpt,
    LibraryOpt,
    MinutesOpt,
    OutOpt,
    OutputFormat,
    PaceOpt,
    RateOpt,
    SchemaKind,
    SchemaKindArg,
    StyleOpt,
    VoiceOpt,
    VoicesEngineOpt,
)
from matcast.cues import CueScript, EventKind
from matcast.errors import MatcastError, Problem, RoutineError, UsageError
from matcast.library import default_library, no_routines, resolve_routine, routine_paths
from matcast.routine.enums import CueSounds, Level, Pace, Style

if TYPE_CHECKING:
    from matcast.batch import Manifest, Plan
    from matcast.compiler import CompileOptions

# Commands import what they use when they run: a no-op library rebuild must not pay for loading
# the compiler, pydantic or the audio libraries.

app = typer.Typer(
    name="matcast",
    help="Turn yoga routines written in YAML into voice-guided audio sessions.",
    no_args_is_help=True,
    pretty_exceptions_enable=False,
    add_completion=False,
)


def _options(minutes: float | None, style: Style | None, level: Level, pace: Pace,
             allow_long: bool = False, cues: CueSounds | None = None) -> CompileOptions:
    from matcast.compiler import CompileOptions

    return CompileOptions(style=style, level=level, pace=pace, minutes=minutes,
                          allow_long=allow_long, cues=cues)


def clock(samples: int, sample_rate: int = 44_100) -> str:
    """Samples as m:ss.s."""
    seconds = samples / sample_rate
    return f"{int(seconds // 60):d}:{seconds % 60:04.1f}"


def format_table(script: CueScript) -> str:
    """The timeline as aligned text: start, kind, pose/side, text."""
    rows = []
    for e in script.events:
        where = (e.pose or "") + (f"/{e.side.value}" if e.side else "")
        if e.kind is EventKind.speech:
            what = e.text or ""
        elif e.kind is EventKind.chime:
            what = f"({e.chime.value if e.chime else ''} chime)"
        else:
            what = f"({e.length / 44_100:.1f} s quiet)"
        kind = e.kind.value + ("*" if e.hold else "")
        rows.append(f"{clock(e.start):>7}  {kind:<8}  {where:<26}  {what}")
    head = (f"{script.title} ({script.routine}): {clock(script.duration)}, "
            f"{len(script.chapters)} chapters, {len(script.events)} events; * = inside a hold")
    chapters = [f"  {clock(c.start):>7}  {c.title}" for c in script.chapters]
    return "\n".join([head, "chapters:", *chapters, "timeline:", *rows])


@app.command("compile")
def compile_cmd(
    routine: Annotated[str, typer.Argument(help="Routine name (post-run) or a .yaml path.")],
    minutes: MinutesOpt = None,
    style: StyleOpt = None,
    level: LevelOpt = Level.all,
    pace: PaceOpt = Pace.medium,
    fmt: FormatOpt = OutputFormat.table,
    cues: CuesOpt = None,
    allow_long: AllowLongOpt = False,
    library: LibraryOpt = None,
) -> None:
    """Compile a routine to its timed cue script and print it (speech lengths estimated)."""
    from matcast.compiler import compile_routine
    from matcast.routine.loader import load_routine

    loaded = load_routine(resolve_routine(routine, library))
    script = compile_routine(loaded, _options(minutes, style, level, pace, allow_long, cues))
    if fmt is OutputFormat.json:
        typer.echo(json.dumps(script.to_dict(), indent=2, ensure_ascii=False))
    else:
        typer.echo(format_table(script))


@app.command()
def validate(
    paths: Annotated[list[Path], typer.Argument(
        help="Routine or pose files, or library folders.")],
) -> None:
    """Check routine files (and the pose files they use); report every problem at once."""
    from matcast.routine.loader import load_library_config, load_pose, load_routine

    problems: list[Problem] = []
    checked = 0
    for path in paths:
        targets = _validation_targets(path)
        if not targets:
            problems.append(Problem(path, None, None, "", "no routine, pose or library files in "
                                    "this folder" if path.is_dir() else "no such file or folder"))
        for target, is_pose in targets:
            checked += 1
            try:
                if target.name == "library.yaml":
                    load_library_config(target)
                elif is_pose:
                    load_pose(target)
                else:
                    load_routine(target)
            except RoutineError as exc:
                problems.extend(p for p in exc.problems if p not in problems)
    if problems:
        raise RoutineError(problems)
    typer.echo(f"ok: {checked} file{'s' if checked != 1 else ''} valid")


def _validation_targets(path: Path) -> list[tuple[Path, bool]]:
    from matcast.routine.loader import POSES_DIR

    if path.is_dir():
        found = [(p, False) for p in routine_paths(path)]
        if (path / "library.yaml").is_file():
            found.append((path / "library.yaml", False))
        poses = path / POSES_DIR
        if poses.is_dir():
            found += [(p, True) for p in sorted(poses.glob("*.yaml"))]
        if path.name == POSES_DIR:
            found = [(p, True) for p in sorted(path.glob("*.yaml"))]
        return found
    if path.is_file() or path.suffix in (".yaml", ".yml"):
        return [(path, path.parent.name == POSES_DIR)]
    return []


@app.command("list")
def list_cmd(library: LibraryOpt = None) -> None:
    """List the routines of the library with their estimated length in each style."""
    from matcast.compiler import CompileOptions, compile_routine
    from matcast.routine.loader import load_routine

    folder = library or default_library()
    paths = routine_paths(folder)
    if not paths:
        raise no_routines(folder)
    for path in paths:
        try:
            loaded = load_routine(path)
        except RoutineError as exc:
            typer.echo(f"{path.stem:<22} INVALID ({len(exc.problems)} problems: "
                       f"matcast validate {path})")
            continue
        lengths = []
        for style in loaded.routine.styles:
            script = compile_routine(loaded, CompileOptions(style=style))
            lengths.append(f"{style.value} {script.duration_seconds / 60:.0f} min")
        typer.echo(f"{path.stem:<22} {loaded.routine.title:<36} {', '.join(lengths)}")


@app.command()
def schema(
    kind: SchemaKindArg = SchemaKind.routine,
) -> None:
    """Print the JSON Schema of routine, pose or library files (also shipped in schema/)."""
    from matcast.routine.schema import schema_text

    typer.echo(schema_text(f"{kind.value}.schema.json"), nl=False)


@app.command()
def build(
    routines: Annotated[list[str] | None, typer.Argument(
        help="Routine names (post-run) or .yaml paths; with --all, a library folder.",
        show_default=False)] = None,
    build_all: Annotated[bool, typer.Option(
        "--all", help="Build every routine and variant of the library, and publish it.")
    ] = False,
    out_dir: OutOpt = Path("audio_out"),
    voice: VoiceOpt = None,
    rate: RateOpt = None,
    minutes: MinutesOpt = None,
    style: StyleOpt = None,
    level: LevelOpt = Level.all,
    pace: PaceOpt = Pace.medium,
    cache_dir: CacheDirOpt = None,
    bitrate: BitrateOpt = DEFAULT_BITRATE,
    stereo: Annotated[bool, typer.Option("--stereo", help="Two channels instead of one.")
                      ] = False,
    engine: EngineOpt = None,
    bed: BedOpt = None,
    bed_level: BedLevelOpt = None,
    cues: CuesOpt = None,
    jobs: JobsOpt = None,
    force: Annotated[bool, typer.Option(
        "--force", help="With --all: rebuild every episode, changed or not.")] = False,
    base_url: Annotated[str | None, typer.Option(
        "--base-url", help="With --all: where the output folder is served (feed links).")
    ] = None,
    quiet: Annotated[bool, typer.Option("--quiet", "-q", help="Print nothing but errors.")
                     ] = False,
    allow_long: AllowLongOpt = False,
    library: LibraryOpt = None,
) -> None:
    """Render routines to <slug>.mp3 with <slug>.cues.json, .vtt and .chapters.json beside it.

    With --all, build every routine and variant of the library in parallel (only what changed),
    then write show notes, index.html and feed.xml.
    """
    sound = {"bed": bed, "bed_level": bed_level, "cues": cues}
    if build_all:
        if minutes is not None or style is not None or level is not Level.all or (
                pace is not Pace.medium):
            raise UsageError("--all builds each routine's own variants; --minutes, --style, "
                             "--level and --pace apply to single routines")
        if routines and len(routines) > 1:
            raise UsageError("--all takes at most one library folder")
        folder = Path(routines[0]) if routines else (library or default_library())
        code = _build_library(folder, out_dir, engine, voice, rate, cache_dir, bitrate, stereo,
                              jobs or os.cpu_count() or 1, force, base_url, quiet, allow_long,
                              sound)
        raise typer.Exit(code)
    if not routines:
        raise UsageError("name at least one routine (see: matcast list), or use --all")
    _build_routines(routines, out_dir, engine, voice, rate, cache_dir, bitrate, stereo,
                    _options(minutes, style, level, pace, allow_long, cues), quiet, library,
                    bed, bed_level)


def _build_routines(names: list[str], out_dir: Path, engine: str | None, voice: str | None,
                    rate: int | None, cache_dir: Path | None, bitrate: str, stereo: bool,
                    options: CompileOptions, quiet: bool, library: Path | None,
                    bed: str | None, bed_level: float | None) -> None:
    from matcast.build import Builder, BuildOptions
    from matcast.lock import folder_lock
    from matcast.progress import reporter
    from matcast.routine.loader import load_routine

    loaded = [load_routine(resolve_routine(name, library)) for name in names]
    seen: dict[str, str] = {}
    for routine in loaded:
        options.check(routine)
        if routine.slug in seen:
            raise UsageError(f"{routine.path} and {seen[routine.slug]} would both write "
                             f"{out_dir / routine.slug}.mp3; build them into separate folders")
        seen[routine.slug] = str(routine.path)
    build_options = BuildOptions(out_dir=out_dir, engine=engine, voice=voice, rate=rate,
                                 cache_dir=cache_dir, bitrate=bitrate, stereo=stereo, bed=bed,
                                 bed_level=bed_level)
    progress = reporter(quiet)
    try:
        with Builder(build_options, progress) as builder:
            # Everything that can be refused is, before the first file is written.
            for routine in loaded:
                builder.prepare(routine)
            created = checks.usable_folders(checks.cache_folder(cache_dir),
                                            checks.output_folder(out_dir))
            with checks.removed_if_unused(created), folder_lock(out_dir, _waiting(out_dir, quiet)):
                for routine in loaded:
                    result = builder.build(routine, options)
                    progress.finish()
                    if not quiet:
                        typer.echo(f"{result.mp3}  "
                                   f"{clock(round(result.duration_seconds * 44_100))}  "
                                   f"{result.mp3_bytes / 1e6:.1f} MB  "
                                   f"({result.speech.rendered} lines spoken, "
                                   f"{result.speech.cached} from cache)")
    finally:
        progress.finish()


def _build_library(library: Path, out_dir: Path, engine: str | None, voice: str | None,
                   rate: int | None, cache_dir: Path | None, bitrate: str, stereo: bool,
                   jobs: int, force: bool, base_url: str | None, quiet: bool,
                   allow_long: bool, sound: dict[str, object]) -> int:
    """Build and publish a library; the exit code is 1 if any episode failed."""
    from matcast.lock import folder_lock

    if not routine_paths(library):  # a missing library, or a file, is refused there
        raise no_routines(library)
    folders = [checks.output_folder(out_dir)]
    if cache_dir is not None:
        folders.insert(0, checks.cache_folder(cache_dir))
    created = checks.usable_folders(*folders)
    with checks.removed_if_unused(created), folder_lock(out_dir, _waiting(out_dir, quiet)):
        return _build_library_locked(library, out_dir, engine, voice, rate, cache_dir, bitrate,
                                     stereo, jobs, force, base_url, quiet, allow_long, sound)


def _waiting(out_dir: Path, quiet: bool) -> Callable[[], None]:
    def say() -> None:
        if not quiet:
            typer.echo(f"waiting for another build of {out_dir} to finish", err=True)
    return say


def _build_library_locked(library: Path, out_dir: Path, engine: str | None,
                          voice: str | None, rate: int | None, cache_dir: Path | None,
                          bitrate: str, stereo: bool, jobs: int, force: bool,
                          base_url: str | None, quiet: bool, allow_long: bool,
                          sound: dict[str, object]) -> int:
    from rich.console import Console

    from matcast import batch
    from matcast.audio.levels import LEVEL_ID
    from matcast.voice.versions import engine_versions

    manifest = batch.Manifest.load(out_dir)
    defaults = batch.library_defaults(library, manifest)
    cues = sound["cues"]
    settings = batch.BatchSettings(
        engine, engine_versions(), voice, rate, bitrate, stereo, defaults["album"], LEVEL_ID,
        json.dumps({**defaults, "bed": sound["bed"], "bed_level": sound["bed_level"],
                    "cues": cues.value if isinstance(cues, CueSounds) else None,
                    "bed_file": batch.file_digest(Path(str(sound["bed"])))
                    if sound["bed"] not in (None, "rain", "ocean", "none") else None},
                   sort_keys=True))
    plan = batch.plan(library, out_dir, manifest, settings, force)
    if plan.todo:
        # Only now: a rebuild with nothing to do never touches the cache or starts an engine.
        if cache_dir is None:
            checks.usable_folders(checks.cache_folder(None))
        checks.library_choices(library, [job.routine for job in plan.todo], engine, voice,
                               rate, sound["bed"], sound["bed_level"])
    outcomes = list(plan.outcomes)
    console = Console(stderr=True)
    bar = None
    if plan.todo and not quiet and console.is_terminal:
        from matcast.batch_view import BatchBar

        bar = BatchBar(len(plan.todo), console)
    build_options = {"engine": engine, "voice": voice, "rate": rate, "bitrate": bitrate,
                     "stereo": stereo, "album": settings.album, "allow_long": allow_long,
                     "cache_dir": str(cache_dir) if cache_dir else None,
                     "bed": sound["bed"], "bed_level": sound["bed_level"],
                     "cues": cues.value if isinstance(cues, CueSounds) else None}
    try:
        outcomes += batch.run(plan, library, out_dir, manifest, build_options, jobs,
                              bar.callbacks() if bar else None)
    finally:
        if bar is not None:
            bar.stop()
    for outcome in outcomes:
        if outcome.status == "removed":
            batch.remove_episode(manifest, out_dir, outcome.slug)
    manifest.save(out_dir)
    published = _publish(library, out_dir, manifest, plan, base_url)
    if not quiet:
        from matcast.batch_view import summary

        out = Console()
        # Piped output is read by scripts and people alike: never fold a row.
        summary(outcomes, out if out.is_terminal else Console(width=400))
        if published:
            typer.echo(published)
    failed = [o for o in outcomes if o.status == "failed"]
    return 1 if failed else 0


def _publish(library: Path, out_dir: Path, manifest: Manifest, plan: Plan,
             base_url: str | None) -> str:
    from matcast.publish.files import FEED, PAGE
    from matcast.publish.library import publish

    result = publish(library, out_dir, manifest, plan.jobs, base_url)
    if result.skipped:
        return ""
    names = ", ".join(sorted(p.name for p in result.files if p.name in (PAGE, FEED)))
    return f"published {names} in {out_dir}" + (f"; {result.note}" if result.note else "")


@app.command()
def voices(
    engine: VoicesEngineOpt = "pyttsx3",
    lang: LangOpt = None,
) -> None:
    """List the voices of a speech engine: id, name, languages."""
    from matcast.voice.engine import get_engine

    speech = get_engine(engine)
    try:
        found = speech.voices()
        default = speech.default_voice()
    finally:
        speech.close()
    if lang:
        wanted = lang.strip().casefold().replace("_", "-")
        found = [v for v in found if any(code.casefold().replace("_", "-").startswith(wanted)
                                         for code in v.languages)]
        if not found:
            raise UsageError(f"--lang {lang}: no {engine} voice speaks a language starting "
                             f"with {lang!r}\n    hint: run `matcast voices --engine {engine}` "
                             "to see every voice and its languages")
    for v in found:
        mark = " (default)" if v.id == default else ""
        typer.echo(f"{v.id:<24} {v.name:<32} {', '.join(v.languages)}{mark}")


def main() -> None:
    """Entry point: run the app, turning MatcastError into a message and an exit code.

    Option values are read by matcast's own parsers (:mod:`matcast.cli_checks`), whose errors
    arrive here; typer itself reports only an unknown option, a missing value or a value given
    to a flag, also with exit code 2.
    """
    try:
        app()
    except MatcastError as exc:
        typer.echo(f"error: {exc}", err=True)
        sys.exit(exc.exit_code)


if __name__ == "__main__":
    main()
