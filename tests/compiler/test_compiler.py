"""Compiler timing: exact holds, equal sides, --minutes fitting, styles, re-timing, determinism."""

from __future__ import annotations

import itertools
from collections import defaultdict
from pathlib import Path

import pytest

from matcast.compiler import CompileOptions, compile_routine, estimate
from matcast.cues import SAMPLE_RATE, CueScript, EventKind, Side
from matcast.errors import UsageError
from matcast.routine.loader import LoadedRoutine, load_routine
from matcast.routine.model import Level, Pace, Style
from matcast.routine.paths import routine_paths

LIBRARY = Path(__file__).resolve().parents[2] / "routines"
ROUTINES = sorted(p.stem for p in routine_paths(LIBRARY))


def holds_of(script: CueScript) -> dict[tuple[str, Side | None], list[int]]:
    """Length of each timed hold, by (pose, side), in order of appearance."""
    out: dict[tuple[str, Side | None], list[int]] = defaultdict(list)
    for (hold, pose, side), group in itertools.groupby(
            script.events, key=lambda e: (e.hold, e.pose, e.side)):
        if hold:
            events = list(group)
            out[(pose or "", side)].append(events[-1].end - events[0].start)
    return out


def assert_tiles(script: CueScript) -> None:
    t = 0
    for event in script.events:
        assert event.start == t, f"gap or overlap at {event}"
        assert event.end > event.start, f"empty event {event}"
        t = event.end
    assert script.duration == t
    assert script.chapters[0].start == 0
    assert script.chapters[-1].end == script.duration
    for a, b in itertools.pairwise(script.chapters):
        assert a.end == b.start


@pytest.mark.parametrize("name", ROUTINES)
def test_every_routine_compiles_in_every_style_and_tiles(name: str) -> None:
    loaded = load_routine(LIBRARY / f"{name}.yaml")
    for style in loaded.routine.styles:
        script = compile_routine(loaded, CompileOptions(style=style))
        assert_tiles(script)
        titles = [c.title for c in script.chapters]
        assert titles[0] == "Introduction" and titles[-1] == "Closing"
        assert len(titles) == len(loaded.routine.sequence) + 2


def test_five_breath_hold_lasts_exactly_five_breaths(post_run: LoadedRoutine) -> None:
    script = compile_routine(post_run)
    breath = round(4 * SAMPLE_RATE) + round(5 * SAMPLE_RATE)
    holds = holds_of(script)
    assert holds[("forward-fold", None)] == [5 * breath]
    assert holds[("downward-dog", None)] == [5 * breath]


def test_two_sides_get_exactly_the_same_hold(post_run: LoadedRoutine) -> None:
    bilateral = [pid for pid, pose in post_run.poses.items() if pose.sides == "both"]
    assert len(bilateral) >= 5
    for options in (CompileOptions(), CompileOptions(minutes=30), CompileOptions(minutes=52),
                    CompileOptions(style=Style.flow, minutes=9), CompileOptions(pace=Pace.slow)):
        holds = holds_of(compile_routine(post_run, options))
        for pose_id in bilateral:
            if (pose_id, Side.right) in holds:
                assert holds[(pose_id, Side.right)] == holds[(pose_id, Side.left)], pose_id


def test_sides_stay_equal_when_measured_speech_differs_by_side(post_run: LoadedRoutine) -> None:
    script = compile_routine(post_run)
    # Make every right-side line much longer than estimated, as a slow voice might.
    measured = {e.text: estimate(e.text) * (3 if e.side is Side.right else 1)
                for e in script.events if e.kind is EventKind.speech and e.text}
    holds = holds_of(compile_routine(post_run, measured=measured))
    assert holds[("high-lunge", Side.right)] == holds[("high-lunge", Side.left)]


@pytest.mark.parametrize(("name", "style", "minutes"), [
    ("post-run", Style.hold, 30), ("post-run", Style.hold, 31), ("post-run", Style.hold, 33),
    ("post-run", Style.hold, 45), ("post-run", Style.hold, 60), ("post-run", Style.hold, 75),
    ("post-run", Style.flow, 8), ("post-run", Style.flow, 9.5), ("post-run", Style.flow, 12),
    ("post-run", Style.flow, 15), ("legs-up-the-wall", Style.hold, 10),
    ("legs-up-the-wall", Style.hold, 13), ("legs-up-the-wall", Style.hold, 20),
    ("thunderbolt", Style.hold, 7), ("thunderbolt", Style.hold, 9),
    ("tree-balance", Style.hold, 12), ("hip-flexors", Style.hold, 10),
])
def test_minutes_fits_within_two_percent(name: str, style: Style, minutes: float) -> None:
    loaded = load_routine(LIBRARY / f"{name}.yaml")
    script = compile_routine(loaded, CompileOptions(style=style, minutes=minutes))
    assert abs(script.duration_seconds - minutes * 60) <= 0.02 * minutes * 60
    assert_tiles(script)


def test_minutes_never_drops_instructions(post_run: LoadedRoutine) -> None:
    def said(script: CueScript) -> set[str]:
        return {e.text for e in script.events if e.kind is EventKind.speech and not e.hold
                and e.text}

    written = said(compile_routine(post_run))
    # 35 minutes keeps every pose (shorter, the fitter leaves out optional poses).
    assert said(compile_routine(post_run, CompileOptions(minutes=35))) == written
    # Longer than one round can last, a second round adds lines and drops none.
    assert said(compile_routine(post_run, CompileOptions(minutes=70))) > written


