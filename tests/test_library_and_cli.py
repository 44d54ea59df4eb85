"""The shipped library against its schema, the post-run snapshot, and the read-only commands."""

from __future__ import annotations

import json
import os
import subprocess
import sys
from pathlib import Path

import jsonschema
import pytest
import yaml

from matcast.cli import format_table
from matcast.compiler import compile_routine
from matcast.routine.paths import routine_paths
from matcast.routine.schema import SCHEMA_FILES, schema_text

ROOT = Path(__file__).resolve().parents[1]
SNAPSHOTS = Path(__file__).parent / "snapshots"


@pytest.mark.parametrize("name", sorted(SCHEMA_FILES))
def test_shipped_schema_is_up_to_date(name: str) -> None:
    shipped = (ROOT / "schema" / name).read_text(encoding="utf-8")
    assert shipped == schema_text(name), "run: python scripts/gen_schema.py"


def test_every_shipped_file_validates_against_the_schema(library: Path) -> None:
    routine_schema = json.loads((ROOT / "schema" / "routine.schema.json").read_text())
    pose_schema = json.loads((ROOT / "schema" / "pose.schema.json").read_text())
    routines = routine_paths(library)
    poses = sorted((library / "poses").glob("*.yaml"))
    assert len(routines) >= 8 and len(poses) >= 14
    # One validator per schema: jsonschema.validate would check the schema again for each file.
    for schema in (routine_schema, pose_schema):
        jsonschema.Draft202012Validator.check_schema(schema)
    routine_check = jsonschema.Draft202012Validator(routine_schema)
    pose_check = jsonschema.Draft202012Validator(pose_schema)
    for path, check in [*((p, routine_check) for p in routines),
                        *((p, pose_check) for p in poses)]:
        check.validate(yaml.safe_load(path.read_text()))


def test_schema_rejects_what_the_loader_rejects() -> None:
    pose_schema = json.loads((ROOT / "schema" / "pose.schema.json").read_text())
    validator = jsonschema.Draft202012Validator(pose_schema)
    pose = {"name": "x", "enter": ["a"], "family": "twist", "intensity": 2,
            "targets": ["spine"], "position": "seated", "flow": "Twist."}
    assert not list(validator.iter_errors(pose))
    assert list(validator.iter_errors({**pose, "tagets": []}))
    assert list(validator.iter_errors({**pose, "hold": {"breaths": 2, "seconds": 3}}))
    assert list(validator.iter_errors({**pose, "targets": ["outer thighs"]}))
    assert list(validator.iter_errors({**pose, "family": "stretch"}))
    assert list(validator.iter_errors({**pose, "intensity": 6}))
    assert list(validator.iter_errors({key: v for key, v in pose.items() if key != "flow"}))


def test_post_run_cue_script_snapshot(post_run) -> None:  # type: ignore[no-untyped-def]
    """The compiled post-run session, as a readable table. To accept a change on purpose:
    MATCAST_UPDATE_SNAPSHOTS=1 python -m pytest tests/test_library_and_cli.py"""
    text = format_table(compile_routine(post_run)) + "\n"
    snapshot = SNAPSHOTS / "post-run.table.txt"
    if os.environ.get("MATCAST_UPDATE_SNAPSHOTS"):
        snapshot.write_text(text, encoding="utf-8")
    assert text == snapshot.read_text(encoding="utf-8")


def run_cli(*args: str) -> subprocess.CompletedProcess[str]:
    return subprocess.run([sys.executable, "-m", "matcast.cli", *args], capture_output=True,
                          text=True, check=False, cwd=ROOT)


def test_compile_json_is_the_cue_script() -> None:
    result = run_cli("compile", "post-run", "--format", "json", "--minutes", "30")
    assert result.returncode == 0, result.stderr
    data = json.loads(result.stdout)
    assert data["routine"] == "post-run"
    assert abs(data["duration"] - 1800) <= 36
    assert [c["title"] for c in data["chapters"]][:2] == ["Introduction", "Forward fold"]


def test_list_and_validate_the_library() -> None:
    listed = run_cli("list")
    assert listed.returncode == 0, listed.stderr
    assert "post-run" in listed.stdout and "legs-up-the-wall" in listed.stdout
    assert "flow" in listed.stdout.split("post-run", 1)[1].splitlines()[0]
    checked = run_cli("validate", "routines")
    assert checked.returncode == 0, checked.stderr
    assert checked.stdout.startswith("ok: ")


def test_schema_command_prints_the_shipped_schema() -> None:
    result = run_cli("schema", "pose")
    assert result.returncode == 0
    assert result.stdout == (ROOT / "schema" / "pose.schema.json").read_text()
