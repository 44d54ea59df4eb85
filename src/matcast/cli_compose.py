"""``matcast compose``: a new class from a few wishes, saved as an ordinary routine file (and
built, with --build)."""

from __future__ import annotations

from pathlib import Path
from typing import Annotated

import typer

from matcast import cli_checks as checks
from matcast.bounds import DEFAULT_BITRATE
from matcast.cli_options import (
    CacheDirOpt,
    EngineOpt,
    LibraryOpt,
    RateOpt,
    VoiceOpt,
)
from matcast.compose.wishes import (
    MAX_MINUTES,
    MIN_MINUTES,
    SEED_MAX,
    Purpose,
    Wishes,
    split_words,
)
from matcast.errors import UsageError
from matcast.fs.atomic import write_atomic
from matcast.routine.enums import Level, Style
from matcast.routine.paths import default_library, shown_path

MINUTES = checks.Bound("--minutes", MIN_MINUTES, MAX_MINUTES,
                       rule=f"from {MIN_MINUTES:g} to {MAX_MINUTES:g} minutes")
SEED = checks.Bound("--seed", 0, SEED_MAX, whole=True,
                    rule=f"a whole number from 0 to {SEED_MAX}")
FRESH_SEEDS = 1_000_000
"""Without --seed, a seed below this is drawn (short enough to type again) and recorded."""


def _focus(raw: object) -> str:
    return ",".join(split_words("--focus", str(raw)))


def _avoid(raw: object) -> str:
    return ",".join(split_words("--avoid", str(raw)))


ComposeMinutesOpt = Annotated[float, typer.Option(
    "--minutes", "-m", parser=MINUTES, metavar="N", show_default=False,
    help=f"Length of the class, {MIN_MINUTES:g} to {MAX_MINUTES:g} minutes (default: 20); "
         "fitted exactly.")]
FocusOpt = Annotated[str | None, typer.Option(
    "--focus", parser=_focus, metavar="AREAS",
    help="Target areas that get most of the hold time, separated by commas, e.g. "
         "hips,hamstrings (the pose library's targets that a held pose works; a wrong word "
         "lists them).")]
ForOpt = Annotated[Purpose, typer.Option(
    "--for", parser=checks.one_of("--for", Purpose, Purpose.after_run), metavar="PURPOSE",
    show_default=False,
    help="after-run (default), before-run (dynamic, standing, no long holds), recovery or "
         "bedtime.")]
AvoidOpt = Annotated[str | None, typer.Option(
    "--avoid", parser=_avoid, metavar="WHAT",
    help="Leave out poses hard on these body areas or conditions (knees, lower-back, wrists, "
         "balance, pregnancy, high-blood-pressure, ...) or these poses (ids or names), "
         "separated by commas.")]
ComposeStyleOpt = Annotated[Style | None, typer.Option(
    "--style", parser=checks.one_of("--style", Style), metavar="STYLE",
    help="hold or flow (default: flow before a run, else hold).")]
ComposeLevelOpt = Annotated[Level, typer.Option(
    "--level", parser=checks.one_of("--level", Level, Level.all), metavar="LEVEL",
    show_default=False,
    help="gentle, beginner, all (default) or advanced: how strong the poses may be, and what "
         "is said for that level.")]
SeedOpt = Annotated[int | None, typer.Option(
    "--seed", parser=SEED, metavar="N",
    help=f"Picks among the poses that fit, 0 to {SEED_MAX}: the same seed, options and "
         "library give the same class (default: a fresh seed, recorded in the file).")]
OutputOpt = Annotated[Path | None, typer.Option(
    "--output", "-o", parser=checks.path("-o"), metavar="FILE",
    help="Where to save the routine, a .yaml file (default: <purpose>-<minutes>min-...-seed"
         "<N>.yaml in the current folder).")]


