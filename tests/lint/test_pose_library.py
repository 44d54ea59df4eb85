"""The shipped pose library: every pose validates, lints on its own, and the library covers
what a runner needs (issue 13, section 3)."""

from __future__ import annotations

from collections import Counter
from collections.abc import Callable
from pathlib import Path

import pytest

from matcast.lint.poses import alone, pose_sessions
from matcast.lint.sessions import lint_session
from matcast.routine.enums import Family, Position, Target
from matcast.routine.facts import span
from matcast.routine.loader import load_pose
from matcast.routine.model import Pose

Write = Callable[[str, str], Path]
POSES = Path(__file__).resolve().parents[2] / "routines" / "poses"
FILES = sorted(POSES.glob("*.yaml"))
RUNNER_TARGETS = {Target.hamstrings, Target.calves, Target.hip_flexors, Target.glutes,
                  Target.it_band, Target.quads, Target.feet, Target.ankles, Target.lower_back,
                  Target.balance, Target.core}
"""The areas issue 13 names for runners: each needs poses of its own."""


@pytest.fixture(scope="module")
def library() -> dict[str, Pose]:
    return {path.stem: load_pose(path) for path in FILES}


@pytest.mark.parametrize("path", FILES, ids=[p.stem for p in FILES])
def test_every_shipped_pose_passes_the_lint_on_its_own(path: Path) -> None:
    loaded = alone(path)
    sessions = pose_sessions(loaded)
    assert len(sessions) >= 4
    for session in sessions:
        script, findings = lint_session(session.loaded, session.options)
        assert script.chapters, session.label
        assert not findings, (session.label, findings)


def test_the_library_has_sixty_poses_for_runners(library: dict[str, Pose]) -> None:
    assert len(library) >= 60
    per_target = Counter(t for pose in library.values() for t in pose.targets)
    for target in RUNNER_TARGETS:
        assert per_target[target] >= 3, (target, per_target[target])


def test_the_library_mixes_positions_families_and_intensities(
        library: dict[str, Pose]) -> None:
    held = Counter(where.held for pose in library.values() if (where := span(pose)))
    assert all(held[p] >= 3 for p in Position), held
    families = Counter(pose.family for pose in library.values())
    assert set(families) == set(Family), set(Family) - set(families)
    intensities = Counter(pose.intensity for pose in library.values())
    assert all(intensities[i] >= 2 for i in range(1, 6)), intensities


def test_before_run_poses_exist(library: dict[str, Pose]) -> None:
    """A before-run class is dynamic and standing: warm-ups and standing poses held briefly."""
    standing = [pid for pid, pose in library.items()
                if (where := span(pose)) and where.held is Position.standing
                and pose.family in (Family.warm_up, Family.standing, Family.balance,
                                    Family.lunge)]
    assert len(standing) >= 8, standing


def test_alternatives_are_gentler(library: dict[str, Pose]) -> None:
    """A caution's alternative is a shipped pose no more intense than the pose it replaces."""
    from matcast.routine.model import Caution

    for pid, pose in library.items():
        for caution in pose.cautions:
            if isinstance(caution, Caution) and caution.alternative:
                other = library[caution.alternative]
                assert other.intensity <= pose.intensity, (pid, caution.alternative)


def test_breath_ranges_hold_the_counted_poses(library: dict[str, Pose]) -> None:
    """Every breath-counted pose has a breath range; clock-held relaxations have none."""
    for pid, pose in library.items():
        by_clock = pose.hold is not None and pose.hold.breaths is None
        assert (pose.min_breaths is None) == by_clock, pid
        assert (pose.max_breaths is None) == by_clock, pid


BAD_LINE = """\
name: Gate pose
family: side-bend
intensity: 2
targets: [side-body]
sides: both
position: kneeling
enter:
  - say: Kneel upright on your mat.
    position: kneeling
  - Keep your {other} knee right under your {other} hip.
flow: Exhale, lean over your {side} leg.
"""


def test_lint_takes_a_pose_file_and_reports_its_findings(scratch: Write) -> None:
    from matcast.lint.command import run

    path = scratch("poses/gate.yaml", BAD_LINE)
    lines: list[str] = []
    assert run([str(path)], None, None, "text", lines.append) == 1
    assert any("right-directly" in line and "right under" in line for line in lines), lines
    assert lines[-2].startswith("checked 4 sessions of 1 pose: "), lines
    scratch("poses/gate.yaml", BAD_LINE.replace("right under", "directly under"))
    lines.clear()
    assert run([str(path.parent)], None, None, "text", lines.append) == 0
    assert lines == ["checked 4 sessions of 1 pose: 0 findings"]


def test_lint_reports_a_broken_pose_file_with_its_line(scratch: Write) -> None:
    from matcast.errors import RoutineError
    from matcast.lint.command import run

    path = scratch("poses/gate.yaml", BAD_LINE.replace("family: side-bend", "family: bend"))
    with pytest.raises(RoutineError) as info:
        run([str(path)], None, None, "text", lambda _line: None)
    assert "gate.yaml:2:9: family: expected one of" in info.value.problems[0].format()


def test_the_readme_counts_the_library(library: dict[str, Pose]) -> None:
    readme = (POSES.parents[1] / "README.md").read_text(encoding="utf-8")
    held = Counter(where.held for pose in library.values() if (where := span(pose)))
    assert f"has {len(library)} poses for runners" in readme
    for position, words in ((Position.standing, "standing"), (Position.kneeling, "kneeling"),
                            (Position.all_fours, "on all fours"), (Position.seated, "seated"),
                            (Position.supine, "supine"), (Position.prone, "prone")):
        assert f"{words} {held[position]}" in readme.replace("\n", " "), position
