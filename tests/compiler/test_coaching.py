"""What the compiler does for a listener with closed eyes: counting, positions, flow cues,
props, the protected relaxation, levels and guidance (compiled scripts, no audio)."""

from __future__ import annotations

import itertools
import re
from collections import defaultdict
from pathlib import Path

import pytest

from matcast.compiler import CompileOptions, compile_routine
from matcast.compiler.body import START, TRANSITIONS
from matcast.compiler.flow_style import moves
from matcast.cues import SAMPLE_RATE, CueScript, Event, EventKind, Side
from matcast.lint.rules import count_number, hold_spans, is_breath_word
from matcast.routine.enums import Guidance, Level, Position, Style
from matcast.routine.loader import LoadedRoutine, load_routine

LIBRARY = Path(__file__).resolve().parents[2] / "routines"
BREATH = round(4 * SAMPLE_RATE) + round(5 * SAMPLE_RATE)


def spoken(script: CueScript, pose: str | None = None) -> list[Event]:
    return [e for e in script.events if e.kind is EventKind.speech
            and (pose is None or e.pose == pose)]


@pytest.mark.parametrize("options", [CompileOptions(), CompileOptions(minutes=30),
                                     CompileOptions(minutes=60),
                                     CompileOptions(level=Level.beginner)])
def test_every_hold_is_counted_from_one_to_its_last_breath(post_run: LoadedRoutine,
                                                           options: CompileOptions) -> None:
    script = compile_routine(post_run, options)
    by_pose: dict[str, dict[Side | None, list[int]]] = defaultdict(dict)
    for span in hold_spans(script):
        counts = [n for _, n in span.counts()]
        if span.pose == "final-relaxation":
            assert counts == []
            continue
        breaths = (span.end - span.start) // BREATH
        assert counts == list(range(1, breaths + 1)), (span.pose, span.side, counts)
        by_pose[span.pose or ""][span.side] = counts
    for pose, sides in by_pose.items():
        if Side.left in sides:
            assert sides[Side.left] == sides[Side.right], pose


def test_guidance_goes_between_the_counts(post_run: LoadedRoutine) -> None:
    script = compile_routine(post_run)
    for span in hold_spans(script):
        speech = [e for e in span.events if e.kind is EventKind.speech]
        for a, b in itertools.pairwise(speech):
            assert a.end <= b.start
        for e in speech:
            if count_number(e.text) is not None:
                offset = (e.start - span.start) % BREATH
                assert offset == round(4 * SAMPLE_RATE), e


def test_entry_steps_are_left_out_where_the_listener_already_is(post_run: LoadedRoutine
                                                                ) -> None:
    script = compile_routine(post_run)
    texts = [e.text for e in spoken(script)]
    # Forward fold's own exit ends on hands and knees: nothing puts them there again.
    assert texts.count("Come onto your hands and knees.") == 0
    assert TRANSITIONS[(Position.standing, Position.all_fours)] not in [
        e.text for e in spoken(script, "downward-dog")]
    # Reverse warrior ends standing; the side-bend lunge starts on hands and knees.
    assert TRANSITIONS[(Position.standing, Position.all_fours)] in [
        e.text for e in spoken(script, "low-lunge-side-bend")]
    # Reclined pigeon starts lying down after pigeon ends on hands and knees.
    assert TRANSITIONS[(Position.all_fours, Position.supine)] in [
        e.text for e in spoken(script, "reclined-pigeon")]
    # Lying down already: the relaxation does not ask for it again.
    assert "Lie down on your back." not in [e.text for e in spoken(script, "final-relaxation")]


