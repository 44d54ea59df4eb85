"""--rate is the real pace heard: words per minute while speaking, measured on the output.

The definition is matcast.voice.pace's; each engine's own setting comes from the stored
calibration (scripts/calibrate.py). The paragraph here is not the calibration's: the pace must
hold on other lines too.
"""

from __future__ import annotations

from collections.abc import Iterator
from contextlib import closing

import numpy as np
import pytest

from matcast.cues import SAMPLE_RATE
from matcast.voice.cache import UtteranceCache
from matcast.voice.calibration import native_setting, points
from matcast.voice.pace import count_words, speaking_seconds, words_per_minute
from matcast.voice.registry import get_engine

PARAGRAPH = [
    "Lie down on your back, and hug both knees in.",
    "Inhale.",
    "Exhale, and rock gently from side to side.",
    "Let your shoulders melt into the floor, and breathe.",
    "Exhale, two.",
    "Stay for three more slow breaths, then release your legs.",
]
RATES = (110, 135, 160)
TOLERANCE = 0.08


def test_words_are_runs_of_letters_with_inner_apostrophes() -> None:
    assert count_words("Don't rock, left-hand side.") == 5
    assert count_words("Exhale, two.") == 2
    assert count_words(" … ") == 0


def test_speaking_time_trims_silence_at_the_ends_but_not_inside() -> None:
    t = np.arange(SAMPLE_RATE) / SAMPLE_RATE
    tone = (8000 * np.sin(2 * np.pi * 220 * t)).astype(np.int16)
    quiet = np.zeros(SAMPLE_RATE // 2, dtype=np.int16)
    clip = np.concatenate([quiet, tone, quiet, tone, quiet[: SAMPLE_RATE // 4]])
    # 1 s + 0.5 s pause + 1 s: the pause between sounds counts, the ends do not.
    assert speaking_seconds(clip) == pytest.approx(2.5, abs=0.01)
    assert words_per_minute([("one two three four five", clip)]) == pytest.approx(120, rel=0.01)


@pytest.mark.parametrize("engine", ["pyttsx3", "piper"])
def test_the_calibration_is_monotonic_and_exact_at_its_points(engine: str) -> None:
    voice = {"pyttsx3": "gmw/en", "piper": "en_US-joe-medium"}[engine]
    measured = points(engine, voice)
    for setting, wpm in measured:
        if float(wpm).is_integer():
            assert native_setting(engine, voice, int(wpm)) == pytest.approx(setting, rel=1e-3)
    settings = [native_setting(engine, voice, rate) for rate in range(95, 221, 5)]
    # eSpeak's rate rises with the words per minute; Piper's length scale falls.
    step = np.diff(settings)
    assert (step > 0).all() if engine == "pyttsx3" else (step < 0).all()


def test_the_cache_key_names_the_engine_setting() -> None:
    key = UtteranceCache.key
    assert key("e", "1", "v", 135, "Rest.", 110.0) != key("e", "1", "v", 135, "Rest.", 111.0)


def measured(engine_name: str) -> Iterator[tuple[int, float]]:
    with closing(get_engine(engine_name)) as engine:
        voice, _ = engine.check(None, None)
        for rate in RATES:
            clips = engine.render(PARAGRAPH, voice, rate)
            yield rate, words_per_minute((text, clips[text]) for text in PARAGRAPH)


def test_espeak_speaks_the_words_per_minute_asked() -> None:
    for rate, wpm in measured("pyttsx3"):
        assert abs(wpm / rate - 1) <= TOLERANCE, (rate, wpm)


@pytest.mark.slow
def test_piper_speaks_the_words_per_minute_asked() -> None:
    pytest.importorskip("piper", reason="piper-tts is not installed")
    # With the voice's own noise, as a user hears it.
    for rate, wpm in measured("piper"):
        assert abs(wpm / rate - 1) <= TOLERANCE, (rate, wpm)
