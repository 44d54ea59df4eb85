"""The pose schema's vocabularies (family, targets, contraindications), its required facts and
the position chain: each refusal is located at its line and names what is allowed."""

from __future__ import annotations

from collections.abc import Callable
from pathlib import Path

import pytest

from matcast.errors import RoutineError
from matcast.routine.enums import Contraindication, Family, Target
from matcast.routine.loader import load_pose

Write = Callable[[str, str | bytes], Path]

GOOD = """\
name: Lunge
sides: both
family: lunge
intensity: 3
targets: [hip-flexors, quads]
contraindications: [knees]
min_breaths: 3
max_breaths: 8
position: {start: all-fours, held: kneeling, end: all-fours}
enter:
  - say: Come onto your hands and knees.
    position: all-fours
  - Step your {side} foot forward.
exit:
  - say: Step back to your hands and knees.
    position: all-fours
flow: Inhale, step your {side} foot forward.
"""


def problems(scratch: Write, text: str) -> list[str]:
    with pytest.raises(RoutineError) as info:
        load_pose(scratch("poses/p.yaml", text))
    return [p.format() for p in info.value.problems]


def test_a_fully_declared_pose_loads(scratch: Write) -> None:
    pose = load_pose(scratch("poses/p.yaml", GOOD))
    assert pose.family is Family.lunge
    assert pose.targets == [Target.hip_flexors, Target.quads]
    assert pose.contraindications == [Contraindication.knees]
    assert (pose.intensity, pose.min_breaths, pose.max_breaths) == (3, 3, 8)


@pytest.mark.parametrize(("old", "new", "where", "allowed", "hint"), [
    ("family: lunge", "family: stretch", ":3:9: family:", "'hip-opener'",
     "each word is explained in the README's pose vocabulary; pick the closest one"),
    ("targets: [hip-flexors, quads]", "targets: [hip-flexors, outer thighs]",
     ":5:24: targets[1]:", "'it-band'", "did you mean 'it-band'?"),
    ("targets: [hip-flexors, quads]", "targets: [hip flexors]", ":5:11: targets[0]:",
     "'hamstrings'", "did you mean 'hip-flexors'?"),
    ("contraindications: [knees]", "contraindications: [knee, bad heart]",
     ":6:27: contraindications[1]:", "'high-blood-pressure'", "each word is explained"),
], ids=["family", "target-alias", "target-spaces", "contraindication"])
def test_a_word_outside_a_vocabulary_is_located_with_the_allowed_values(
        scratch: Write, old: str, new: str, where: str, allowed: str, hint: str | None) -> None:
    found = problems(scratch, GOOD.replace(old, new))
    located = [f for f in found if where in f]
    assert len(located) == 1, found
    assert "expected one of" in located[0] and allowed in located[0], located
    if hint is not None:
        assert f"hint: {hint}" in located[0]


def test_knee_for_knees_gets_its_suggestion(scratch: Write) -> None:
    found = problems(scratch, GOOD.replace("contraindications: [knees]",
                                           "contraindications: [knee]"))
    assert len(found) == 1 and "hint: did you mean 'knees'?" in found[0], found


@pytest.mark.parametrize("key", ["family", "intensity", "targets", "position", "flow"])
def test_the_required_facts(scratch: Write, key: str) -> None:
    text = "".join(line + "\n" for line in GOOD.splitlines() if not line.startswith(key))
    if key == "position":  # the marked steps would be checked against nothing
        text = text.replace("    position: all-fours\n", "")
    found = problems(scratch, text)
    assert found and all(f"missing required key {key!r}" in f for f in found), found
    if key == "family":
        assert "hint: family is one of: centering, warm-up" in found[0]


@pytest.mark.parametrize(("old", "new", "message"), [
    ("intensity: 3", "intensity: 6", "intensity: expected a number at most 5"),
    ("intensity: 3", "intensity: 0", "intensity: expected a number at least 1"),
    ("targets: [hip-flexors, quads]", "targets: []", "targets: expected at least 1 item"),
    ("targets: [hip-flexors, quads]", "targets: [quads, hip-flexors, quads]",
     "targets: quads listed more than once"),
    ("max_breaths: 8", "max_breaths: 2", "need min_breaths <= max_breaths"),
    ("max_breaths: 8", "max_breaths: 61", "max_breaths: expected a number at most 60"),
    ("max_breaths: 8", "max_breaths: 8\nhold: {breaths: 9}",
     "hold: 9 breaths is outside min_breaths..max_breaths (3 to 8)"),
])
def test_bounded_facts(scratch: Write, old: str, new: str, message: str) -> None:
    found = problems(scratch, GOOD.replace(old, new))
    assert len(found) == 1 and message in found[0], found


@pytest.mark.parametrize(("old", "new", "where", "message"), [
    ("  - say: Come onto your hands and knees.\n    position: all-fours",
     "  - say: Come onto your hands and knees.\n    position: kneeling",
     ":12:15: enter[0].position:", "puts the listener in 'kneeling', but the pose starts in "
                                   "'all-fours'"),
    ("  - Step your {side} foot forward.\n",
     "  - say: Step your {side} foot forward.\n    position: standing\n",
     ":14:15: enter[1].position:", "the entry steps end in 'standing', but the pose is held "
                                   "in 'kneeling'"),
    ("  - say: Step back to your hands and knees.\n    position: all-fours",
     "  - say: Sit down.\n    position: seated",
     ":16:15: exit[0].position:", "the exit steps end in 'seated', but the pose ends in "
                                  "'all-fours'"),
], ids=["enter-start", "enter-held", "exit-end"])
def test_the_position_chain(scratch: Write, old: str, new: str, where: str,
                            message: str) -> None:
    assert old in GOOD
    found = problems(scratch, GOOD.replace(old, new))
    assert len(found) == 1 and where in found[0] and message in found[0], found
    assert "hint: mark the step 'position:" in found[0]


def test_a_session_says_targets_in_words(scratch: Write) -> None:
    assert Target.it_band.spoken == "outer thighs"
    assert Target.hip_flexors.spoken == "hip flexors"
    assert Target.lower_back.spoken == "lower back"
    assert all("-" not in t.spoken for t in Target)
