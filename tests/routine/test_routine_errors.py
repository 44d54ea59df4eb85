"""Bad input: every kind gives a located, readable problem; nothing is executed or written."""

from __future__ import annotations

import re
import subprocess
import sys
from collections.abc import Callable
from pathlib import Path

import pytest

from matcast.errors import RoutineError
from matcast.routine.loader import load_pose, load_routine

Write = Callable[[str, str | bytes], Path]
FACTS = "family: forward-fold\nintensity: 2\ntargets: [hamstrings]\nposition: standing\n"
"""What every pose file declares besides its steps (family, intensity, targets, position)."""

POSE = """\
name: Forward fold
enter:
  - Fold forward.
family: forward-fold
intensity: 2
targets: [hamstrings]
position: standing
flow: Fold forward.
"""


def problems(path: Path) -> list[str]:
    with pytest.raises(RoutineError) as info:
        if path.parent.name == "poses":
            load_pose(path)
        else:
            load_routine(path)
    return [p.format() for p in info.value.problems]


def routine_with(scratch: Write, body: str) -> Path:
    scratch("poses/fold.yaml", POSE)
    return scratch("r.yaml", body)


@pytest.mark.parametrize(("body", "expected"), [
    ("title: x\nsequence: [\n", r"r\.yaml:3:1: invalid YAML"),
    ("title: x\nsequence:\n  - pose: fold\n    hold: {breaths: '5'}\n",
     r"r\.yaml:4:21: sequence\[0\]\.hold\.breaths: expected a whole number, got the text '5'"),
    ("sequence:\n  - pose: fold\n", r"r\.yaml:1:1: missing required key 'title'"),
    ("title: x\nsequence:\n  - pose: fold\n    hodl: {breaths: 3}\n",
     r"r\.yaml:4:5: sequence\[0\]\.hodl: unknown key 'hodl'\n    hint: did you mean 'hold'\?"),
    ("title: x\nsequence:\n  - pose: fodl\n",
     r"r\.yaml:3:11: sequence\[0\]\.pose: unknown pose 'fodl'\n    hint: did you mean 'fold'\?"),
    ("title: x\nsequence:\n  - pose: fold\n    hold: {breaths: 0}\n",
     r"sequence\[0\]\.hold\.breaths: expected a number at least 1, got the number 0"),
    ("title: x\nsequence:\n  - pose: fold\n    hold: {seconds: -5}\n",
     r"sequence\[0\]\.hold\.seconds: expected a number greater than 0, got the number -5"),
    ("title: x\nsequence:\n  - pose: fold\n    hold: {minutes: 100000}\n",
     r"sequence\[0\]\.hold\.minutes: expected a number at most 120"),
    ("title: x\nsequence:\n  - pose: fold\n    hold: {}\n",
     r"sequence\[0\]\.hold: give exactly one of 'breaths', 'seconds' or 'minutes'"),
    ("title: x\nlevel: expert\nsequence:\n  - pose: fold\n",
     r"r\.yaml:2:8: level: expected one of 'gentle', 'beginner', 'all' or 'advanced'"),
    ("title: x\nsequence: []\n", r"sequence: expected at least 1 item"),
    ("title: x\nintro: ['Hello {side}']\nsequence:\n  - pose: fold\n",
     r"intro\[0\]: \{side\} is used but intro, outro and title have no side"),
    ("title: x\ntitle: y\nsequence:\n  - pose: fold\n",
     r"r\.yaml:2:1: title: key 'title' appears twice \(first on line 1\)"),
    ("- just\n- a list\n", r"expected a mapping of keys to values, got list"),
    ("title: 2024-05-01\nsequence:\n  - pose: fold\n", r"title: '2024-05-01' reads as a date"),
], ids=["yaml-syntax", "wrong-type", "missing", "unknown-key", "unknown-pose", "zero-hold",
        "negative-hold", "huge-hold", "empty-hold", "bad-enum", "empty-sequence",
        "side-outside-pose", "duplicate-key", "not-a-mapping", "date"])
def test_bad_routine_is_located(scratch: Write, body: str, expected: str) -> None:
    found = "\n".join(problems(routine_with(scratch, body)))
    assert re.search(expected, found), found


def test_every_problem_in_a_file_is_reported_at_once(scratch: Write) -> None:
    scratch("poses/fold.yaml", POSE)
    scratch("poses/broken.yaml", "name: B\nenter: [x]\ntagets: [a]\n" + FACTS + "flow: x\n")
    path = scratch("r.yaml", "title: 5\nlevel: al\nsequence:\n  - pose: nope\n"
                             "  - pose: broken\n  - pose: fold\n    hold: {breaths: -1}\n")
    found = problems(path)
    assert len(found) == 5, found
    assert [f.split(":")[0].rsplit("/", 1)[-1] for f in found] == ["r.yaml"] * 4 + [
        "broken.yaml"]


