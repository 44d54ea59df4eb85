"""The lexicon's respellings, read by eSpeak NG itself (its IPA, through espeak_TextToPhonemes):
each Sanskrit word is said as meant. pyttsx3 speaks with eSpeak's default voice (gmw/en); Piper's
joe phonemizes with eSpeak's en-us. Each check is also run on the raw word where eSpeak misreads
it, so a check that cannot fail would show."""

from __future__ import annotations

import re
from pathlib import Path

import pytest

from matcast.routine.lexicon import load_lexicon
from matcast.voice.phonemes import phonemes

LEXICON = load_lexicon(Path(__file__).resolve().parents[2] / "routines" / "lexicon.yaml")
READERS = {"pyttsx3": "gmw/en", "piper": "en-us"}
"""The eSpeak NG voice each engine's reading follows."""
CASES = [(engine, word) for engine in READERS for word in sorted(LEXICON.words)]


def ipa(word: str, engine: str) -> str:
    spelling = LEXICON.respelling(word, engine)
    assert spelling is not None, word
    return phonemes(spelling, READERS[engine])


def letters_spelled_out(reading: str) -> list[str]:
    """Letter names eSpeak says when it spells a word: a letter's name (its own reading, like
    vˈiː for V) followed at once by another stressed syllable."""
    found = []
    for letter in "bcdgjkpqtvz":
        name = phonemes(letter.upper(), "en-us")
        pattern = re.escape(name).replace("ˈ", "[ˈˌ]")
        if re.search(pattern + "[ˈˌ]", reading):
            found.append(letter)
    return found


@pytest.mark.parametrize(("engine", "word"), CASES)
def test_no_letter_is_spelled_out(engine: str, word: str) -> None:
    assert not letters_spelled_out(ipa(word, engine))


def test_the_letter_check_catches_eSpeak_spelling_vrksasana() -> None:
    assert "v" in letters_spelled_out(phonemes("Vrksasana", "en-us"))


@pytest.mark.parametrize(("engine", "word"), [c for c in CASES if c[1].endswith("asana")])
def test_asana_is_stressed_a_sah_na(engine: str, word: str) -> None:
    reading = ipa(word, engine)
    # The last primary stress falls on "sa" ("sˈɑː"), and the word ends "-sahna".
    assert reading.endswith("sˈɑːnə"), reading
    assert "ˈ" not in reading[reading.rindex("sˈɑː") + 2:], reading


def test_the_stress_check_catches_an_unstressed_asana() -> None:
    assert not phonemes("Tahdahsahna", "en-us").endswith("sˈɑːnə")


@pytest.mark.parametrize("engine", READERS)
def test_hasta_is_hah_stah_never_haste_er(engine: str) -> None:
    line = LEXICON.apply("Baddha Hasta Uttanasana", engine)
    reading = phonemes(line, READERS[engine])
    hasta = reading.split()[1]
    assert hasta.startswith("hˈɑːst"), reading
    assert not re.search(r"(ɚ|ɹ|əɹ)$", hasta), reading
    # What eSpeak does with the word as written: "haste", and an r before a vowel.
    raw = phonemes("Baddha Hasta Uttanasana", READERS[engine]).split()[1]
    assert raw.startswith("hˈeɪst")


@pytest.mark.parametrize("engine", READERS)
def test_utthita_has_no_th_of_thin(engine: str) -> None:
    assert "θ" not in ipa("Utthita", engine)
    assert "θ" in phonemes("Utthita", READERS[engine])


@pytest.mark.parametrize("engine", READERS)
def test_bitilasana_does_not_start_like_bite(engine: str) -> None:
    assert not ipa("Bitilasana", engine).startswith("baɪ")
    assert phonemes("Bitilasana", READERS[engine]).startswith("baɪ")
