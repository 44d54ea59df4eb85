"""``matcast say``: hear one line (or see how eSpeak NG reads it) before building a session."""

from __future__ import annotations

from pathlib import Path
from typing import Annotated

import typer

from matcast import bounds
from matcast import cli_checks as checks
from matcast.cli_options import LibraryOpt, VoiceOpt

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