def test_flow_names_each_pose_and_switch_and_alternates_the_breath(post_run: LoadedRoutine
                                                                   ) -> None:
    script = compile_routine(post_run, CompileOptions(style=Style.flow))
    first_pose = next(c for c in script.chapters if c.pose)
    before = [e.text for e in spoken(script) if e.start < first_pose.end and not e.hold]
    assert START[Position.standing] in before
    texts = [e.text or "" for e in spoken(script)]
    assert "High lunge, right foot forward." in texts
    assert "Pigeon pose, right knee forward." in texts
    assert any("Get ready for the left side." in t for t in texts)
    words = [e.text.split(",")[0].rstrip(".").lower() for e in spoken(script)
             if e.hold and e.pose != "final-relaxation"
             and re.match(r"(Inhale|Exhale)\b", e.text or "")]
    assert words, "no breath words in flow"
    # Within every movement the breath words alternate.
    for span in hold_spans(script):
        said = [e.text.split(",")[0].rstrip(".").lower() for e in span.events
                if e.kind is EventKind.speech and re.match(r"(Inhale|Exhale)\b", e.text or "")]
        assert all(a != b for a, b in itertools.pairwise(said)), (span.pose, said)
    # The way out of the relaxation is kept.
    assert "Press slowly up to sit." in texts


def test_flow_cues_are_cut_at_their_breath_words() -> None:
    assert moves("Inhale, drop your belly into cow. Exhale, round up into cat.") == (
        ("inhale", "Inhale, drop your belly into cow."),
        ("exhale", "Exhale, round up into cat."))
    assert moves("Exhale, fold forward. Let your head hang.") == (
        ("exhale", "Exhale, fold forward. Let your head hang."),)
    assert moves("Step back.") == (("inhale", "Step back."),)


def test_props_are_named_in_the_first_minute_with_time_to_fetch_them() -> None:
    legs = load_routine(LIBRARY / "legs-up-the-wall.yaml")
    script = compile_routine(legs)
    line = next(e for e in spoken(script) if e.text and e.text.startswith("Before we begin"))
    assert line.start < 60 * SAMPLE_RATE
    assert "blanket" in line.text and "wall" in line.text
    after = script.events[script.events.index(line) + 1]
    assert after.kind is EventKind.silence and after.length >= 10 * SAMPLE_RATE
    gentle = compile_routine(legs, CompileOptions(level=Level.gentle))
    assert any("bolster" in (e.text or "") for e in spoken(gentle) if e.start < 60 * SAMPLE_RATE)


def relaxation_hold(script: CueScript) -> int:
    return sum(e.length for e in script.events if e.hold and e.pose == "final-relaxation")


@pytest.mark.parametrize("minutes", [None, 30, 33, 45, 60])
def test_the_relaxation_keeps_ten_percent_and_two_minutes(post_run: LoadedRoutine,
                                                          minutes: float | None) -> None:
    script = compile_routine(post_run, CompileOptions(minutes=minutes))
    assert relaxation_hold(script) >= max(0.1 * script.duration, 120 * SAMPLE_RATE)


def test_fitting_shorter_shrinks_other_holds_before_the_relaxation(post_run: LoadedRoutine
                                                                   ) -> None:
    written = compile_routine(post_run)
    # 35 minutes is reached with every pose kept (shorter, the fitter leaves out optional poses).
    shorter = compile_routine(post_run, CompileOptions(minutes=35))
    assert {s.pose for s in hold_spans(shorter)} == {s.pose for s in hold_spans(written)}
    dog = next(s for s in hold_spans(shorter) if s.pose == "downward-dog")
    assert dog.end - dog.start < 5 * BREATH
    assert relaxation_hold(shorter) >= 180 * SAMPLE_RATE  # as written: three minutes
    assert relaxation_hold(written) >= relaxation_hold(shorter)


def test_the_flow_relaxation_is_protected_at_fifteen_minutes(post_run: LoadedRoutine) -> None:
    script = compile_routine(post_run, CompileOptions(style=Style.flow, minutes=15))
    assert relaxation_hold(script) >= max(0.1 * script.duration, 120 * SAMPLE_RATE)


def test_each_level_gives_a_different_class(post_run: LoadedRoutine) -> None:
    scripts = {level: compile_routine(post_run, CompileOptions(level=level)) for level in Level}
    texts = {level: [e.text for e in spoken(s)] for level, s in scripts.items()}
    assert len({tuple(t) for t in texts.values()}) == 4

    def fold(level: Level) -> int:
        span = next(s for s in hold_spans(scripts[level]) if s.pose == "forward-fold")
        return (span.end - span.start) // BREATH

    assert fold(Level.beginner) < fold(Level.all) < fold(Level.advanced)
    assert any(c.pose == "advanced-high-lunge" for c in scripts[Level.advanced].chapters)
    gentle = [c.pose for c in scripts[Level.gentle].chapters]
    assert "downward-dog" not in gentle and "half-dog-at-wall" in gentle
    assert any("block" in (t or "") for t in texts[Level.beginner])


