"""The ``matcast`` command: a thin layer over the public API.

Every user-facing failure is a :class:`~matcast.errors.MatcastError`, caught once in :func:`main`,
printed without a traceback, and turned into its exit code (2 for bad input, 1 for failures).
"""

from __future__ import annotations

import json
import os
import sys
from enum import StrEnum
from pathlib import Path
from typing import TYPE_CHECKING, Annotated

import typer

from matcast import cli_checks as checks
from matcast.bounds import DEFAULT_BITRATE
from matcast.cli_compose import compose_command
from matcast.cli_options import (
    AllowLongOpt,
    BedLevelOpt,
    BedOpt,
    BitrateOpt,
    CacheDirOpt,
    ClusterOpt,
    CuesOpt,
    EngineOpt,
    FormatOpt,
    GuidanceOpt,
    JobsOpt,
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
)
from matcast.cli_say import say, voices
from matcast.errors import LengthError, MatcastError, RoutineError, UsageError
from matcast.routine.enums import CueSounds, Guidance, Level, Pace, Style
from matcast.routine.paths import (
    default_library,
    no_routines,
    resolve_routine,
    routine_paths,
    shown_path,
)

if TYPE_CHECKING:
    from matcast.compiler import CompileOptions
    from matcast.cues import CueScript

# Commands import what they use when they run: a no-op library rebuild must not pay for loading
# the compiler, pydantic or the audio libraries.

app = typer.Typer(
    name="matcast",
    help="Turn yoga routines written in YAML into voice-guided audio sessions.",
    no_args_is_help=True,
    pretty_exceptions_enable=False,
    add_completion=False,
    # Plain help and errors: the rich panels print a type column (<str>, <path>, and with
    # typer 0.29 <bool> after every flag) and fold long error messages inside a box.
    rich_markup_mode=None,
)


def _options(minutes: float | None, style: Style | None, level: Level, pace: Pace,
             allow_long: bool = False, cues: CueSounds | None = None,
             guidance: Guidance = Guidance.full) -> CompileOptions:
    from matcast.compiler import CompileOptions

    return CompileOptions(style=style, level=level, pace=pace, minutes=minutes,
                          allow_long=allow_long, cues=cues, guidance=guidance)


def clock(samples: int, sample_rate: int = 44_100) -> str:
    """Samples as m:ss.s (rounded to the tenth first, so 239.96 s reads 4:00.0, not 3:60.0)."""
    minutes, tenths = divmod(round(samples * 10 / sample_rate), 600)
    return f"{minutes:d}:{tenths / 10:04.1f}"


def format_table(script: CueScript) -> str:
    """The timeline as aligned text: start, kind, pose/side, text."""
    from matcast.cues import EventKind

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
    routine: Annotated[str, typer.Argument(
        metavar="ROUTINE", help="Routine name (post-run) or a .yaml path.")],
    minutes: MinutesOpt = None,
    style: StyleOpt = None,
    level: LevelOpt = Level.all,
    pace: PaceOpt = Pace.medium,
    fmt: FormatOpt = OutputFormat.table,
    cues: CuesOpt = None,
    guidance: GuidanceOpt = Guidance.full,
    allow_long: AllowLongOpt = False,
    library: LibraryOpt = None,
) -> None:
    """Compile a routine to its timed cue script and print it (speech lengths estimated)."""
    from matcast.compiler import compile_routine
    from matcast.routine.loader import load_routine

    loaded = load_routine(resolve_routine(routine, library))
    script = compile_routine(loaded, _options(minutes, style, level, pace, allow_long, cues,
                                              guidance))
    if fmt is OutputFormat.json:
        typer.echo(json.dumps(script.to_dict(), indent=2, ensure_ascii=False))
    else:
        typer.echo(format_table(script))


@app.command()
def validate(
    paths: Annotated[list[Path], typer.Argument(
        metavar="PATH...",
        help="Routine or pose files, or library folders.")],
) -> None:
    """Check routines (with their poses), pose files, library.yaml, published.yaml,
    lexicon.yaml or whole library folders.

    Each routine is also compiled as its duration and variants declare.
    Every problem is reported at once, with its file and line.
    """
    from matcast.validate import validate_paths

    report = validate_paths(paths)
    if report.problems:
        raise RoutineError(report.problems)
    checked = report.checked
    typer.echo(f"ok: {checked} file{'s' if checked != 1 else ''} valid")


class LintFormat(StrEnum):
    text = "text"
    json = "json"


