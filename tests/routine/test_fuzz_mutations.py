"""The mutation fuzzer (scripts/fuzz.py) in the default suite: every failure it has found, kept
in tests/fuzz_cases.json and replayed, plus a small seeded slice of fresh cases.

The full run is ``python scripts/fuzz.py --cases 2000`` (several minutes); ``--save`` adds
whatever new failure it finds to the kept cases.
"""

from __future__ import annotations

import base64
import importlib.util
import json
import shutil
import sys
from collections.abc import Iterator
from pathlib import Path
from types import ModuleType
from typing import Any

import pytest

ROOT = Path(__file__).resolve().parents[2]
SLICE = 40
"""Fresh cases per run of the default suite (about a second or two)."""
SEED = 2
"""A seed whose slice reaches both outcomes: since pose files must declare family, targets,
position and flow, most mutations are refused (seed 9 now gives 40 refusals out of 40)."""


def _load_fuzzer() -> ModuleType:
    if str(ROOT / "scripts") not in sys.path:
        sys.path.insert(0, str(ROOT / "scripts"))  # fuzz.py imports fuzz_mutations beside it
    spec = importlib.util.spec_from_file_location("matcast_fuzz", ROOT / "scripts" / "fuzz.py")
    assert spec is not None and spec.loader is not None
    module = importlib.util.module_from_spec(spec)
    sys.modules[spec.name] = module  # its dataclasses look their module up while it loads
    spec.loader.exec_module(module)
    return module


fuzz = _load_fuzzer()
KEPT: list[dict[str, Any]] = json.loads(fuzz.CASES_FILE.read_text(encoding="utf-8"))


@pytest.fixture(scope="module")
def scratch() -> Iterator[Path]:
    library = fuzz.scratch_library()
    yield library
    shutil.rmtree(library.parent, ignore_errors=True)


@pytest.fixture(scope="module")
def users() -> dict[str, list[str]]:
    return fuzz.pose_users()


def _document(kept: dict[str, Any]) -> bytes:
    if "base64" in kept:
        return base64.b64decode(kept["base64"])
    return str(kept["text"]).encode("utf-8", "surrogatepass")


@pytest.mark.parametrize("kept", KEPT, ids=[f"{c['file']}-{c['signature']}" for c in KEPT])
def test_every_failure_the_fuzzer_found_stays_fixed(scratch: Path, users: dict[str, list[str]],
                                                    kept: dict[str, Any]) -> None:
    case = fuzz.Case(0, kept["file"], [], _document(kept))
    result = fuzz.run_case(scratch, case, users)
    assert result.kind in ("ok", "refused"), f"{result.kind}: {result.detail}"


def test_the_kept_cases_are_real_failures_of_the_old_code() -> None:
    # Each was found by the fuzzer against the code before issue 9 (see "found"): a traceback,
    # a refusal without a line, or a routine validate accepted that could not be built or
    # spoke no words.
    assert KEPT and all(c["found"] and c["signature"] for c in KEPT)
    assert {c["signature"].split(" at ")[0] for c in KEPT} >= {"ValueError", "KeyError"}


def test_a_seeded_slice_of_fresh_cases(scratch: Path, users: dict[str, list[str]]) -> None:
    files = fuzz.seed_files()
    outcomes: dict[str, int] = {}
    for number in range(SLICE):
        case = fuzz.make_case(SEED, number, files)
        result = fuzz.run_case(scratch, case, users)
        assert result.kind in ("ok", "refused"), (number, case.steps, result.detail)
        outcomes[result.kind] = outcomes.get(result.kind, 0) + 1
    # The slice is worth running only if it reaches both outcomes.
    assert outcomes.get("ok") and outcomes.get("refused"), outcomes


def test_the_fuzzer_is_deterministic() -> None:
    files = fuzz.seed_files()
    assert fuzz.make_case(3, 17, files).document == fuzz.make_case(3, 17, files).document
    assert fuzz.make_case(3, 17, files).document != fuzz.make_case(3, 18, files).document
