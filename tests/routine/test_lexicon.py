"""The pronunciation lexicon: strict, located checks; whole-word respelling per engine; every
Sanskrit name of the shipped library covered; applied to what is spoken, never to the text."""

from __future__ import annotations

import re
import subprocess
import sys
from pathlib import Path

import numpy as np
import pytest
import yaml

from matcast.errors import RoutineError
from matcast.routine.lexicon import ENGINES, Lexicon, lexicon_for, load_lexicon
from matcast.routine.paths import lexicon_path, routine_paths
from matcast.voice.registry import engine_names
from matcast.voice.synth import synthesize

ROOT = Path(__file__).resolve().parents[2]
LIBRARY = ROOT / "routines"
ENGLISH = {"one", "two", "three"}
"""Words of a `sanskrit:` name that are English ("Virabhadrasana two")."""


def shipped() -> Lexicon:
    return load_lexicon(LIBRARY / "lexicon.yaml")


def test_every_sanskrit_name_in_the_library_has_an_entry() -> None:
    lexicon = shipped()
    names = [yaml.safe_load(p.read_text())["sanskrit"] for p in (LIBRARY / "poses").glob("*.yaml")
             if "sanskrit" in yaml.safe_load(p.read_text())]
    words = {w for name in names for w in re.findall(r"[^\W\d_]+", name)
             if w.casefold() not in ENGLISH}
    assert len(words) > 25
    missing = sorted(w for w in words if lexicon.respelling(w, "piper") is None
                     or lexicon.respelling(w, "pyttsx3") is None)
    assert not missing, f"add these to routines/lexicon.yaml: {missing}"


def test_the_lexicon_engines_are_the_registry_s() -> None:
    assert sorted(ENGINES) == engine_names()


def test_respelling_is_whole_word_any_case_and_per_engine() -> None:
    lexicon = shipped()
    assert lexicon.apply("Come into Vrksasana.", "pyttsx3") == "Come into Vriksha-sahna."
    # Lower case stays lower, capitals become a capital only (eSpeak spells out capitals).
    assert lexicon.apply("vrksasana's tree", "piper") == "vriksha-sahna's tree"
    assert lexicon.apply("VRKSASANA", "piper") == "Vriksha-sahna"
    # Not inside a longer word.
    assert lexicon.apply("Hastas and Vrksasanas", "piper") == "Hastas and Vrksasanas"
    # An engine's own respelling over the default.
    assert lexicon.apply("Baddha Hasta", "pyttsx3") == "Bahdah Hahstuh"
    assert lexicon.apply("Baddha Hasta", "piper") == "Bahdah Hahstah"


def test_a_library_without_a_lexicon_uses_matcast_s(tmp_path: Path) -> None:
    assert lexicon_path(tmp_path) == LIBRARY / "lexicon.yaml"
    assert lexicon_for(tmp_path).apply("Tadasana", "piper") == "Tahda-sahna"
    (tmp_path / "lexicon.yaml").write_text("words: {Tadasana: Tah-dah}\n")
    assert lexicon_for(tmp_path).apply("Tadasana", "piper") == "Tah-dah"
    # The lexicon is not a routine of the library.
    assert LIBRARY / "lexicon.yaml" not in routine_paths(LIBRARY)


BAD = """\
words:
  Vrksasana: Vriksha-sahna
  vrksasana: Vrik
  Hasta: {defualt: Hahstah}
  "two words": Two
  Tada: "12"
extra: 1
"""


def test_every_problem_is_reported_with_file_line_and_key_path(tmp_path: Path) -> None:
    path = tmp_path / "lexicon.yaml"
    path.write_text(BAD)
    with pytest.raises(RoutineError) as info:
        load_lexicon(path)
    found = [(p.line, p.key_path) for p in info.value.problems]
    assert found == [(3, "words.vrksasana"), (4, "words.Hasta.defualt"),
                     (5, "words.two words"), (6, "words.Tada"), (7, "extra")]
    text = str(info.value)
    assert "did you mean 'default'?" in text and "is not a respelling" in text
    for bad in ("[]\n", "words: {}\n", "words: {Hasta: [1]}\n"):
        path.write_text(bad)
        with pytest.raises(RoutineError):
            load_lexicon(path)