@app.command()
def lint(
    targets: Annotated[list[str], typer.Argument(
        metavar="TARGET...",
        help="Routine names or .yaml paths, library folders, pose files or poses/ folders, or "
             "built .cues.json files.")],
    minutes: MinutesOpt = None,
    style: StyleOpt = None,
    level: Annotated[Level | None, typer.Option(
        "--level", parser=checks.one_of("--level", Level), metavar="LEVEL",
        help="gentle, beginner, all or advanced.")] = None,
    pace: Annotated[Pace | None, typer.Option(
        "--pace", parser=checks.one_of("--pace", Pace), metavar="PACE",
        help="slow, medium or fast: the speed of breaths and pauses.")] = None,
    guidance: Annotated[Guidance | None, typer.Option(
        "--guidance", parser=checks.one_of("--guidance", Guidance), metavar="GUIDANCE",
        help="full, light or quiet.")] = None,
    cues: CuesOpt = None,
    fmt: Annotated[str, typer.Option(
        "--format", "-f", parser=checks.one_of("--format", LintFormat, LintFormat.text),
        metavar="FORMAT", help="text or json (default: text).")] = "text",
    library: LibraryOpt = None,
) -> None:
    """Compile and check sessions as a teacher would listen to them; exit 1 on any finding.

    Without options, each routine is checked in every style it offers, as written, at
    --minutes 10, 15, 20, 30, 45 and 60 where its range allows, and at each published
    variant. With options, once with those. A pose file (or a poses/ folder) is checked
    alone, in flow and in hold at each level. A built .cues.json is checked with its real
    timings, and its speaking rate, share of silence and longest quiet are reported.
    """
    from matcast.lint.command import run

    fmt = str(fmt)
    given = (minutes, style, level, pace, guidance, cues)
    options = None if all(v is None for v in given) else _options(
        minutes, style, level or Level.all, pace or Pace.medium, False, cues,
        guidance or Guidance.full)
    raise typer.Exit(run(targets, options, library, fmt, typer.echo))


