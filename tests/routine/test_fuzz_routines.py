"""Property-based: no routine document, valid or broken, gets a traceback out of the loader or the
compiler. Either a cue script comes out, or a RoutineError locating the problem (or a UsageError
about what the routine asks of the compiler: a length it cannot fit, a session too long).

The number of examples is $MATCAST_FUZZ_EXAMPLES (default 1,000 for each of the two main
properties, as CI runs them, which keeps the default suite inside its five minutes; the
YAML-bomb property runs a twentieth of that). `MATCAST_FUZZ_EXAMPLES=10000` digs deeper.
"""

from __future__ import annotations

import os
from pathlib import Path
from typing import Any

import pytest
import yaml
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from matcast.compiler import compile_routine
from matcast.errors import RoutineError, UsageError
from matcast.routine.loader import load_routine

EXAMPLES = int(os.environ.get("MATCAST_FUZZ_EXAMPLES", "1000"))
FUZZ = settings(max_examples=EXAMPLES, deadline=None, derandomize=True,
                suppress_health_check=[HealthCheck.function_scoped_fixture,
                                       HealthCheck.too_slow, HealthCheck.data_too_large])

FACTS = "family: forward-fold\nintensity: 2\ntargets: [hamstrings]\nposition: standing\n"
"""What every pose file declares besides its steps."""

POSES = {
    "fold": "name: Fold\nenter: [Fold forward.]\nhold: {breaths: 2}\n" + FACTS + "flow: Fold.\n",
    "lunge": ("name: Lunge\nsides: both\nenter: ['Step your {side} foot forward.']\n"
              "hold_cues: ['Keep the {side} knee soft.']\nswitch: Now the {side} side.\n" + FACTS
              + "flow: Lunge.\n"),
    "rest": ("name: Rest\nenter: [{say: Lie down., pause: 2}]\nhold: {seconds: 40}\n"
             "breath_cues: none\ncheckins: [Stay soft., Breathe.]\ncheckin_every: 10\n"
             "cautions: [{say: Careful., alternative: fold}]\nfamily: relaxation\nintensity: 1\n"
             "targets: [mind]\nposition: supine\nflow: Rest.\n"),
}

KEYS = ["title", "description", "author", "level", "focus", "styles", "duration", "defaults",
        "intro", "outro", "sequence", "variants", "cover", "pose", "hold", "breaths", "seconds",
        "minutes", "say", "pause", "variations", "enter", "tips", "breath_cues", "inhale",
        "tagets", "sequense", "<<", "", "ä", "\u202e", "{side}"]

scalars = st.one_of(
    st.none(), st.booleans(), st.integers(min_value=-10**30, max_value=10**30),
    st.floats(allow_nan=True, allow_infinity=True), st.text(max_size=40),
    st.sampled_from(["fold", "lunge", "rest", "nope", "hold", "flow", "all", "advanced",
                     "gentle", "count", "none", "{side}", "{sid}", "<speak>", "\x00\x07"]),
)
values = st.recursive(
    scalars,
    lambda inner: st.one_of(st.lists(inner, max_size=4),
                            st.dictionaries(st.sampled_from(KEYS), inner, max_size=4)),
    max_leaves=20,
)

pose_refs = st.fixed_dictionaries(
    {"pose": st.sampled_from(["fold", "lunge", "rest", "nope"])},
    optional={
        "hold": st.one_of(
            st.fixed_dictionaries({"breaths": st.integers(-2, 30)}),
            st.fixed_dictionaries({"seconds": st.floats(-5, 400)}),
            st.fixed_dictionaries({"minutes": st.floats(0, 3)}), values),
        "variations": st.dictionaries(st.sampled_from(["advanced", "gentle", "expert"]),
                                      st.sampled_from(["fold", "lunge", "Bad Id"]), max_size=2),
        "say": st.text(max_size=60),
        "breath_cues": st.sampled_from(["count", "none", "cont"]),
        "transition": values,
    })
