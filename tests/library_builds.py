"""A small library and a library build, shared by the build and publish tests."""

from __future__ import annotations

import shutil
import subprocess
import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
POSES = ROOT / "routines" / "poses"

QUICK = """\
title: Quick {name}
description: A one-minute test session.
focus: [hips]
styles: [hold, flow]
defaults: {{hold: {{breaths: 1}}, rest: 0.5}}
intro: [Hello.]
sequence:
  - pose: {pose}
outro: [Done.]
"""



def make_library(root: Path) -> Path:
    library = root / "library"
    (library / "poses").mkdir(parents=True)
    for pose in ("childs-pose", "knees-to-chest", "mountain"):
        shutil.copy(POSES / f"{pose}.yaml", library / "poses")
    (library / "rest.yaml").write_text(
        QUICK.format(name="rest", pose="childs-pose")
        + "variants:\n  - {}\n  - {style: flow}\n")
    (library / "knees.yaml").write_text(QUICK.format(name="knees", pose="knees-to-chest"))
    (library / "library.yaml").write_text(
        'title: "Test <show> & co"\nauthor: Tester\nbase_url: https://example.org/pod\n')
    return library


def build_all(library: Path, out: Path | str, cache: Path, *extra: str
              ) -> subprocess.CompletedProcess[str]:
    return subprocess.run(
        [sys.executable, "-m", "matcast.cli", "build", "--all", str(library), "-o", str(out),
         "--cache-dir", str(cache), *extra],
        capture_output=True, text=True, check=False, cwd=ROOT)