def test_unreachable_minutes_give_the_achievable_range(post_run: LoadedRoutine) -> None:
    with pytest.raises(UsageError, match=r"can be built from \d+\.\d to \d+\.\d minutes"):
        compile_routine(post_run, CompileOptions(minutes=3))
    with pytest.raises(UsageError, match="can be built from"):
        compile_routine(post_run, CompileOptions(minutes=230))


def test_routine_duration_bounds_and_default() -> None:
    legs = load_routine(LIBRARY / "legs-up-the-wall.yaml")
    assert abs(compile_routine(legs).duration_seconds - 15 * 60) <= 0.02 * 15 * 60
    with pytest.raises(UsageError, match="10 to 20 minutes"):
        compile_routine(legs, CompileOptions(minutes=25))
    with pytest.raises(UsageError, match="style 'flow' is not offered"):
        compile_routine(legs, CompileOptions(style=Style.flow))


def test_flow_is_shorter_than_hold_and_has_fewer_words(post_run: LoadedRoutine) -> None:
    hold = compile_routine(post_run, CompileOptions(style=Style.hold))
    flow = compile_routine(post_run, CompileOptions(style=Style.flow))
    assert flow.duration < hold.duration / 2
    assert len(flow.speech_texts()) < len(hold.speech_texts()) / 2
    # One breath per movement: a breath-counted pose side is a single breath in flow.
    breath = round(4 * SAMPLE_RATE) + round(5 * SAMPLE_RATE)
    assert holds_of(flow)[("downward-dog", None)] == [breath]


def test_holds_are_clock_anchored_whatever_the_speech_takes(post_run: LoadedRoutine) -> None:
    script = compile_routine(post_run)
    slower = {t: estimate(t) * 2 for t in script.speech_texts()}
    retimed = compile_routine(post_run, measured=slower)
    assert holds_of(retimed)[("forward-fold", None)] == holds_of(script)[("forward-fold", None)]
    assert retimed.duration > script.duration  # the speech around the holds got longer


def test_measured_lengths_are_used_exactly(post_run: LoadedRoutine) -> None:
    script = compile_routine(post_run)
    measured = {t: 12_345 + i for i, t in enumerate(script.speech_texts())}
    retimed = compile_routine(post_run, measured=measured)
    for event in retimed.events:
        if event.kind is EventKind.speech:
            assert event.length == measured[event.text]
    assert_tiles(retimed)


def test_breath_cues_follow_the_breath(post_run: LoadedRoutine) -> None:
    script = compile_routine(post_run)
    hold_start = next(e.start for e in script.events if e.hold and e.pose == "downward-dog")
    breath = round(4 * SAMPLE_RATE) + round(5 * SAMPLE_RATE)
    counted = [e for e in script.events
               if e.pose == "downward-dog" and e.hold and e.text
               and e.text.startswith(("Inhale", "Exhale"))]
    assert counted, "no breath cues in a counted hold"
    for e in counted:
        offset = (e.start - hold_start) % breath
        assert offset in (0, round(4 * SAMPLE_RATE)), e


def test_side_words_are_filled_in(post_run: LoadedRoutine) -> None:
    script = compile_routine(post_run)
    texts = [e.text or "" for e in script.events]
    assert not any("{" in t for t in texts)
    right = [e.text for e in script.events if e.pose == "high-lunge" and e.side is Side.right]
    left = [e.text for e in script.events if e.pose == "high-lunge" and e.side is Side.left]
    assert any("right" in (t or "") for t in right)
    assert any("left" in (t or "") for t in left)


def test_levels_pick_variations_and_gentler_alternatives(post_run: LoadedRoutine) -> None:
    advanced = compile_routine(post_run, CompileOptions(level=Level.advanced))
    assert any(c.pose == "advanced-high-lunge" for c in advanced.chapters)
    assert not any(c.pose == "advanced-high-lunge" for c in compile_routine(post_run).chapters)
    legs = load_routine(LIBRARY / "legs-up-the-wall.yaml")
    gentle = compile_routine(legs, CompileOptions(level=Level.gentle))
    assert [c.pose for c in gentle.chapters][1] == "legs-on-bolster"


def test_pace_scales_breaths(post_run: LoadedRoutine) -> None:
    slow = holds_of(compile_routine(post_run, CompileOptions(pace=Pace.slow)))
    fast = holds_of(compile_routine(post_run, CompileOptions(pace=Pace.fast)))
    assert slow[("forward-fold", None)][0] > fast[("forward-fold", None)][0]


def test_compile_is_deterministic_and_json_round_trips(post_run: LoadedRoutine) -> None:
    a = compile_routine(post_run, CompileOptions(minutes=33))
    b = compile_routine(post_run, CompileOptions(minutes=33))
    assert a == b
    assert CueScript.from_dict(a.to_dict()) == a
    data = a.to_dict()
    assert set(data) >= {"routine", "title", "duration", "chapters", "events"}
    assert set(data["events"][0]) >= {"start", "end", "kind", "text", "pose", "side", "hold"}
    assert data["duration"] == data["events"][-1]["end"]


def test_retiming_with_measured_counts_settles(post_run: LoadedRoutine) -> None:
    # A build speaks the lines of the estimated script, re-times with their real lengths and
    # speaks what that brings in. Counts not spoken yet are estimated, and so shorter than the
    # ones measured: a line's room between counts must not depend on which were measured, or
    # each round lengthens a hold by a breath whose count is new again (five rounds here).
    def real(text: str) -> int:
        return round(estimate(text) * (1.6 if text.startswith("Exhale, ") else 1.0))

    script = compile_routine(post_run)
    measured = {t: real(t) for t in script.speech_texts()}
    script = compile_routine(post_run, measured=measured)
    assert [t for t in script.speech_texts() if t not in measured] == []