def compose_command(
    minutes: ComposeMinutesOpt = 20.0,
    focus: FocusOpt = None,
    level: ComposeLevelOpt = Level.all,
    purpose: ForOpt = Purpose.after_run,
    avoid: AvoidOpt = None,
    style: ComposeStyleOpt = None,
    seed: SeedOpt = None,
    output: OutputOpt = None,
    force: Annotated[bool, typer.Option(
        "--force", help="Replace the output file if it exists with other content.")] = False,
    build: Annotated[bool, typer.Option(
        "--build", help="Also render the class to an MP3 (as matcast build FILE does).")
    ] = False,
    out_dir: Annotated[str, typer.Option(
        "--out-dir", parser=checks.location("--out-dir"), metavar="DIR|URL",
        show_default=False,
        help="With --build: the output folder, or an fsspec URL as for build -o (default: "
             "audio_out).")] = "audio_out",
    engine: EngineOpt = None,
    voice: VoiceOpt = None,
    rate: RateOpt = None,
    cache_dir: CacheDirOpt = None,
    quiet: Annotated[bool, typer.Option(
        "--quiet", "-q", help="Print nothing but warnings and errors.")] = False,
    library: LibraryOpt = None,
) -> None:
    """Compose a new class from a few wishes and save it as a routine file.

    The class has an arc (arrival, warm-up, main work, cool-down, a final relaxation of at
    least a tenth), moves only downwards (standing, kneeling, seated, lying), does both sides
    of one-sided poses, follows twists and deep backbends with a counter-pose, gives the focus
    areas at least half of the hold time (in rounds of the focus poses when a few cannot fill
    it once), and lasts exactly --minutes. The file is an ordinary routine: validate, edit and
    build it like any other.
    """
    import random

    from matcast.compose import compose, library_ref, load_catalog

    folder = library or default_library()
    catalog = load_catalog(folder)
    if seed is None:
        seed = random.SystemRandom().randrange(FRESH_SEEDS)
    wishes = Wishes(minutes=minutes, focus=tuple(focus.split(",")) if focus else (),
                    level=level, purpose=purpose,
                    avoid=tuple(avoid.split(",")) if avoid else (), style=style, seed=seed)
    composition = compose(catalog, wishes)
    target = output if output is not None else Path(f"{wishes.slug()}.yaml")
    if target.suffix not in (".yaml", ".yml"):
        raise UsageError(f"-o {target}: a routine file ends in .yaml\n    hint: e.g. -o "
                         f"{target.with_suffix('.yaml')}")
    if not target.parent.is_dir():
        raise UsageError(f"-o {target}: the folder {target.parent} does not exist")
    text = composition.text(catalog, library_ref(target, folder), str(target),
                            shown_path(folder))
    state = _write(target, text, force)
    if not quiet:
        share = (f", focus {round(composition.focus_share * 100)}% of the hold time"
                 if wishes.focus else "")
        poses = len({s.card.id for s in composition.slots}) + 1
        typer.echo(f"{state} {target}: {wishes.minutes:g} min, {poses} poses, "
                   f"{wishes.chosen_style.value} style{share}, seed {seed}")
    if build:
        from matcast.cli_build import build_routines
        from matcast.compiler import CompileOptions
        from matcast.fs.store import as_location

        build_routines([str(target)], as_location(out_dir), engine, voice, rate,
                       as_location(cache_dir) if cache_dir is not None else None,
                       DEFAULT_BITRATE, False, CompileOptions(level=level), quiet, folder,
                       None, None)
    elif not quiet:
        more = f" --level {level.value}" if level is not Level.all else ""
        typer.echo(f"build it: matcast build {target}{more}")


def _write(target: Path, text: str, force: bool) -> str:
    """Save the routine: never over another file unless --force. Returns what happened."""
    data = text.encode()
    if target.exists():
        if not target.is_file():
            raise UsageError(f"-o {target} is not a regular file")
        try:
            same = target.read_bytes() == data
        except OSError as exc:
            raise UsageError(f"cannot read {target}: {exc.strerror}") from None
        if same:
            return "unchanged"
        if not force:
            raise UsageError(f"{target} exists with other content\n    hint: --force replaces "
                             "it; -o FILE saves elsewhere")
    write_atomic(target, data)
    return "wrote"
