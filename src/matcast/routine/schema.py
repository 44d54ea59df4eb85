"""JSON Schemas for routine and pose files, generated from the models.

The generated files ship in ``schema/`` so that an editor's YAML plugin can check and complete
routine files as they are typed; a test keeps them identical to what the models generate.
"""

from __future__ import annotations

import json
from typing import Any

from pydantic import BaseModel

from matcast.routine.library_config import LibraryConfig
from matcast.routine.model import Pose, Routine

SCHEMA_FILES: dict[str, type[BaseModel]] = {
    "routine.schema.json": Routine,
    "pose.schema.json": Pose,
    "library.schema.json": LibraryConfig,
}
"""File name in ``schema/`` -> the model it describes."""


def _exactly_one_key(schema: dict[str, Any]) -> None:
    hold = schema.get("$defs", {}).get("Hold")
    if hold is not None:
        hold["minProperties"] = 1
        hold["maxProperties"] = 1


def schema_for(model: type[BaseModel]) -> dict[str, Any]:
    """The JSON Schema (draft 2020-12) of ``model``."""
    schema = model.model_json_schema(mode="validation")
    _exactly_one_key(schema)
    return {
        "$schema": "https://json-schema.org/draft/2020-12/schema",
        **schema,
    }


def schema_text(name: str) -> str:
    """The text of one shipped schema file, exactly as written to disk."""
    return json.dumps(schema_for(SCHEMA_FILES[name]), indent=2, ensure_ascii=False) + "\n"
