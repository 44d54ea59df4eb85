"""Fitting a routine to any length: the order (breaths, tips, optional poses; breaths,
relaxation, rounds), every shipped routine at 5 and 90 minutes, the relaxation floor, the lint,
and what the error suggests when a length cannot be met."""

from __future__ import annotations

import re
import subprocess
import sys
from pathlib import Path

import numpy as np
import pytest

from matcast.audio.ffmpeg import decode_pcm
from matcast.build.session import Builder, BuildOptions
from matcast.build.suggest import suggest
from matcast.compiler import CompileOptions, _Parts, compile_routine, expand, length_range
from matcast.compiler.holds import count_word
from matcast.compiler.shape import AS_WRITTEN, ROUND_LINES, drop_order, longer, shorter
from matcast.compiler.speech import speech_length
from matcast.cues import SAMPLE_RATE, CueScript, EventKind
from matcast.errors import LengthError
from matcast.lint.sessions import lint_built
from matcast.routine.enums import Guidance, Level, Pace, Style
from matcast.routine.loader import LoadedRoutine, load_routine
from matcast.routine.paths import routine_paths

ROOT = Path(__file__).resolve().parents[2]
LIBRARY = ROOT / "routines"
ROUTINES = [p.stem for p in routine_paths(LIBRARY)]
POST_RUN_MINUTES = (10, 15, 20, 30, 45, 60)


@pytest.fixture(scope="module")
def post_run() -> LoadedRoutine:
    return load_routine(LIBRARY / "post-run.yaml")


def relaxation_samples(script: CueScript) -> int:
    return sum(c.end - c.start for c in script.chapters if c.pose == "final-relaxation")


def poses_of(script: CueScript) -> list[str]:
    return [c.pose for c in script.chapters if c.pose is not None]


@pytest.mark.parametrize("minutes", POST_RUN_MINUTES)
def test_post_run_in_hold_style_fits_and_passes_the_lint(post_run: LoadedRoutine,
                                                         minutes: int) -> None:
    script = compile_routine(post_run, CompileOptions(style=Style.hold, minutes=minutes))
    target = minutes * 60 * SAMPLE_RATE
    assert abs(script.duration - target) <= 0.01 * target
    assert lint_built(post_run, script) == []
    relax = relaxation_samples(script)
    if minutes >= 15:
        assert relax >= max(0.10 * script.duration, 120 * SAMPLE_RATE)
    else:
        assert relax > 0


@pytest.mark.slow  # about 50 s: eSpeak speaks every line, ffmpeg encodes ten minutes
def test_post_run_builds_to_ten_minutes_of_mp3(tmp_path: Path, post_run: LoadedRoutine
                                               ) -> None:
    with Builder(BuildOptions(out_dir=tmp_path / "out", cache_dir=tmp_path / "cache")) as b:
        result = b.build(post_run, CompileOptions(style=Style.hold, minutes=10))
    audio = decode_pcm(result.mp3)
    target = 10 * 60 * SAMPLE_RATE
    assert abs(result.script.duration - target) <= 0.01 * target
    # The Xing/LAME header lets the decoder drop the encoder delay and padding.
    assert abs(len(audio) - result.script.duration) <= 1152
    assert np.abs(audio.astype(np.float64)).max() > 1000
    assert lint_built(post_run, result.script) == []


@pytest.mark.parametrize("name", ROUTINES)
def test_every_shipped_routine_fits_5_and_90_minutes_or_its_declared_range(name: str) -> None:
    loaded = load_routine(LIBRARY / f"{name}.yaml")
    d = loaded.routine.duration
    low, high = d.span() if d is not None else (5.0, 90.0)
    ends = (max(low, 5.0), min(high, 90.0))
    if d is not None and d.min is not None and d.min > 5:
        assert d.reason, f"{name} declares a shortest length over 5 minutes without a reason"
    if d is not None and d.max is not None and d.max < 90:
        assert d.reason, f"{name} declares a longest length under 90 minutes without a reason"
    for style in loaded.routine.styles:
        reach = length_range(loaded, CompileOptions(style=style))
        assert reach[0] <= ends[0] and reach[1] >= ends[1], (style, reach)
        for minutes in ends:
            script = compile_routine(loaded, CompileOptions(style=style, minutes=minutes))
            target = minutes * 60 * SAMPLE_RATE
            assert abs(script.duration - target) <= 0.01 * target, (style, minutes)


def test_shorter_sessions_drop_optional_poses_in_priority_order(post_run: LoadedRoutine
                                                                ) -> None:
    order = [post_run.routine.sequence[i].pose for i in drop_order(post_run)]
    # Priority 9 first, 1 last; the relaxation and the poses without one never go.
    assert order[:3] == ["reverse-warrior", "extended-side-angle", "warrior-2"]
    assert order[-2:] == ["pigeon", "high-lunge"]
    assert "final-relaxation" not in order and "forward-fold" not in order
    written = [ref.pose for ref in post_run.routine.sequence]
    seen_dropped = 0
    for minutes in (30, 25, 20, 15, 12, 10, 8, 6, 5, 4.5):
        script = compile_routine(post_run, CompileOptions(minutes=minutes))
        kept = poses_of(script)
        gone = [p for p in written if p not in kept]
        # What a session leaves out is always the first poses of the drop order.
        assert gone == [p for p in written if p in order[:len(gone)]], (minutes, gone)
        assert len(gone) >= seen_dropped
        seen_dropped = len(gone)
        assert kept[-1] == "final-relaxation"
        for pose in set(kept):
            sides = {e.side for e in script.events if e.pose == pose and e.hold}
            assert sides in ({None}, {s for s in sides if s is not None}), pose
    assert seen_dropped == len(order)