def test_guidance_light_and_quiet(post_run: LoadedRoutine) -> None:
    full = compile_routine(post_run)
    light = compile_routine(post_run, CompileOptions(guidance=Guidance.light))
    quiet = compile_routine(post_run, CompileOptions(guidance=Guidance.quiet))
    tip = "Forget about touching your toes: just hang, and sigh the breath out through your mouth."
    assert tip in [e.text for e in spoken(full)] and tip not in [e.text for e in spoken(light)]
    assert "Inhale." in [e.text for e in spoken(full)]
    assert "Inhale." not in [e.text for e in spoken(light)]
    assert "Exhale, five." in [e.text for e in spoken(light)]
    quiet_texts = [e.text for e in spoken(quiet)]
    assert not any(e.hold for e in spoken(quiet))
    assert not any(is_breath_word(t) for t in quiet_texts)
    assert "Forward fold, Uttanasana." not in quiet_texts  # names say what leads instead
    assert "High lunge, right foot forward." in quiet_texts
    assert any("Get ready for the left side." in (t or "") for t in quiet_texts)
    assert len(quiet_texts) < len([e.text for e in spoken(full)]) / 3


def test_targets_are_said_once_per_pose(post_run: LoadedRoutine) -> None:
    script = compile_routine(post_run)
    said = [e for e in spoken(script) if e.text and "hamstrings and spine" in e.text]
    assert len(said) == 1 and said[0].pose == "forward-fold"
    hip = load_routine(LIBRARY / "hip-flexors.yaml")
    bridge = [e.text for e in spoken(compile_routine(hip), "bridge")]
    assert sum("glutes, hamstrings" in (t or "") for t in bridge) == 1
    assert "Once more, bridge pose." in bridge


def test_tree_pose_opens_the_eyes_before_balancing() -> None:
    tree = load_routine(LIBRARY / "tree-balance.yaml")
    texts = [e.text or "" for e in spoken(compile_routine(tree), "tree")]
    eyes = next(i for i, t in enumerate(texts) if "open them now" in t)
    kickstand = next(i for i, t in enumerate(texts) if "kickstand" in t)
    lift = next(i for i, t in enumerate(texts) if t.startswith("If you feel steady, lift"))
    assert eyes < kickstand < lift


def test_a_variant_can_publish_a_guidance_level() -> None:
    from matcast.build.plan import compile_options
    from matcast.routine.model import Variant

    variant = Variant(guidance=Guidance.light, style=Style.flow)
    assert variant.suffix() == "-flow-light" and variant.label() == "flow, light"
    options = compile_options(variant.model_dump(mode="json", exclude_none=True))
    assert options.guidance is Guidance.light and options.style is Style.flow


def test_check_ins_are_said_once_each_then_only_the_settling_line_comes_back() -> None:
    """A 20-minute legs-up-the-wall outlasts its nine check-ins (75 s apart): each is heard
    once, in order, and after them only the last ("Just rest...") returns, 150 s apart."""
    legs = load_routine(LIBRARY / "legs-up-the-wall.yaml")
    pose = legs.poses["legs-up-the-wall"]
    script = compile_routine(legs, CompileOptions(minutes=20))
    heard = [e for e in script.events
             if e.kind is EventKind.speech and e.text in pose.checkins]
    texts = [e.text for e in heard]
    n = len(pose.checkins)
    assert texts[:n] == list(pose.checkins)
    assert len(texts) > n and set(texts[n:]) == {pose.checkins[-1]}
    later = zip(heard[n - 1:-1], heard[n:], strict=True)
    gaps = [(b.start - a.start) / SAMPLE_RATE for a, b in later]
    assert all(149.5 <= gap <= 151.0 for gap in gaps), gaps
