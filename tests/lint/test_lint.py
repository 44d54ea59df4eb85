"""The coaching lint: each rule with a session that breaks it (and one that does not), the
shipped library across its whole matrix, and the command line."""

from __future__ import annotations

import json
import subprocess
import sys
from collections.abc import Callable
from pathlib import Path

import pytest

from matcast.cues import SAMPLE_RATE, Chapter, CueScript, Event, EventKind, Side
from matcast.lint import LintContext, PoseFacts, lint_script
from matcast.lint.sessions import lint_session, matrix
from matcast.routine.enums import Guidance, Level, Prop
from matcast.routine.loader import load_routine
from matcast.routine.paths import routine_paths

ROOT = Path(__file__).resolve().parents[2]
LIBRARY = ROOT / "routines"
ROUTINES = [p.stem for p in routine_paths(LIBRARY)]
BREATH = 9 * SAMPLE_RATE

Part = tuple[str, float, str | None, str | None, Side | None, bool]


def say(seconds: float, text: str, pose: str | None = None, side: Side | None = None,
        hold: bool = False) -> Part:
    return ("speech", seconds, text, pose, side, hold)


def rest(seconds: float, pose: str | None = None, side: Side | None = None,
         hold: bool = False) -> Part:
    return ("silence", seconds, None, pose, side, hold)


def make(*parts: Part, chapters: tuple[tuple[str, float, float, str | None], ...] = ()
         ) -> CueScript:
    """A cue script from parts laid end to end, with chapters given in seconds."""
    events, t = [], 0
    for kind, seconds, text, pose, side, hold in parts:
        n = round(seconds * SAMPLE_RATE)
        events.append(Event(t, t + n, EventKind(kind), text, pose, side, hold))
        t += n
    found = tuple(Chapter(title, round(a * SAMPLE_RATE), round(b * SAMPLE_RATE), pose)
                  for title, a, b, pose in chapters) or (Chapter("Introduction", 0, t),)
    return CueScript("t", "T", tuple(events), found)


def rules(script: CueScript, ctx: LintContext | None = None) -> list[str]:
    return [f.rule for f in lint_script(script, ctx or LintContext(breath=BREATH))]


def counted(pose: str, side: Side | None, numbers: list[int]) -> list[Part]:
    """A hold of one breath per number, each counted on its exhale."""
    parts: list[Part] = []
    for n in numbers:
        word = ("one", "two", "three", "four", "five")[n - 1]
        parts += [rest(4, pose, side, True), say(1, f"Exhale, {word}.", pose, side, True),
                  rest(4, pose, side, True)]
    return parts


# --- one failing example (and a passing one) per rule -------------------------------------

def test_counts_must_start_at_one() -> None:
    assert rules(make(*counted("p", None, [2, 3, 4]))).count("count-from-one") >= 1
    assert "count-from-one" not in rules(make(*counted("p", None, [1, 2, 3])))


def test_counts_must_not_skip_and_must_reach_the_last_breath() -> None:
    gap = lint_script(make(*counted("p", None, [1, 3, 4])), LintContext(breath=BREATH))
    assert any("goes from one to three" in f.message for f in gap)
    short = make(*counted("p", None, [1, 2]), rest(9, "p", None, True))
    assert any("ends at two in a hold of three breaths" in f.message
               for f in lint_script(short, LintContext(breath=BREATH)))


def test_both_sides_are_counted_alike() -> None:
    script = make(*counted("p", Side.right, [1, 2, 3]), say(2, "Now the left side.", "p"),
                  *counted("p", Side.left, [1, 2]))
    found = lint_script(script, LintContext())
    assert any("counted differently" in f.message for f in found)


def test_right_must_not_mean_directly() -> None:
    script = make(say(3, "Keep your left knee right above your left ankle.", "p", Side.left))
    assert rules(script) == ["right-directly"]
    fine = make(say(3, "Keep your right knee over your ankle, and turn toward the right.", "p",
                    Side.right))
    assert rules(fine) == []
    one_sided = make(say(3, "Stay right here.", "p"))
    assert rules(one_sided) == []


def test_a_pose_is_named_before_its_hold() -> None:
    chapters = (("High lunge", 0.0, 12.0, "high-lunge"),)
    silent = make(say(3, "Step forward.", "high-lunge"), rest(9, "high-lunge", None, True),
                  chapters=chapters)
    assert rules(silent) == ["unannounced-pose"]
    named = make(say(3, "High lunge.", "high-lunge"), rest(9, "high-lunge", None, True),
                 chapters=chapters)
    assert rules(named) == []


def test_a_side_switch_is_said() -> None:
    def session(between: str) -> CueScript:
        return make(rest(9, "p", Side.right, True), say(2, between, "p"),
                    rest(9, "p", Side.left, True))

    assert rules(session("Switch.")) == ["unannounced-switch"]
    assert rules(session("Step back. Now the left side.")) == []


