"""The voice commands: ``matcast say`` (hear one line, or see how eSpeak NG reads it, before
building a session) and ``matcast voices`` (the voices of a speech engine)."""

from __future__ import annotations

from pathlib import Path
from typing import Annotated

import typer

from matcast import bounds
from matcast import cli_checks as checks
from matcast.cli_options import LangOpt, LibraryOpt, VoiceOpt, VoicesEngineOpt
from matcast.errors import UsageError

SayOutOpt = Annotated[Path, typer.Option(
    "--out", "-o", parser=checks.path("-o"), metavar="FILE", show_default=False,
    help="The WAV file to write (default: say.wav).")]
SayEngineOpt = Annotated[str | None, typer.Option(
    "--engine", parser=checks.engine, metavar="NAME",
    help="Speech engine: piper or pyttsx3 (default: $MATCAST_ENGINE, else piper).")]
SayRateOpt = Annotated[int | None, typer.Option(
    "--rate", parser=checks.RATE, metavar="WPM",
    help=f"Speaking rate in real words per minute, {bounds.RATE_MIN} to {bounds.RATE_MAX} "
         f"(default: {bounds.DEFAULT_RATE}).")]
PhonemesOpt = Annotated[bool, typer.Option(
    "--phonemes", help="Print eSpeak NG's IPA for the line as the engine is given it (after "
    "the lexicon), and write no audio.")]


def say(
    text: Annotated[str, typer.Argument(
        metavar="TEXT", help="The line to speak, e.g. \"Come into Vrksasana.\"")],
    out: SayOutOpt = Path("say.wav"),
    engine: SayEngineOpt = None,
    voice: VoiceOpt = None,
    rate: SayRateOpt = None,
    phonemes: PhonemesOpt = False,
    library: LibraryOpt = None,
) -> None:
    """Speak one line to a WAV file, respelled by the library's pronunciation lexicon
    (lexicon.yaml), as a build would speak it."""
    from matcast.build.say import espeak_voice
    from matcast.build.say import say as speak
    from matcast.routine.paths import default_library, routine_paths

    folder = library or default_library()
    routine_paths(folder)  # a library folder, or the error naming it
    said = speak(text, None if phonemes else out, engine, voice, rate, folder)
    if phonemes:
        from matcast.voice.phonemes import phonemes as ipa

        typer.echo(f"spoken:   {said.spoken}")
        reader = espeak_voice(said.engine, said.voice)
        typer.echo(f"phonemes: {ipa(said.spoken, reader)}   (eSpeak NG, voice {reader})")
        return
    typer.echo(f"{out}: {said.seconds:.1f} s, {said.engine} {said.voice} at {said.rate} wpm: "
               f"{said.spoken}")


def voices(
    engine: VoicesEngineOpt = None,
    lang: LangOpt = None,
) -> None:
    """List the voices of a speech engine: id, name, languages."""
    from matcast.voice.registry import get_engine

    speech = get_engine(engine)
    engine = speech.name
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
