"""Running the Node tools of ``tests/node`` (podcast-partytime, webvtt-parser) from a test.

They are installed by ``scripts/test.sh`` (``npm ci`` into ``tests/node/node_modules``, ignored by
git). Without node or the packages a test skips with the reason; under CI it fails instead, since
CI installs them.
"""

from __future__ import annotations

import json
import os
import shutil
import subprocess
from pathlib import Path
from typing import Any

import pytest

NODE_DIR = Path(__file__).resolve().parent / "node"
PACKAGES = {"partytime.cjs": "podcast-partytime", "webvtt.cjs": "webvtt-parser"}


def _unavailable(reason: str) -> None:
    if os.environ.get("CI"):
        pytest.fail(f"{reason}: CI must run the Node checks (scripts/test.sh installs them)")
    pytest.skip(reason)


def run_node(script: str, *args: str | Path) -> Any:
    """Run ``tests/node/<script>`` with ``args`` and return the JSON it prints."""
    node = shutil.which("node")
    if node is None:
        _unavailable("node is not installed (apt-get install nodejs npm)")
    package = PACKAGES[script]
    if not (NODE_DIR / "node_modules" / package / "package.json").is_file():
        _unavailable(f"the npm package {package} is not installed "
                     "(run scripts/test.sh, or npm ci --prefix tests/node)")
    result = subprocess.run([str(node), str(NODE_DIR / script), *map(str, args)],
                            capture_output=True, text=True, check=False, timeout=120)
    assert result.returncode == 0, result.stderr
    return json.loads(result.stdout)
