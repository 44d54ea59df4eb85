"""The pronunciation lexicon: ``routines/lexicon.yaml`` respells words the engines misread.

A library's lexicon maps a word (whole word, any case) to how each speech engine should be told
to say it: one respelling for every engine, or a mapping with a ``default`` and per-engine
overrides (an engine with neither keeps the word as written)::

    words:
      Vrksasana: Vriksha-sahna                       # every engine
      Hasta: {default: Hahstah, pyttsx3: Hahstuh}    # eSpeak's British voice links an r

It is applied only to the text handed to a speech engine, never to captions, transcripts, the
cue script or show notes. A library without its own ``lexicon.yaml`` uses the one that comes
with matcast.
"""

from __future__ import annotations

import difflib
import re
from collections.abc import Callable, Mapping
from dataclasses import dataclass, field
from functools import cache
from pathlib import Path

from matcast.errors import Problem, RoutineError
from matcast.routine.paths import lexicon_path
from matcast.routine.yamlsrc import YamlDoc, YamlProblems, read_yaml

ENGINES = ("piper", "pyttsx3")
"""Engine names a lexicon entry may name (the speech registry's; a test keeps them equal)."""
DEFAULT = "default"
MAX_LENGTH = 100
"""Longest word or respelling, in characters."""

_WORD = re.compile(r"^[^\W\d_]+(?:['’-][^\W\d_]+)*$")
_RESPELLING = re.compile(r"^[^\W\d_]+(?:(?:['’-]| )[^\W\d_]+)*$")


@dataclass(frozen=True)
class Lexicon:
    """Words and their respellings per engine (``DEFAULT`` for every engine)."""

    words: Mapping[str, Mapping[str, str]] = field(default_factory=dict)
    """Word (casefolded) -> engine or ``default`` -> respelling."""
    path: Path | None = None
    """The file it was read from (None for the empty lexicon)."""

    def respelling(self, word: str, engine: str) -> str | None:
        """How ``engine`` should be told to say ``word``, or None to leave it."""
        entry = self.words.get(word.casefold())
        if entry is None:
            return None
        return entry.get(engine, entry.get(DEFAULT))

    def respeller(self, engine: str) -> Callable[[str], str]:
        """A function applying this lexicon's respellings for ``engine`` to a line."""
        table = {w: r for w in self.words if (r := self.respelling(w, engine)) is not None}
        if not table:
            return lambda text: text
        words = sorted(table, key=len, reverse=True)
        # Whole words: not inside a longer run of letters or digits ("Vrksasana's" matches).
        pattern = re.compile(r"(?<![^\W_])(?:" + "|".join(map(re.escape, words)) + r")(?![^\W_])",
                             re.IGNORECASE)

        def respell(text: str) -> str:
            return pattern.sub(lambda m: _cased(m.group(0), table[m.group(0).casefold()]), text)

        return respell

    def apply(self, text: str, engine: str) -> str:
        """``text`` as ``engine`` should be given it."""
        return self.respeller(engine)(text)


def _cased(original: str, respelling: str) -> str:
    """``respelling`` capitalised like ``original``: a capital first letter stays capital (an
    all-capital word too, as a capital only: eSpeak spells out words in capitals), a lower-case
    word stays lower-case."""
    if original[:1].isupper():
        return respelling[:1].upper() + respelling[1:]
    return respelling[:1].lower() + respelling[1:]


def load_lexicon(path: Path) -> Lexicon:
    """Read and check a lexicon file; :class:`RoutineError` with every problem, located."""
    try:
        doc = read_yaml(path)
    except YamlProblems as exc:
        raise RoutineError(exc.problems) from None
    problems: list[Problem] = []
    words = _words(doc, problems)
    if problems:
        raise RoutineError(sorted(problems, key=lambda p: (p.line or 0, p.column or 0)))
    return Lexicon(words, path)


def _words(doc: YamlDoc, problems: list[Problem]) -> dict[str, dict[str, str]]:
    data = doc.data
    hint = "a lexicon is `words:` mapping each word to a respelling, e.g. Vrksasana: Vriksha-sahna"
    if not isinstance(data, dict):
        problems.append(doc.problem((), "expected a mapping with the key `words`", hint))
        return {}
    for key in data:
        if key != "words":
            problems.append(doc.problem((key,), f"unknown key {key!r}; expected only `words`",
                                        hint, key=True))
    words = data.get("words")
    if not isinstance(words, dict) or not words:
        problems.append(doc.problem(("words",), "expected a mapping of words to respellings",
                                    hint))
        return {}
    out: dict[str, dict[str, str]] = {}
    seen: dict[str, str] = {}
    for word, value in words.items():
        where = ("words", word)
        if not _WORD.match(word) or len(word) > MAX_LENGTH:
            problems.append(doc.problem(where, f"{word!r} is not one word", "a word is letters, "
                                        "with ' or - inside it; one entry per word", key=True))
            continue
        folded = word.casefold()
        if folded in seen:
            problems.append(doc.problem(where, f"{word!r} is already listed as {seen[folded]!r}",
                                        "words match in any case: list each word once",
                                        key=True))
            continue
        seen[folded] = word
        entry = _entry(doc, where, value, problems)
        if entry:
            out[folded] = entry
    return out


def _entry(doc: YamlDoc, where: tuple[str, ...], value: object,
           problems: list[Problem]) -> dict[str, str]:
    if isinstance(value, str):
        return {DEFAULT: value} if _respelling(doc, where, value, problems) else {}
    if not isinstance(value, dict) or not value:
        problems.append(doc.problem(where, f"expected a respelling or a mapping of engines to "
                                    f"respellings, not {value!r}",
                                    f"e.g. {{{DEFAULT}: Hahstah, pyttsx3: Hahstuh}}"))
        return {}
    entry: dict[str, str] = {}
    for engine, spelling in value.items():
        at = (*where, engine)
        if engine != DEFAULT and engine not in ENGINES:
            close = difflib.get_close_matches(str(engine), [DEFAULT, *ENGINES], n=1)
            problems.append(doc.problem(
                at, f"unknown engine {engine!r}" + (f" (did you mean {close[0]!r}?)" if close
                                                    else ""),
                f"use {DEFAULT} or an engine: {', '.join(ENGINES)}", key=True))
        elif isinstance(spelling, str) and _respelling(doc, at, spelling, problems):
            entry[engine] = spelling
        elif not isinstance(spelling, str):
            problems.append(doc.problem(at, f"expected a respelling (text), not {spelling!r}"))
    return entry


def _respelling(doc: YamlDoc, where: tuple[str, ...], value: str,
                problems: list[Problem]) -> bool:
    if _RESPELLING.match(value) and len(value) <= MAX_LENGTH:
        return True
    problems.append(doc.problem(
        where, f"{value!r} is not a respelling: expected letters, with spaces, ' or - between "
        f"them, up to {MAX_LENGTH} characters",
        "write the word as it should sound, e.g. Vriksha-sahna"))
    return False


def lexicon_for(library: Path) -> Lexicon:
    """The checked lexicon for routines in ``library`` (read once per file version)."""
    path = lexicon_path(library)
    if path is None:
        return Lexicon()
    stat = path.stat()
    return _cached(path.resolve(), stat.st_mtime_ns, stat.st_size)


@cache
def _cached(path: Path, mtime_ns: int, size: int) -> Lexicon:
    return load_lexicon(path)
