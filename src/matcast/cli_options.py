"""The options of matcast's commands: their names, help and parsers, declared once.

Each option that takes a value is read by a parser from :mod:`matcast.cli_checks`, so that a bad
value is refused in matcast's words whatever typer release is installed. The help states each
range and default from :mod:`matcast.bounds`, the same numbers the parsers check.
"""

from __future__ import annotations

from enum import StrEnum
from pathlib import Path
from typing import Annotated, Any

import typer

from matcast import bounds
from matcast import cli_checks as checks
from matcast.routine.enums import CueSounds, Guidance, Level, Pace, Style
from matcast.routine.paths import LOOKUP_ORDER


class OutputFormat(StrEnum):
    table = "table"
    json = "json"


class SchemaKind(StrEnum):
    routine = "routine"
    pose = "pose"
    library = "library"


def _choice(flag: str, kind: type[StrEnum], default: StrEnum | None = None) -> dict[str, Any]:
    """The typer settings of an option taking one of ``kind``'s values: our parser, so that a bad
    value gets our wording (the help lists the values)."""
    return {"parser": checks.one_of(flag, kind, default), "metavar": flag.strip("-").upper()}


LibraryOpt = Annotated[Path | None, typer.Option(
    "--library", parser=checks.path("--library"), metavar="DIR",
    help=f"Routine library folder. Looked up in this order: {LOOKUP_ORDER}.")]
MinutesOpt = Annotated[float | None, typer.Option(
    "--minutes", "-m", parser=checks.MINUTES, metavar="N",
    help=f"Fit the session to this many minutes (±1%): {bounds.minutes_range(False)}; "
         "default: the routine's own length.")]
StyleOpt = Annotated[Style | None, typer.Option(
    "--style", **_choice("--style", Style),
    help="hold (long slow holds) or flow (one breath per movement); default: the routine's "
         "first style.")]
LevelOpt = Annotated[Level, typer.Option(
    "--level", **_choice("--level", Level, Level.all),
    help="gentle, beginner, all or advanced: alternatives, hold lengths, variations and extra "
         "guidance (see the README's table of levels).")]
PaceOpt = Annotated[Pace, typer.Option(
    "--pace", **_choice("--pace", Pace, Pace.medium),
    help="slow, medium or fast: the speed of breaths and pauses.")]
AllowLongOpt = Annotated[bool, typer.Option(
    "--allow-long", help="Allow sessions over 4 hours (up to 12).")]
CuesOpt = Annotated[CueSounds | None, typer.Option(
    "--cues", **_choice("--cues", CueSounds),
    help="voice-and-chimes (default), chimes-in-holds, or no-chimes.")]
GuidanceOpt = Annotated[Guidance, typer.Option(
    "--guidance", **_choice("--guidance", Guidance, Guidance.full),
    help="How much is said: full (default); light (no tips or inhale prompts); quiet "
         "(names, cautions, transitions and side switches only).")]


FormatOpt = Annotated[OutputFormat, typer.Option(
    "--format", "-f", **_choice("--format", OutputFormat, OutputFormat.table),
    help="table or json.")]
SchemaKindArg = Annotated[SchemaKind, typer.Argument(
    parser=checks.one_of("KIND", SchemaKind, SchemaKind.routine), metavar="KIND",
    show_default=False, help="routine, pose or library (default: routine).")]

# build
# A str, not a Path, for the reason --cache-dir's is (below).
OutOpt = Annotated[str, typer.Option(
    "--out", "-o", parser=checks.location("-o"), metavar="DIR|URL",
    help="Output folder, or an fsspec URL such as s3://bucket/podcast (needs the cluster "
         "extra; s3fs for s3://): each episode is built in a temp folder, then uploaded.")]
VoiceOpt = Annotated[str | None, typer.Option(
    "--voice", parser=checks.voice, metavar="ID",
    help="Voice id or, for piper, a .onnx voice file (see: matcast voices).")]
RateOpt = Annotated[int | None, typer.Option(
    "--rate", parser=checks.RATE, metavar="WPM",
    help=f"Speaking rate in words per minute, {bounds.RATE_MIN} to {bounds.RATE_MAX} "
         f"(default: the routine's or library's, else {bounds.DEFAULT_RATE}).")]
# A str, not a Path: typer would turn a returned URL into a Path (memory://x -> memory:/x); the
# commands turn it into a Path or a URL with fs.store.as_location.
CacheDirOpt = Annotated[str | None, typer.Option(
    "--cache-dir", parser=checks.location("--cache-dir"), metavar="DIR|URL",
    help="Utterance cache folder, or an fsspec URL such as s3://bucket/matcast (needs the "
         "cluster extra; s3fs for s3://) (default: $MATCAST_CACHE_DIR/utterances, else the "
         "user cache folder).")]
BitrateOpt = Annotated[str, typer.Option(
    "--bitrate", parser=checks.bitrate, metavar="RATE",
    help=f"MP3 bit rate: one of {', '.join(f'{b}k' for b in bounds.MP3_BITRATES)}.")]
EngineOpt = Annotated[str | None, typer.Option(
    "--engine", parser=checks.engine, metavar="NAME",
    help="Speech engine: piper (natural) or pyttsx3 (eSpeak NG, the fast draft voice) "
         "(default: the routine's or library's choice, else $MATCAST_ENGINE, else piper).")]
BedOpt = Annotated[str | None, typer.Option(
    "--bed", parser=checks.bed, metavar="BED",
    help="Background bed: rain, ocean, none, or a WAV, MP3, FLAC, OGG or M4A file "
         "(default: the routine's or library's, else none).")]
BedLevelOpt = Annotated[float | None, typer.Option(
    "--bed-level", parser=checks.BED_LEVEL, metavar="DB",
    help=f"Bed level in dB relative to the usual level, {bounds.BED_LEVEL_MIN} to "
         f"{bounds.BED_LEVEL_MAX} (default: the routine's or library's, else 0).")]
JobsOpt = Annotated[int | None, typer.Option(
    "--jobs", "-j", parser=checks.JOBS, metavar="N",
    help=f"Processes at once, 1 to {bounds.JOBS_MAX} (default: the number of cores). With "
         "--all: episodes built at once, each given an equal share of the cores for Piper's "
         "speech workers; otherwise: Piper's speech workers (at most one per core).")]

ClusterOpt = Annotated[str | None, typer.Option(
    "--cluster", parser=checks.cluster, metavar="URL",
    help="With --all: build the episodes on the Dask scheduler at this address, e.g. "
         "tcp://10.0.0.5:8786 (needs the cluster extra; see the README's cluster section). "
         "-o is then a folder every worker sees at one path, or a URL they all reach "
         "(s3://bucket/podcast).")]

# voices
VoicesEngineOpt = Annotated[str | None, typer.Option(
    "--engine", parser=checks.engine, metavar="ENGINE",
    help="Speech engine: piper or pyttsx3 (default: $MATCAST_ENGINE, else piper).")]
LangOpt = Annotated[str | None, typer.Option(
    "--lang", metavar="LANG", help="Only voices whose language starts with this, e.g. en.")]