routines = st.fixed_dictionaries(
    {"title": st.one_of(st.text(min_size=1, max_size=40), values),
     "sequence": st.one_of(st.lists(pose_refs, min_size=1, max_size=6), values)},
    optional={
        "styles": st.lists(st.sampled_from(["hold", "flow", "jog"]), max_size=3),
        "duration": st.one_of(st.fixed_dictionaries(
            {"default": st.floats(0.5, 300)}, optional={"min": st.floats(0, 60),
                                                       "max": st.floats(0, 300)}), values),
        "defaults": st.one_of(st.fixed_dictionaries({}, optional={
            "breath": st.fixed_dictionaries({"inhale": st.floats(0, 10),
                                             "exhale": st.floats(0, 10)}),
            "hold": st.fixed_dictionaries({"breaths": st.integers(0, 12)}),
            "rest": st.floats(-1, 20), "step_pause": st.floats(-1, 20)}), values),
        "intro": st.lists(st.text(max_size=80), max_size=3),
        "variants": st.lists(st.fixed_dictionaries({}, optional={
            "minutes": st.floats(0, 900), "style": st.sampled_from(["hold", "flow"])}),
            max_size=3),
        "extra": values,
    })


@pytest.fixture(scope="module")
def library(tmp_path_factory: pytest.TempPathFactory) -> Path:
    root = tmp_path_factory.mktemp("fuzz")
    (root / "poses").mkdir()
    for name, text in POSES.items():
        (root / "poses" / f"{name}.yaml").write_text(text)
    return root


def check(path: Path) -> None:
    """The property: a script, or a located RoutineError, or a UsageError; nothing else."""
    try:
        loaded = load_routine(path)
    except RoutineError as exc:
        assert exc.problems, "a RoutineError with no problem in it"
        for problem in exc.problems:
            assert problem.path is not None, problem
            assert problem.message, problem
            assert isinstance(problem.key_path, str), problem
            text = problem.format()
            assert str(problem.path) in text
        return
    try:
        script = compile_routine(loaded)
    except UsageError as exc:
        assert str(exc)
        return
    assert script.duration > 0
    t = 0
    for event in script.events:
        assert event.start == t and event.end > event.start
        t = event.end


@FUZZ
@given(document=routines)
def test_generated_routines_never_crash(library: Path, document: dict[str, Any]) -> None:
    document = {k: v for k, v in document.items() if k != "extra"} | (
        {"extra": document["extra"]} if "extra" in document else {})
    path = library / "r.yaml"
    path.write_text(yaml.safe_dump(document, allow_unicode=True), encoding="utf-8")
    check(path)


@FUZZ
@given(raw=st.one_of(
    st.binary(max_size=300),
    st.text(max_size=300).map(str.encode),
    st.lists(st.sampled_from([
        "title: x\n", "sequence:\n", "  - pose: fold\n", "  - pose: lunge\n", "    hold: ",
        "{breaths: 3}\n", "&a [1, 2]\n", "*a\n", "!!python/object:os.system\n", "- [\n",
        "<<: *a\n", "  tagets: [x]\n", "\t", "---\n", "{{{{{{{{", "]]]", "\xff", "🧘 ", ": :\n",
        "? complex\n", "!!binary AAAA\n", "2024-01-01\n", "0x1F\n", ".inf\n", "~\n"]),
        max_size=25).map(lambda parts: "".join(parts).encode("utf-8", "surrogatepass")),
))
def test_arbitrary_bytes_never_crash(library: Path, raw: bytes) -> None:
    path = library / "r.yaml"
    path.write_bytes(raw)
    check(path)


@settings(FUZZ, max_examples=max(20, EXAMPLES // 20))  # each one expands up to the value limit
@given(depth=st.integers(1, 400), width=st.integers(1, 12), kind=st.sampled_from("[{"))
def test_deep_nesting_and_alias_fans_never_crash(library: Path, depth: int, width: int,
                                                  kind: str) -> None:
    closing = "]" if kind == "[" else "}"
    inner = ("a: " if kind == "{" else "")
    nested = (kind + inner) * depth + "1" + closing * depth
    aliases = "".join(f"l{i}: &l{i} [{', '.join([f'*l{i - 1}'] * width)}]\n"
                      for i in range(1, 8))
    text = f"title: x\nl0: &l0 [1]\n{aliases}deep: {nested}\nsequence: [{{pose: fold}}]\n"
    path = library / "r.yaml"
    path.write_text(text)
    check(path)


# Examples the fuzzer found once, kept as plain regression tests.
@pytest.mark.parametrize("text", [
    "title: x\nsequence: [{pose: fold, hold: {minutes: 2.9}}]\nduration: {default: 0.5}\n",
    "title: x\nsequence: [{pose: rest}]\nvariants: [{minutes: 800}]\n",
    "title: x\nsequence: [{pose: lunge, hold: {breaths: 0}}]\n",
])
def test_found_examples(library: Path, text: str) -> None:
    path = library / "r.yaml"
    path.write_text(text)
    check(path)
