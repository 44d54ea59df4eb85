"""The WebVTT transcripts of every episode the shipped library publishes, checked three ways: the
spec's file structure (tests/vtt_check.py, always), read back with webvtt-py (always), and the W3C
WebVTT validator's own parser, webvtt-parser, under node (skipped with the reason without node).

The cue scripts are compiled, not rendered: the transcript writer reads nothing else.
"""

from __future__ import annotations

import dataclasses
import functools
import html
from pathlib import Path

import pytest
import webvtt

from matcast import compile_routine, load_routine
from matcast.build.plan import compile_options
from matcast.cues import CueScript, EventKind, samples_to_seconds
from matcast.publish.sidecars import webvtt as write_webvtt
from matcast.routine.paths import routine_paths
from node_tools import run_node
from vtt_check import webvtt_problems

LIBRARY = Path(__file__).resolve().parents[2] / "routines"
MARKUP = "Breathe <in> & out --> slowly, <b>then</b> rest &amp; relax"


@functools.cache
def shipped_scripts() -> dict[str, CueScript]:
    """Every episode of the shipped library (each routine's variants), by slug."""
    scripts = {}
    for path in routine_paths(LIBRARY):
        loaded = load_routine(path)
        for variant in loaded.routine.variants or [None]:
            options = variant.model_dump(mode="json", exclude_none=True) if variant else {}
            suffix = variant.suffix() if variant else ""
            scripts[loaded.slug + suffix] = compile_routine(loaded, compile_options(options))
    return scripts


def with_markup(script: CueScript) -> CueScript:
    """The script with markup and an arrow in its title and in every third spoken line."""
    events = tuple(dataclasses.replace(e, text=f"{e.text} {MARKUP}")
                   if e.kind is EventKind.speech and e.text and i % 3 == 0 else e
                   for i, e in enumerate(script.events))
    return dataclasses.replace(script, title=f"{script.title} {MARKUP}", events=events)


@pytest.fixture(scope="module")
def transcripts(tmp_path_factory: pytest.TempPathFactory) -> dict[Path, CueScript]:
    folder = tmp_path_factory.mktemp("vtt")
    scripts = dict(shipped_scripts())
    scripts["markup"] = with_markup(scripts["thunderbolt"])
    files = {}
    for slug, script in scripts.items():
        path = folder / f"{slug}.vtt"
        path.write_text(write_webvtt(script), encoding="utf-8")
        files[path] = script
    return files


def test_the_shipped_library_has_every_episode() -> None:
    # 9 routines; post-run with 5 variants, legs-up-the-wall with 4, downward-dog-back with 2
    # (the gentle versions): 17 episodes.
    assert len(shipped_scripts()) == 17


def test_signature_then_a_blank_line(transcripts: dict[Path, CueScript]) -> None:
    for path in transcripts:
        assert path.read_text(encoding="utf-8").startswith("WEBVTT\n\nNOTE "), path.name


def test_every_transcript_has_the_webvtt_structure(transcripts: dict[Path, CueScript]) -> None:
    for path in transcripts:
        assert webvtt_problems(path.read_text(encoding="utf-8")) == [], path.name


def test_the_structure_check_catches_what_the_w3c_validator_rejects() -> None:
    good = "WEBVTT\n\nNOTE x\n\n1\n00:00:01.000 --> 00:00:02.000\nHello &amp; bye\n"
    assert webvtt_problems(good) == []
    assert webvtt_problems(good.replace("WEBVTT\n\n", "WEBVTT\n")) == [
        "line 2: no blank line after the signature"]
    assert webvtt_problems(good.replace("&amp;", "&")) == ["line 7: an unescaped & in cue text"]
    assert webvtt_problems(good.replace("02.000", "00.500")) == [
        "line 6: the cue ends at or before its start"]
    assert webvtt_problems(good.replace("00:00:01.000", "0:00:01.000")) == [
        "line 6: bad cue timings '0:00:01.000 --> 00:00:02.000'"]


def test_webvtt_py_reads_back_every_spoken_line(transcripts: dict[Path, CueScript]) -> None:
    for path, script in transcripts.items():
        speech = [e for e in script.events if e.kind is EventKind.speech and e.text]
        captions = webvtt.read(str(path)).captions
        assert len(captions) == len(speech), path.name
        for caption, event in zip(captions, speech, strict=True):
            assert caption.start_in_seconds + caption.start_time.milliseconds / 1000 == (
                pytest.approx(samples_to_seconds(event.start), abs=0.0006))
            assert caption.end_in_seconds + caption.end_time.milliseconds / 1000 == (
                pytest.approx(samples_to_seconds(event.end), abs=0.0006))
            assert html.unescape(caption.text) == " ".join((event.text or "").split())


def test_the_w3c_webvtt_validator_accepts_every_transcript(
        transcripts: dict[Path, CueScript]) -> None:
    results = run_node("webvtt.cjs", *transcripts)
    assert set(results) == {str(p) for p in transcripts}
    for path, script in transcripts.items():
        result = results[str(path)]
        assert result["errors"] == [], path.name
        speech = [e for e in script.events if e.kind is EventKind.speech and e.text]
        assert [c["start"] for c in result["cues"]] == pytest.approx(
            [samples_to_seconds(e.start) for e in speech], abs=0.0006)
        assert [html.unescape(c["text"]) for c in result["cues"]] == [
            " ".join((e.text or "").split()) for e in speech]