@pytest.mark.parametrize(("raw", "expected"), [
    (b"", "file is empty"),
    (b"# only a comment\n", "file is empty"),
    (b"title: caf\xe9\n", r"r\.yaml:1:11: not valid UTF-8"),
    (b"a: &a [x,x,x,x,x,x,x,x,x,x]\nb: &b [*a,*a,*a,*a,*a,*a,*a,*a,*a,*a]\n"
     b"c: &c [*b,*b,*b,*b,*b,*b,*b,*b,*b,*b]\nd: &d [*c,*c,*c,*c,*c,*c,*c,*c,*c,*c]\n"
     b"e: &e [*d,*d,*d,*d,*d,*d,*d,*d,*d,*d]\nf: &f [*e,*e,*e,*e,*e,*e,*e,*e,*e,*e]\n",
     "aliases repeated too often"),
    (b"a: &a [*a]\n", "nested more than"),
    (b"title: x\n<<: {sequence: []}\n", "merge keys"),
], ids=["empty", "comment-only", "non-utf8", "yaml-bomb", "self-alias", "merge-key"])
def test_unreadable_files(scratch: Write, raw: bytes, expected: str) -> None:
    found = "\n".join(problems(scratch("r.yaml", raw)))
    assert re.search(expected, found), found


def test_python_tags_are_never_executed(scratch: Write, tmp_path: Path) -> None:
    marker = tmp_path / "pwned"
    body = (f"title: !!python/object/apply:os.system ['touch {marker}']\n"
            "sequence: [{pose: fold}]\n")
    found = "\n".join(problems(routine_with(scratch, body)))
    assert "the tag '!!python/object/apply:os.system' is not allowed" in found
    assert not marker.exists()


def test_pose_file_problems_name_the_pose_file(scratch: Write) -> None:
    scratch("poses/lunge.yaml", "name: Lunge\nsides: both\nenter: ['{sid} foot forward']\n"
                                "hold: {breaths: 3}\n" + FACTS + "flow: Lunge.\n")
    path = scratch("r.yaml", "title: x\nsequence:\n  - pose: lunge\n")
    found = problems(path)
    pose_file = path.parent.joinpath("poses", "lunge.yaml")
    assert found == [f"{pose_file}:3:9: enter[0]: unknown placeholder {{sid}}\n"
                     "    hint: did you mean {side}?"]


def run_cli(*args: str) -> subprocess.CompletedProcess[str]:
    return subprocess.run([sys.executable, "-m", "matcast.cli", *args], capture_output=True,
                          text=True, check=False)


def test_cli_exits_2_without_traceback_and_writes_nothing(scratch: Write, tmp_path: Path
                                                          ) -> None:
    path = routine_with(scratch, "title: x\nsequence:\n  - pose: fold\n    hold: {breaths: 0}\n")
    before = sorted(tmp_path.rglob("*"))
    result = run_cli("compile", str(path))
    assert result.returncode == 2
    assert "Traceback" not in result.stderr
    assert "r.yaml:4:21: sequence[0].hold.breaths" in result.stderr
    assert result.stdout == ""
    assert sorted(tmp_path.rglob("*")) == before
    result = run_cli("validate", str(path), str(tmp_path / "missing.yaml"))
    assert result.returncode == 2
    assert "2 problems found" in result.stderr and "Traceback" not in result.stderr


def test_cli_bad_options_exit_2(library: Path) -> None:
    for args in (["compile", "post-run", "--minutes", "2"],
                 ["compile", "post-rnu"],
                 ["compile", "post-run", "--style", "flw"],
                 ["compile", "legs-up-the-wall", "--minutes", "45"]):
        result = run_cli(*args, "--library", str(library))
        assert result.returncode == 2, (args, result.stderr)
        assert "Traceback" not in result.stderr
    assert "did you mean post-run" in run_cli("compile", "post-rnu", "--library",
                                              str(library)).stderr


@pytest.mark.parametrize(("cover", "files", "expected"), [
    ("../outside.png", {}, "outside the routine library"),
    ("/etc/passwd", {}, "outside the routine library"),
    ("missing.png", {}, "no cover image at"),
    ("notes.png", {"notes.png": b"plain text"}, "is not a PNG or JPEG image"),
], ids=["parent", "absolute", "missing", "not-an-image"])
def test_bad_cover_is_refused(scratch: Write, cover: str, files: dict[str, bytes],
                              expected: str) -> None:
    for name, data in files.items():
        scratch(name, data)
    path = routine_with(scratch, f"title: x\ncover: {cover}\nsequence:\n  - pose: fold\n")
    found = "\n".join(problems(path))
    assert re.search(r"r\.yaml:2:8: cover: ", found) and expected in found, found


def test_cover_inside_the_library_is_accepted(scratch: Write) -> None:
    import io

    from PIL import Image

    image = io.BytesIO()
    Image.new("RGB", (400, 400), (40, 90, 120)).save(image, "PNG")
    scratch("art/cover.png", image.getvalue())
    path = routine_with(scratch, "title: x\ncover: art/cover.png\nsequence:\n  - pose: fold\n")
    loaded = load_routine(path)
    assert loaded.cover == (path.parent / "art" / "cover.png").resolve()
