"""Tests of the speech layer: real pyttsx3 with the bundled eSpeak NG for everything that speaks,
and tiny fake workers (scripts written into tmp_path) for the ways a worker can fail."""

from __future__ import annotations

import json
import shlex
import subprocess
import sys
import threading
import time
import wave
from collections.abc import Iterator
from pathlib import Path

import numpy as np
import pytest

from matcast.cues import SAMPLE_RATE
from matcast.errors import EngineError
from matcast.voice import (
    Pyttsx3Engine,
    SpeechEngine,
    UtteranceCache,
    default_cache_dir,
    engine_names,
    get_engine,
    synthesize,
)
from matcast.voice.engine import speakable_text, trim_silence
from matcast.voice.pyttsx3_engine import WORKER_CMD_ENV, default_worker_cmd

VOICE = "gmw/en-us"
MS = SAMPLE_RATE // 1000
LOUD = 32768 * 10 ** (-40 / 20)
"""-40 dBFS: well above eSpeak's noise floor, well below any vowel."""


@pytest.fixture(scope="module")
def engine() -> Iterator[Pyttsx3Engine]:
    with Pyttsx3Engine() as eng:
        yield eng


def first_loud(samples: np.ndarray) -> int:
    return int(np.flatnonzero(np.abs(samples.astype(np.int32)) > LOUD)[0])


# --- the engine itself -------------------------------------------------------------------------


def test_registry_gives_pyttsx3_and_names_known_engines_for_unknown_one() -> None:
    assert "pyttsx3" in engine_names()
    eng = get_engine("pyttsx3")
    assert isinstance(eng, SpeechEngine)
    eng.close()
    with pytest.raises(EngineError, match=r"known engines: .*pyttsx3.*did you mean 'pyttsx3'"):
        get_engine("pyttsx4")


def test_voices_include_english_and_the_default(engine: Pyttsx3Engine) -> None:
    voices = engine.voices()
    ids = {v.id for v in voices}
    english = [v for v in voices if any(lang.startswith("en") for lang in v.languages)]
    assert {"gmw/en", VOICE} <= {v.id for v in english}
    assert engine.default_voice() in ids
    assert all(v.name for v in voices)


def test_version_names_pyttsx3_and_espeak_data(engine: Pyttsx3Engine) -> None:
    from importlib.metadata import version

    text = engine.version()
    assert f"pyttsx3 {version('pyttsx3')}" in text
    assert f"espeakng-loader {version('espeakng-loader')}" in text


def test_check_resolves_defaults_and_short_voice_names(engine: Pyttsx3Engine) -> None:
    assert engine.check(None, None) == (engine.default_voice(), engine.default_rate())
    assert engine.check("en-us", 150) == (VOICE, 150)
    assert engine.check("GMW/EN-US", None)[0] == VOICE


def test_unknown_voice_suggests_and_hints(engine: Pyttsx3Engine) -> None:
    with pytest.raises(EngineError) as info:
        engine.check("gmw/en-uss", None)
    message = str(info.value)
    assert "unknown voice 'gmw/en-uss'" in message
    assert "did you mean 'gmw/en-us'" in message
    assert "matcast voices" in message


@pytest.mark.parametrize("rate", [94, 221, 0, -5, True])
def test_rate_out_of_range(engine: Pyttsx3Engine, rate: int) -> None:
    with pytest.raises(EngineError, match="rate"):
        engine.check(VOICE, rate)