def test_props_are_named_in_the_first_minute() -> None:
    late = make(rest(70), say(4, "Slide a folded blanket under your hip.", "pigeon"))
    assert rules(late) == ["props-up-front"]
    early = make(say(4, "Have a blanket within reach."), rest(70),
                 say(4, "Slide a folded blanket under your hip.", "pigeon"))
    assert rules(early) == []
    declared = make(rest(70), say(3, "Tree pose.", "tree"),
                    chapters=(("Intro", 0, 70, None), ("Tree pose", 70, 73, "tree")))
    ctx = LintContext(poses={"tree": PoseFacts("Tree pose", frozenset({Prop.wall}))})
    assert rules(declared, ctx) == ["props-up-front"]


def test_a_long_session_keeps_its_relaxation() -> None:
    def session(relax: float) -> CueScript:
        active = 20 * 60 - relax
        parts = [say(2, "Fold.", "fold"), rest(28, "fold")]
        for _ in range(int(active // 30) - 1):
            parts += [say(2, "Breathe.", "fold"), rest(28, "fold")]
        parts += [say(2, "Final relaxation.", "savasana"),
                  rest(relax - 2, "savasana", None, True)]
        return make(*parts, chapters=(("Fold", 0, active, "fold"),
                                      ("Final relaxation", active, 20 * 60, "savasana")))

    facts = {"fold": PoseFacts("Fold"), "savasana": PoseFacts("Final relaxation",
                                                              relaxation=True)}
    ctx = LintContext(poses=facts)
    assert rules(session(60), ctx) == ["relaxation-floor"]
    assert rules(session(150), ctx) == []
    no_relaxation = LintContext(poses={**facts, "savasana": PoseFacts("Final relaxation")})
    assert "relaxation-floor" in rules(session(150), no_relaxation)


def test_an_active_pose_is_never_silent_for_a_minute() -> None:
    script = make(say(2, "Hold.", "fold"), rest(70, "fold", None, True), say(2, "Up.", "fold"))
    assert rules(script, LintContext(poses={"fold": PoseFacts("Fold")})) == ["silent-active"]
    relaxed = LintContext(poses={"fold": PoseFacts("Fold", relaxation=True)})
    assert rules(script, relaxed) == []
    quiet = LintContext(poses={"fold": PoseFacts("Fold")}, guidance=Guidance.quiet)
    assert rules(script, quiet) == []


def test_a_quiet_hold_checks_in_every_three_minutes() -> None:
    facts = LintContext(poses={"legs": PoseFacts("Legs", relaxation=True)})
    lonely = make(say(2, "Rest.", "legs", None, True), rest(200, "legs", None, True))
    assert rules(lonely, facts) == ["quiet-checkin"]
    kept = make(say(2, "Rest.", "legs", None, True), rest(150, "legs", None, True),
                say(2, "Notice your breath.", "legs", None, True), rest(50, "legs", None, True))
    assert rules(kept, facts) == []


def test_no_line_twice_within_thirty_seconds() -> None:
    twice = make(say(2, "Come onto your hands and knees."), rest(20),
                 say(2, "Come onto your hands and knees."))
    assert rules(twice) == ["repeated-line"]
    later = make(say(2, "Come onto your hands and knees."), rest(40),
                 say(2, "Come onto your hands and knees."))
    assert rules(later) == []
    breaths = make(say(1, "Inhale."), rest(8), say(1, "Inhale."))
    assert rules(breaths) == []


def test_a_caution_with_an_alternative_needs_the_gentle_version_published() -> None:
    caution = "If you have glaucoma, take the gentle version."
    script = make(say(3, caution, "legs"))
    facts = {"legs": PoseFacts("Legs", alternative_cautions=(caution,))}
    assert rules(script, LintContext(poses=facts, gentle_published=False)) == [
        "caution-alternative"]
    assert rules(script, LintContext(poses=facts, gentle_published=True)) == []


def test_a_gentle_session_has_no_inversions() -> None:
    script = make(say(3, "Legs up the wall.", "legs"),
                  chapters=(("Legs up the wall", 0, 3, "legs"),))
    facts = {"legs": PoseFacts("Legs up the wall", inversion=True)}
    assert rules(script, LintContext(poses=facts, level=Level.gentle)) == ["gentle-inversion"]
    assert rules(script, LintContext(poses=facts, level=Level.all)) == []


# --- the shipped library --------------------------------------------------------------------

@pytest.mark.parametrize("name", ROUTINES)
def test_every_shipped_session_passes_the_lint(name: str) -> None:
    """Each style as written, --minutes 10/15/20/30/45/60 where the range allows, and each
    published variant: compile only, no audio."""
    loaded = load_routine(LIBRARY / f"{name}.yaml")
    sessions = matrix(loaded)
    assert len(sessions) >= 2
    for session in sessions:
        _, findings = lint_session(loaded, session.options)
        assert findings == [], (session.label, findings)


def test_the_matrix_covers_styles_lengths_and_variants() -> None:
    post_run = load_routine(LIBRARY / "post-run.yaml")
    labels = [s.label for s in matrix(post_run)]
    assert "hold, as written" in labels and "flow, as written" in labels
    assert {"hold, 30 min", "hold, 45 min", "hold, 60 min", "flow, 10 min", "flow, 15 min",
            "flow, 20 min"} <= set(labels)
    assert "variant post-run-gentle" in labels
    legs = load_routine(LIBRARY / "legs-up-the-wall.yaml")
    legs_labels = [s.label for s in matrix(legs)]
    assert "hold, 30 min" not in legs_labels and "hold, 20 min" in legs_labels


# --- the command ------------------------------------------------------------------------------

def run_cli(*args: str, cwd: Path = ROOT) -> subprocess.CompletedProcess[str]:
    return subprocess.run([sys.executable, "-m", "matcast.cli", *args], capture_output=True,
                          text=True, check=False, cwd=cwd)


def test_lint_of_the_library_exits_0() -> None:
    result = run_cli("lint", "routines")
    assert result.returncode == 0, result.stdout + result.stderr
    assert result.stdout.strip().splitlines()[-1].endswith(": 0 findings")


BROKEN = """title: Broken
styles: [hold]
sequence:
  - pose: lunge
"""
LUNGE = """name: Lunge
sides: both
enter: ["Step one foot forward."]
hold_cues: ["Keep your {side} knee right above the ankle."]
switch: "Switch."
family: lunge
intensity: 3
targets: [hip-flexors]
position: kneeling
flow: "Lunge."
"""


def test_lint_reports_findings_with_time_and_line_and_exits_1(
        scratch: Callable[[str, str], Path]) -> None:
    scratch("poses/lunge.yaml", LUNGE)
    path = scratch("broken.yaml", BROKEN)
    result = run_cli("lint", str(path), "--format", "json")
    assert result.returncode == 1, result.stderr
    data = json.loads(result.stdout)
    found = {(f["rule"], f["text"]) for s in data["sessions"] for f in s["findings"]}
    assert ("right-directly", "Keep your right knee right above the ankle.") in found
    assert any(rule == "unannounced-switch" for rule, _ in found)
    assert all(isinstance(f["time"], float) for s in data["sessions"] for f in s["findings"])
    text = run_cli("lint", str(path), "--style", "hold")
    assert text.returncode == 1
    assert "right-directly" in text.stdout and "0:" in text.stdout


def test_lint_of_a_bad_routine_or_option_is_an_error(
        scratch: Callable[[str, str], Path]) -> None:
    path = scratch("bad.yaml", "title: Bad\nsequence: []\n")
    assert run_cli("lint", str(path)).returncode == 2
    assert run_cli("lint", "post-run", "--minutes", "2").returncode == 2
    assert run_cli("lint", "post-run", "--format", "xml").returncode == 2


def test_lint_of_a_cues_file_reports_its_numbers(tmp_path: Path) -> None:
    compiled = run_cli("compile", "post-run", "--format", "json", "--style", "flow")
    cues = tmp_path / "post-run.cues.json"
    cues.write_text(compiled.stdout, encoding="utf-8")
    result = run_cli("lint", str(cues))
    assert result.returncode == 0, result.stdout + result.stderr
    assert "words per minute while speaking" in result.stdout
    assert "% of the session" in result.stdout and "longest quiet" in result.stdout
    cues.write_text("{}", encoding="utf-8")
    assert run_cli("lint", str(cues)).returncode == 2


def test_build_warns_on_findings_but_succeeds_and_its_cues_can_be_linted(
        scratch: Callable[[str, str], Path], tmp_path: Path) -> None:
    """A real (tiny) build: pyttsx3 with eSpeak NG and ffmpeg."""
    scratch("poses/lunge.yaml", LUNGE + "hold: {breaths: 3}\n")
    path = scratch("broken.yaml", BROKEN)
    out, cache = tmp_path / "out", tmp_path / "cache"
    built = run_cli("build", str(path), "-o", str(out), "--cache-dir", str(cache))
    assert built.returncode == 0, built.stderr
    assert (out / "broken.mp3").is_file()
    warnings = [line for line in built.stderr.splitlines() if line.startswith("warning:")]
    assert any("right-directly" in w and "right above" in w for w in warnings), built.stderr
    checked = run_cli("lint", str(out / "broken.cues.json"), "--library", str(path.parent))
    assert checked.returncode == 1
    assert "right-directly" in checked.stdout
    assert "words per minute while speaking" in checked.stdout
