"""Composed episodes a library declares in library.yaml: composed into composed/<slug>.yaml,
planned and built by build --all like any routine, rebuilt only when what they are composed
from changes; and a routine saved outside its library finds its poses through ``library:``."""

from __future__ import annotations

import shutil
from pathlib import Path

import pytest

from library_builds import build_all
from matcast.build.manifest import Manifest
from matcast.build.plan import BatchSettings, library_defaults, plan
from matcast.errors import RoutineError
from matcast.routine.loader import load_library_config, load_routine

ROOT = Path(__file__).resolve().parents[2]
POSES = ROOT / "routines" / "poses"
CONFIG = """title: Composed test
base_url: https://example.org/pod/
composed:
  - {slug: monday-hips, minutes: 5, focus: [hips], level: beginner, for: after-run,
     avoid: [knees], style: hold, seed: 3}
"""


def library_of(root: Path) -> Path:
    library = root / "library"
    shutil.copytree(POSES, library / "poses")
    (library / "library.yaml").write_text(CONFIG, encoding="utf-8")
    return library


def settings() -> BatchSettings:
    return BatchSettings("pyttsx3", "x", None, None, "96k", False, "Composed test", "l", "{}")


def planned(library: Path, out: Path, manifest: Manifest):  # type: ignore[no-untyped-def]
    library_defaults(library, manifest)
    return plan(library, out, manifest, settings(), False, manifest.config.get("order", []),
                manifest.config.get("composed", []))


def test_a_declared_class_is_composed_and_planned(tmp_path: Path) -> None:
    library = library_of(tmp_path)
    manifest = Manifest()
    first = planned(library, tmp_path / "out", manifest)
    path = library / "composed" / "monday-hips.yaml"
    text = path.read_text(encoding="utf-8")
    assert "Written by matcast build --all for library.yaml's composed episode" in text
    [job] = first.jobs
    assert (job.slug, job.routine) == ("monday-hips-beginner", "composed/monday-hips.yaml")
    loaded = load_routine(path)
    inputs = manifest.routines["composed/monday-hips.yaml"]["inputs"]
    assert set(inputs) == {"composed/monday-hips.yaml",
                           *(f"poses/{p}.yaml" for p in loaded.poses)}
    # Nothing changed: the same key, the file untouched, the poses not loaded again.
    again = planned(library, tmp_path / "out", manifest)
    assert again.jobs[0].key == job.key
    assert path.read_text(encoding="utf-8") == text
    # A pose the class uses changes: its episode's key changes with it.
    used = library / "poses" / f"{next(iter(loaded.poses))}.yaml"
    used.write_text(used.read_text(encoding="utf-8") + "\n# edited\n", encoding="utf-8")
    assert planned(library, tmp_path / "out", manifest).jobs[0].key != job.key


def test_a_class_that_cannot_be_composed_fails_alone(tmp_path: Path) -> None:
    library = library_of(tmp_path)
    (library / "library.yaml").write_text(CONFIG.replace("avoid: [knees]",
                                                         "avoid: [elbows]"), encoding="utf-8")
    result = planned(library, tmp_path / "out", Manifest())
    [failed] = [o for o in result.outcomes if o.status == "failed"]
    assert failed.slug == "monday-hips" and "--avoid 'elbows'" in failed.reason


def test_library_config_checks_composed_entries(tmp_path: Path) -> None:
    library = library_of(tmp_path)
    (library / "library.yaml").write_text(
        CONFIG + "  - {slug: monday-hips, minutes: 95, focus: [hipps], seed: 1}\n",
        encoding="utf-8")
    with pytest.raises(RoutineError) as caught:
        load_library_config(library / "library.yaml")
    text = str(caught.value)
    assert "minutes" in text and "hipps" in text


def test_validate_checks_composed_entries_where_they_are(tmp_path: Path) -> None:
    from matcast.validate import validate_paths

    library = library_of(tmp_path)
    (library / "library.yaml").write_text(CONFIG + (
        "  - {slug: b, minutes: 15, focus: [whole-body], seed: 1}\n"
        "  - {slug: c, minutes: 15, focus: [neck], seed: 1,\n"
        "     avoid: [cat-cow, thread-the-needle, ragdoll, puppy]}\n"
        "  - {slug: d, minutes: 15, focus: [hips], avoid: [knees, elbows], seed: 1}\n"),
        encoding="utf-8")
    problems = validate_paths([library]).problems
    found = {(p.line, p.key_path): p for p in problems}
    assert set(found) == {(6, "composed[1].focus[0]"), (7, "composed[2]"),
                          (9, "composed[3].avoid[1]")}, [p.format() for p in problems]
    assert "'whole-body' cannot be a focus" in found[6, "composed[1].focus[0]"].message
    assert "targets neck once --avoid" in found[7, "composed[2]"].message
    elbows = found[9, "composed[3].avoid[1]"]
    assert elbows.message.startswith("'elbows' is neither a body area or condition")
    assert elbows.hint is not None and "knees" in elbows.hint


def test_a_routine_names_its_library(tmp_path: Path) -> None:
    library_of(tmp_path)
    elsewhere = tmp_path / "mine"
    elsewhere.mkdir()
    routine = elsewhere / "mine.yaml"
    routine.write_text("title: Mine\nlibrary: ../library\nsequence:\n  - pose: mountain\n",
                       encoding="utf-8")
    assert load_routine(routine).poses["mountain"].name
    routine.write_text("title: Mine\nlibrary: ../nowhere\nsequence:\n  - pose: mountain\n",
                       encoding="utf-8")
    with pytest.raises(RoutineError) as caught:
        load_routine(routine)
    problem = caught.value.problems[0]
    assert problem.line == 2 and "no routine library at" in problem.message


@pytest.mark.slow
def test_build_all_publishes_the_composed_class(tmp_path: Path) -> None:
    library = library_of(tmp_path)
    result = build_all(library, tmp_path / "out", tmp_path / "cache")
    assert result.returncode == 0, result.stderr
    assert (tmp_path / "out" / "monday-hips-beginner.mp3").stat().st_size > 50_000
    assert "monday-hips-beginner" in (tmp_path / "out" / "feed.xml").read_text(encoding="utf-8")