def test_render_is_trimmed_44k_int16(engine: Pyttsx3Engine) -> None:
    texts = ["Breathe in.", "Slowly lower your arms to your sides."]
    done: list[str] = []
    clips = engine.render(texts, VOICE, 160, on_done=lambda text, _samples: done.append(text))
    assert done == texts
    for text in texts:
        clip = clips[text]
        assert clip.dtype == np.int16 and clip.ndim == 1
        assert clip.size > 0.3 * SAMPLE_RATE
        # Speech starts within 10 ms of sample 0 and the clip ends within 60 ms of the last sound.
        assert first_loud(clip) <= 10 * MS
        assert first_loud(clip[::-1]) <= 60 * MS
    # Resampled, not relabelled: at 22.05 kHz read as 44.1 kHz, 7 words at 160 wpm would last
    # about half as long as they should.
    long = clips[texts[1]].size / SAMPLE_RATE
    assert 1.5 < long < 3.5
    # ...and filtered, not sample-repeated: repeating would mirror speech above 11.025 kHz.
    spectrum = np.abs(np.fft.rfft(clips[texts[1]].astype(np.float64)))
    freqs = np.fft.rfftfreq(clips[texts[1]].size, 1 / SAMPLE_RATE)
    assert spectrum[freqs > 11_025].sum() < 0.01 * spectrum.sum()


def test_markup_is_read_as_text_and_control_characters_dropped(engine: Pyttsx3Engine) -> None:
    clips = engine.render(["Hello.", "<b>Hello.</b>", "Hel\x00lo.\x1b"], VOICE, 160)
    # With markup interpreted, "<b>" would vanish and both clips would be the same length.
    assert clips["<b>Hello.</b>"].size > 1.5 * clips["Hello."].size
    assert abs(clips["Hel\x00lo.\x1b"].size - clips["Hello."].size) < 60 * MS


def test_speakable_text() -> None:
    assert speakable_text("Breathe\tin,\r\n\x07 slowly\u200b.\x7f") == "Breathe in, slowly."
    assert speakable_text("\x00\x01 \n") == ""


def test_text_without_words_is_an_error(engine: Pyttsx3Engine) -> None:
    with pytest.raises(EngineError, match="no words"):
        engine.render(["\x00\n"], VOICE, 160)