def test_breaths_go_before_tips_and_tips_before_poses(post_run: LoadedRoutine) -> None:
    speech = speech_length(None, CompileOptions().rate)
    written = _Parts(expand(post_run, CompileOptions()), speech)
    thin, first_drop = (_Parts(expand(post_run, CompileOptions(), s), speech)
                        for s in shorter(post_run)[:2])
    low = written.bounds()[0]
    for _ in range(20):  # the relaxation's floor grows with the target: where they meet
        low = written.bounds(low + SAMPLE_RATE)[0]
    # Just above the least the holds alone reach: every pose, every tip.
    at_least = compile_routine(post_run, CompileOptions(minutes=(low + SAMPLE_RATE) / SAMPLE_RATE
                                                        / 60))
    assert poses_of(at_least) == [ref.pose for ref in post_run.routine.sequence]
    tips = [t for ref in post_run.routine.sequence
            for t in post_run.poses[ref.pose].tips]
    said = " ".join(e.text or "" for e in at_least.events if e.kind is EventKind.speech)
    assert all(t.split(". ")[0] in said for t in tips)
    # Below it, thinning comes first, and only below the thinned least does a pose go.
    assert thin.bounds()[0] < low and thin.bounds()[1] >= low
    assert first_drop.bounds()[0] < thin.bounds()[0]


def test_longer_sessions_add_breaths_then_relaxation_then_a_round(post_run: LoadedRoutine
                                                                  ) -> None:
    speech = speech_length(None, CompileOptions().rate)
    high = _Parts(expand(post_run, CompileOptions(), AS_WRITTEN), speech).bounds()[1]
    below = compile_routine(post_run, CompileOptions(minutes=high * 0.97 / SAMPLE_RATE / 60))
    above = compile_routine(post_run, CompileOptions(minutes=high * 1.05 / SAMPLE_RATE / 60))
    assert ROUND_LINES[2] not in {e.text for e in below.events}
    assert ROUND_LINES[2] in {e.text for e in above.events}
    # Near the top of one round every counted hold is at its most breaths (the pose's own
    # max_breaths: eight for the standing poses, up to twenty for child's pose).
    last: dict[tuple[str | None, object], str] = {}
    for e in below.events:
        if e.hold and e.text and e.text.startswith("Exhale, "):
            last[(e.pose, e.side)] = e.text
    assert len(last) >= 15
    for (pose, _side), text in last.items():
        assert pose is not None
        assert text == f"Exhale, {count_word(post_run.poses[pose].max_breaths or 0)}.", pose
    assert longer(post_run)[0].rounds == 2


@pytest.mark.parametrize(("args", "expected"), [
    (["legs-up-the-wall", "--minutes", "5"],
     [r"meant to last 10 to 20 minutes \(the pose itself wants ten to twenty minutes",
      r"another routine that fits 5 minutes: [a-z-]+ \(hold, \d+–\d+ min\)"]),
])
def test_an_impossible_length_suggests_what_fits_and_writes_nothing(
        tmp_path: Path, args: list[str], expected: list[str]) -> None:
    out = tmp_path / "out"
    run = subprocess.run([sys.executable, "-m", "matcast.cli", "build", *args, "-o", str(out)],
                         capture_output=True, text=True, check=False, cwd=ROOT)
    assert run.returncode == 2, run.stderr
    assert "Traceback" not in run.stderr
    for pattern in expected:
        assert re.search(pattern, run.stderr), (pattern, run.stderr)
    assert not out.exists() or not any(out.iterdir())


def test_a_length_error_suggests_the_other_style_and_routines(post_run: LoadedRoutine) -> None:
    with pytest.raises(LengthError) as caught:
        compile_routine(post_run, CompileOptions(minutes=3))
    loaded, options = caught.value.subject
    assert loaded is post_run and options.minutes == 3
    assert re.search(r"cannot be fitted to 3 minute\(s\): it can be built from 4\.\d to "
                     r"\d+\.\d minutes$", str(caught.value))
    hint = suggest(caught.value)
    assert hint is not None and hint.startswith("--style flow fits it (3–")
    # Each routine named is one that really builds at 3 minutes.
    for slug in re.findall(r"([a-z-]+) \(hold, \d+–\d+ min\)", hint):
        other = load_routine(LIBRARY / f"{slug}.yaml")
        script = compile_routine(other, CompileOptions(style=Style.hold, minutes=3))
        assert abs(script.duration - 3 * 60 * SAMPLE_RATE) <= 0.01 * 3 * 60 * SAMPLE_RATE
    with pytest.raises(LengthError) as caught:
        compile_routine(post_run, CompileOptions(minutes=239))
    assert suggest(caught.value) is None  # nothing in the library lasts four hours


def test_a_length_between_two_round_counts_says_so() -> None:
    loaded = load_routine(LIBRARY / "downward-dog-back.yaml")
    options = CompileOptions(minutes=9.5, level=Level.beginner, pace=Pace.fast)
    with pytest.raises(LengthError, match=r"it can be built from [\d.]+ to 14\.0 minutes, but not "
                       r"from 9\.\d to 9\.\d \(between rounds\)"):
        compile_routine(loaded, options)


def test_a_long_light_flow_still_says_a_breath_word_every_minute(post_run: LoadedRoutine
                                                                  ) -> None:
    # Light guidance prompts the first breath of a flow pose; a pose fitted to seven slow
    # breaths still hears one breath in four.
    script = compile_routine(post_run, CompileOptions(style=Style.flow, minutes=60,
                                                      pace=Pace.slow, guidance=Guidance.light))
    assert lint_built(post_run, script) == []
    words = [e for e in script.events if e.hold and e.text in ("Inhale.", "Exhale.")]
    assert words