def test_validate_checks_the_library_s_lexicon(tmp_path: Path) -> None:
    library = tmp_path / "lib"
    (library / "poses").mkdir(parents=True)
    (library / "poses" / "rest.yaml").write_text("name: Rest\nenter: [Lie down.]\n")
    (library / "r.yaml").write_text("title: R\nsequence: [{pose: rest}]\n")
    (library / "lexicon.yaml").write_text("words: {Tada: 12}\n")
    result = subprocess.run([sys.executable, "-m", "matcast.cli", "validate", str(library)],
                            capture_output=True, text=True, check=False)
    assert result.returncode == 2
    assert f"{library / 'lexicon.yaml'}:1:" in result.stderr and "words.Tada" in result.stderr


class Recorder:
    """An engine that records what it is given (the lexicon must act before it)."""

    name = "pyttsx3"

    def __init__(self) -> None:
        self.given: list[str] = []

    def version(self) -> str:
        return "1"

    def check(self, voice: str | None, rate: int | None) -> tuple[str, int]:
        return "v", rate or 135

    def setting(self, voice: str, rate: int) -> float:
        return float(rate)

    def render(self, texts, voice, rate, on_done=None):  # type: ignore[no-untyped-def]
        out = {}
        for text in texts:
            self.given.append(text)
            out[text] = np.full(100 + len(self.given), 1000, dtype=np.int16)
            if on_done:
                on_done(text, out[text])
        return out


def test_synthesis_speaks_the_respelling_and_returns_the_written_line(tmp_path: Path) -> None:
    from matcast.voice.cache import UtteranceCache

    engine = Recorder()
    cache = UtteranceCache(tmp_path)
    respell = shipped().respeller("pyttsx3")
    lines = ["Come into Vrksasana.", "Come into vrksasana.", "Rest."]
    clips, stats = synthesize(lines, engine, None, None, cache, respell=respell)  # type: ignore[arg-type]
    assert list(clips) == lines  # under the lines as written, for captions and the mixer
    assert engine.given == ["Come into Vriksha-sahna.", "Come into vriksha-sahna.", "Rest."]
    # Cached under what was spoken: a lexicon change re-renders only the lines it changes.
    key = cache.key("pyttsx3", "1", "v", 135, "Come into Vriksha-sahna.", 135.0)
    assert cache.get(key) is not None
    _, stats = synthesize(lines, engine, None, None, cache,  # type: ignore[arg-type]
                          respell=lambda text: text.replace("Vrksasana", "Vrik-sahna"))
    assert (stats.rendered, stats.cached) == (2, 1)  # both Vrksasana lines now differ


def test_a_build_speaks_the_respelling_and_writes_the_word(tmp_path: Path) -> None:
    library = tmp_path / "lib"
    (library / "poses").mkdir(parents=True)
    (library / "poses" / "childs-pose.yaml").write_text(
        (LIBRARY / "poses" / "childs-pose.yaml").read_text())  # sanskrit: Balasana
    (library / "r.yaml").write_text(
        "title: Lexicon test\ndefaults: {hold: {breaths: 1}, rest: 1}\n"
        "intro: [Come into Balasana.]\nsequence:\n  - pose: childs-pose\noutro: [Done.]\n")

    def build(out: str) -> str:
        result = subprocess.run(
            [sys.executable, "-m", "matcast.cli", "build", str(library / "r.yaml"), "-o",
             str(tmp_path / out), "--cache-dir", str(tmp_path / "cache")],
            capture_output=True, text=True, check=False, cwd=ROOT)
        assert result.returncode == 0, result.stderr
        return result.stdout

    build("a")
    # Captions and the cue script keep the word as written; the respelling is only spoken.
    for name in ("r.vtt", "r.cues.json"):
        text = (tmp_path / "a" / name).read_text()
        assert "Balasana" in text and "bahla" not in text.lower()
    # Another respelling of Balasana re-speaks exactly the lines that hold it (intro and name).
    (library / "lexicon.yaml").write_text("words: {Balasana: Bah-lah-sahna}\n")
    assert "(2 lines spoken, 14 from cache;" in build("b")