def test_trim_silence_keeps_lead_and_tail() -> None:
    tone = (8000 * np.sin(np.arange(SAMPLE_RATE // 10) * 0.1)).astype(np.int16)
    silence = np.zeros(SAMPLE_RATE, np.int16)
    padded = np.concatenate([silence, tone, silence])
    trimmed = trim_silence(padded)
    assert 5 * MS <= first_loud(trimmed) <= 8 * MS
    assert 30 * MS <= trimmed.size - tone.size - first_loud(trimmed) <= 34 * MS
    assert trim_silence(np.zeros(1000, np.int16)).size == 0


def test_worker_speaks_protocol_on_stdout_only_and_exits_when_stdin_closes(tmp_path: Path) -> None:
    proc = subprocess.Popen(
        default_worker_cmd(),
        stdin=subprocess.PIPE,
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
        text=True,
    )
    request = {
        "op": "render",
        "id": 7,
        "text": "Hello.",
        "voice": VOICE,
        "rate": 160,
        "path": str(tmp_path / "out.wav"),
    }
    out, err = proc.communicate(json.dumps(request) + "\n", timeout=20)
    assert proc.returncode == 0, err
    lines = [json.loads(line) for line in out.splitlines()]
    assert lines[0]["event"] == "ready" and lines[0]["driver"] == "espeak"
    assert lines[1:] == [{"id": 7, "ok": True}]
    with wave.open(str(tmp_path / "out.wav")) as w:
        assert w.getnframes() > 0


# --- the cache ---------------------------------------------------------------------------------


def test_cache_second_build_renders_nothing(engine: Pyttsx3Engine, tmp_path: Path) -> None:
    cache = UtteranceCache(tmp_path)
    texts = ["Inhale.", "Exhale.", "Inhale.", "Rest here."]
    progress: list[tuple[int, int]] = []
    first, stats = synthesize(
        texts,
        engine,
        "en-us",
        150,
        cache,
        on_progress=lambda done, total: progress.append((done, total)),
    )
    assert (stats.rendered, stats.cached) == (3, 0)
    assert list(first) == ["Inhale.", "Exhale.", "Rest here."]
    assert progress == [(1, 3), (2, 3), (3, 3)]
    second, stats = synthesize(texts, engine, VOICE, 150, cache)
    assert (stats.rendered, stats.cached) == (0, 3)
    for text in first:
        assert np.array_equal(first[text], second[text])
    # Another rate is another clip.
    _, stats = synthesize(texts, engine, VOICE, 151, cache)
    assert stats.rendered == 3


@pytest.mark.parametrize("damage", ["flip", "truncate", "garbage"])
def test_damaged_cache_entry_is_rendered_again(
    engine: Pyttsx3Engine, tmp_path: Path, damage: str
) -> None:
    cache = UtteranceCache(tmp_path)
    texts = ["Inhale.", "Exhale."]
    synthesize(texts, engine, VOICE, 160, cache)
    path = cache.path(cache.key("pyttsx3", engine.version(), VOICE, 160, "Exhale.",
                                engine.setting(VOICE, 160)))
    data = bytearray(path.read_bytes())
    if damage == "flip":
        data[len(data) // 2] ^= 0x40
    elif damage == "truncate":
        data = data[: len(data) - 100]
    else:
        data = bytearray(b"not a wav at all")
    path.write_bytes(bytes(data))
    clips, stats = synthesize(texts, engine, VOICE, 160, cache)
    assert (stats.rendered, stats.cached) == (1, 1)
    stored = cache.get(cache.key("pyttsx3", engine.version(), VOICE, 160, "Exhale.",
                                engine.setting(VOICE, 160)))
    assert stored is not None and np.array_equal(stored, clips["Exhale."])


def test_cache_entries_are_plain_wavs_and_concurrent_puts_all_succeed(tmp_path: Path) -> None:
    cache = UtteranceCache(tmp_path)
    key = cache.key("e", "1", "v", 160, "same line")
    samples = (np.arange(4410) % 200 - 100).astype(np.int16)
    errors: list[BaseException] = []

    def put() -> None:
        try:
            for _ in range(20):
                cache.put(key, samples)
        except BaseException as exc:
            errors.append(exc)

    threads = [threading.Thread(target=put) for _ in range(4)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    assert errors == []
    assert [p.name for p in cache.path(key).parent.iterdir()] == [f"{key}.wav"]
    with wave.open(str(cache.path(key))) as w:
        assert (w.getframerate(), w.getnchannels(), w.getsampwidth()) == (SAMPLE_RATE, 1, 2)
        assert np.array_equal(np.frombuffer(w.readframes(w.getnframes()), "<i2"), samples)
    got = cache.get(key)
    assert got is not None and np.array_equal(got, samples)
    assert cache.get(cache.key("e", "2", "v", 160, "same line")) is None
    with pytest.raises(ValueError):
        cache.path("../../etc/passwd")


def test_default_cache_dir_honours_environment(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv("MATCAST_CACHE_DIR", str(tmp_path))
    assert default_cache_dir() == tmp_path / "utterances"
    monkeypatch.delenv("MATCAST_CACHE_DIR")
    assert default_cache_dir().name == "utterances" and "matcast" in str(default_cache_dir())


# --- worker faults -----------------------------------------------------------------------------

COUNTER = """
import json, sys, pathlib, time
counter = pathlib.Path(sys.argv[1])
starts = int(counter.read_text()) + 1 if counter.exists() else 1
counter.write_text(str(starts))

def send(message):
    sys.stdout.write(json.dumps(message) + "\\n")
    sys.stdout.flush()
"""

READY = """
send({"event": "ready", "protocol": 1, "driver": "fake", "library": "fake",
      "default_voice": "fake", "voices": [{"id": "fake", "name": "Fake", "languages": ["en"]}]})
"""

FAULTS = {
    "hang": READY
    + """
for line in sys.stdin:
    time.sleep(3600)
""",
    "crash": READY
    + """
for line in sys.stdin:
    sys.stderr.write("fake worker: segfault in synthesizer\\n")
    sys.exit(3)
""",
    "empty": READY
    + """
import wave
for line in sys.stdin:
    request = json.loads(line)
    with wave.open(request["path"], "wb") as w:
        w.setnchannels(1); w.setsampwidth(2); w.setframerate(22050)
    send({"id": request["id"], "ok": True})
""",
    "silent": READY
    + """
import wave
for line in sys.stdin:
    request = json.loads(line)
    with wave.open(request["path"], "wb") as w:
        w.setnchannels(1); w.setsampwidth(2); w.setframerate(22050)
        w.writeframes(bytes(44100))
    send({"id": request["id"], "ok": True})
""",
    "no-file": READY
    + """
for line in sys.stdin:
    send({"id": json.loads(line)["id"], "ok": True})
""",
    "never-ready": """
time.sleep(3600)
""",
    "crash-at-start": """
sys.stderr.write("eSpeak: cannot find phontab\\n")
sys.exit(1)
""",
}


def fake_worker(tmp_path: Path, behaviour: str) -> tuple[list[str], Path]:
    script = tmp_path / f"fake_{behaviour}.py"
    script.write_text(COUNTER + FAULTS[behaviour])
    counter = tmp_path / "starts"
    return [sys.executable, str(script), str(counter)], counter


CUE = "Press your palms together at your heart and take three slow breaths here."


@pytest.mark.parametrize(
    "behaviour", ["hang", "crash", "empty", "silent", "no-file", "never-ready", "crash-at-start"]
)
def test_failing_worker_is_restarted_once_then_names_the_cue(
    tmp_path: Path, behaviour: str
) -> None:
    argv, counter = fake_worker(tmp_path, behaviour)
    started = time.monotonic()
    with (
        Pyttsx3Engine(argv, timeout=0.3, timeout_per_char=0, startup_timeout=1.0) as eng,
        pytest.raises(EngineError) as info,
    ):
        eng.render([CUE], "fake", 160)
    assert time.monotonic() - started < 8
    assert counter.read_text() == "2"
    message = str(info.value)
    assert "Press your palms together at your heart" in message
    assert "attempt 1:" in message and "attempt 2:" in message
    expected = {
        "hang": "no reply within 0.3 s",
        "crash": "segfault in synthesizer",
        "empty": "no samples",
        "silent": "silent",
        "no-file": "no WAV file",
        "never-ready": "no reply within 1.0 s",
        "crash-at-start": "cannot find phontab",
    }[behaviour]
    assert expected in message


def test_worker_command_from_environment(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    argv, counter = fake_worker(tmp_path, "crash")
    monkeypatch.setenv(WORKER_CMD_ENV, shlex.join(argv))
    with Pyttsx3Engine() as eng, pytest.raises(EngineError, match="exited with code 3"):
        eng.render(["Rest."], "fake", 160)
    assert counter.read_text() == "2"


def test_worker_that_fails_once_is_retried(tmp_path: Path) -> None:
    script = tmp_path / "flaky.py"
    worker = Path(default_worker_cmd()[-1])
    script.write_text(
        COUNTER
        + f"""
WORKER = {str(worker)!r}
"""
        + """
if starts == 1:
    send({"event": "ready", "protocol": 1, "driver": "fake", "default_voice": "x", "voices": []})
    sys.stdin.readline()
    sys.exit(9)
import runpy
runpy.run_path(WORKER, run_name="__main__")
"""
    )
    counter = tmp_path / "starts"
    with Pyttsx3Engine([sys.executable, str(script), str(counter)]) as eng:
        clips = eng.render(["Rest.", "Breathe."], VOICE, 160)
        assert counter.read_text() == "2"
        assert all(first_loud(clip) <= 10 * MS for clip in clips.values())
        # The restarted worker keeps serving: no third start.
        eng.render(["Again."], VOICE, 160)
    assert counter.read_text() == "2"


def test_close_stops_the_worker_and_engine_restarts_on_demand(engine: Pyttsx3Engine) -> None:
    engine.voices()
    proc = engine._worker.proc if engine._worker else None
    assert proc is not None
    engine.close()
    assert proc.returncode == 0
    assert engine.render(["Begin."], VOICE, 160)["Begin."].size > 0