@app.command("list")
def list_cmd(library: LibraryOpt = None) -> None:
    """List the routines of the library, in its order: for each style, the length as written and
    the range --minutes can fit it to (estimated speech)."""
    import math

    from matcast.compiler import CompileOptions, compile_routine, length_range
    from matcast.routine.loader import load_library_config, load_routine
    from matcast.routine.paths import LIBRARY_CONFIG, in_library_order

    folder = library or default_library()
    paths = routine_paths(folder)
    if not paths:
        raise no_routines(folder)
    typer.echo(f"library {shown_path(folder)}: {len(paths)} routines")
    order: list[str] = []
    if (folder / LIBRARY_CONFIG).is_file():
        try:
            order = load_library_config(folder / LIBRARY_CONFIG).order
        except RoutineError as exc:
            typer.echo(f"{LIBRARY_CONFIG:<22} INVALID ({len(exc.problems)} problems: "
                       f"matcast validate {folder / LIBRARY_CONFIG})")
    for path in in_library_order(paths, order):
        try:
            loaded = load_routine(path)
        except RoutineError as exc:
            typer.echo(f"{path.stem:<22} INVALID ({len(exc.problems)} problems: "
                       f"matcast validate {path})")
            continue
        lengths = []
        for style in loaded.routine.styles:
            options = CompileOptions(style=style)
            try:
                script = compile_routine(loaded, options)
                low, high = length_range(loaded, options)
            except MatcastError as exc:
                lengths.append(f"{style.value} cannot be built: {exc}")
                continue
            # Whole minutes that are sure to fit: the low end rounded up, the high end down.
            span = f"{math.ceil(low - 1e-9):d}–{math.floor(high + 1e-9):d}"
            lengths.append(f"{style.value} {script.duration_seconds / 60:.0f} min ({span})")
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
        metavar="[ROUTINE]...",
        help="Routine names (post-run) or .yaml paths; with --all, a library folder.",
        show_default=False)] = None,
    build_all: Annotated[bool, typer.Option(
        "--all", help="Build every routine and variant of the library, and publish it.")
    ] = False,
    out_dir: OutOpt = "audio_out",
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
    guidance: GuidanceOpt = Guidance.full,
    jobs: JobsOpt = None,
    cluster: ClusterOpt = None,
    force: Annotated[bool, typer.Option(
        "--force", help="With --all: rebuild every episode, changed or not.")] = False,
    base_url: Annotated[str | None, typer.Option(
        "--base-url", metavar="URL",
        help="With --all: where the output folder is served (feed links).")
    ] = None,
    quiet: Annotated[bool, typer.Option(
        "--quiet", "-q", help="Print nothing but warnings and errors.")] = False,
    allow_long: AllowLongOpt = False,
    library: LibraryOpt = None,
) -> None:
    """Render routines to <slug>.mp3 with <slug>.cues.json, .vtt and .chapters.json beside it.

    With --all, build every routine and variant of the library in parallel (only what changed),
    then write show notes, index.html and feed.xml, and record the number and date of each newly
    published episode in the library's published.yaml (commit it with the routines).
    """
    from matcast.cli_build import build_library, build_routines, check_base_url
    from matcast.fs.store import as_location

    check_base_url(base_url)
    cache = as_location(cache_dir) if cache_dir is not None else None
    out = as_location(out_dir)
    sound = {"bed": bed, "bed_level": bed_level, "cues": cues}
    if build_all:
        if minutes is not None or style is not None or level is not Level.all or (
                pace is not Pace.medium) or guidance is not Guidance.full:
            raise UsageError("--all builds each routine's own variants; --minutes, --style, "
                             "--level, --pace and --guidance apply to single routines")
        if routines and len(routines) > 1:
            raise UsageError("--all takes at most one library folder")
        folder = Path(routines[0]) if routines else (library or default_library())
        if cluster is not None and jobs is not None:
            raise UsageError("--jobs sets this machine's worker processes; with --cluster the "
                             "cluster's workers build (start more of them to build more at once)")
        if cluster is not None and isinstance(out, str) and out.lower().startswith("memory://"):
            raise UsageError(f"-o {out}: a memory:// folder lives in one process, so the "
                             "cluster's workers cannot write to it; with --cluster use a "
                             "shared folder or a store every worker reaches "
                             "(-o s3://bucket/podcast)")
        code = build_library(folder, out, engine, voice, rate, cache, bitrate, stereo,
                              jobs or os.cpu_count() or 1, force, base_url, quiet, allow_long,
                              sound, cluster)
        raise typer.Exit(code)
    if cluster is not None:
        raise UsageError("--cluster builds a library: use it with --all")
    if not routines:
        raise UsageError("name at least one routine (see: matcast list), or use --all")
    if jobs is not None:
        from matcast.voice.piper_pool import PIPER_JOBS_ENV

        # Read by the Piper engine when the build makes it (never more workers than cores).
        os.environ[PIPER_JOBS_ENV] = str(jobs)
    build_routines(routines, out, engine, voice, rate, cache, bitrate, stereo,
                    _options(minutes, style, level, pace, allow_long, cues, guidance), quiet,
                    library, bed, bed_level)


app.command("compose")(compose_command)
app.command()(say)
app.command()(voices)


def main() -> None:
    """Entry point: run the app, turning MatcastError into a message and an exit code.

    Option values are read by matcast's own parsers (:mod:`matcast.cli_checks`), whose errors
    arrive here as MatcastError. What the command-line parser itself refuses (an unknown command
    or option, a missing value, a value given to a flag) is reworded here in the same shape:
    ``error: ...`` and a hint, exit code 2.
    """
    try:
        code = app(standalone_mode=False)
    except MatcastError as exc:
        if isinstance(exc, LengthError) and exc.hint is None:
            from matcast.build.suggest import suggest

            exc.hint = suggest(exc)
        typer.echo(f"error: {exc}", err=True)
        sys.exit(exc.exit_code)
    except KeyboardInterrupt:
        typer.echo("error: interrupted", err=True)
        sys.exit(130)
    except Exception as exc:
        # typer's parser errors (click's UsageError family, vendored in typer): duck-typed, so
        # that a typer release with click outside or inside it is read the same way.
        if not (hasattr(exc, "format_message") and hasattr(exc, "exit_code")):
            raise
        if type(exc).__name__ == "NoArgsIsHelpError":
            typer.echo(exc.format_message())
            sys.exit(exc.exit_code)
        ctx = getattr(exc, "ctx", None)
        command = ctx.command_path if ctx is not None else "matcast"
        typer.echo(f"error: {exc.format_message()}\n    hint: run `{command} --help` to see "
                   "what it accepts", err=True)
        sys.exit(exc.exit_code)
    sys.exit(code if isinstance(code, int) else 0)


if __name__ == "__main__":
    main()
