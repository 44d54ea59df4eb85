"""What every routine, pose and library model is built from: the strict base model, the spoken
text and id field types, and the enums as a file writes them."""

from __future__ import annotations

from typing import Annotated, TypeVar

from pydantic import AfterValidator, BaseModel, ConfigDict, Field, Strict

from matcast.routine.enums import (
    BreathCues,
    Contraindication,
    CueSounds,
    Family,
    Guidance,
    Level,
    Pace,
    Position,
    Prop,
    Style,
    Target,
)
from matcast.routine.text import speech_problem

T = TypeVar("T")

SLUG_PATTERN = r"^[a-z0-9][a-z0-9-]{0,62}$"
"""Routine slugs and pose ids: lower-case letters, digits and dashes."""

SIDE_PLACEHOLDERS = frozenset({"side", "Side", "other", "Other"})
"""The placeholders a bilateral pose may use: the current side and the other one."""

MAX_TEXT = 1000
"""Longest spoken line, in characters: longer text belongs in several steps."""

class InvalidValue(ValueError):
    """A value a validator refuses, with a hint the loader shows under the message."""

    def __init__(self, message: str, hint: str | None = None) -> None:
        super().__init__(message)
        self.hint = hint


def check_spoken(text: str) -> str:
    problem = speech_problem(text)
    if problem is not None:
        hint = ("placeholders are {side}, {other}, {Side} and {Other}; braces are not spoken"
                if "brace" in problem else "write what the voice should say, or remove the line")
        raise InvalidValue(problem, hint)
    return text


def unique(values: list[T]) -> list[T]:
    repeated = sorted({str(v) for v in values if values.count(v) > 1})
    if repeated:
        raise InvalidValue(f"{', '.join(repeated)} listed more than once",
                           "list each value once")
    return values


PoseId = Annotated[str, Field(pattern=SLUG_PATTERN, description="A pose file name without .yaml")]
Text = Annotated[str, Field(min_length=1, max_length=MAX_TEXT), AfterValidator(check_spoken)]
"""A spoken line (or a title): words, with braces only around placeholders."""
Seconds = Annotated[float, Field(ge=0, le=600)]


# Strict mode wants enum instances; a routine file gives their string values.
LevelName = Annotated[Level, Strict(False)]
StyleName = Annotated[Style, Strict(False)]
BreathCuesName = Annotated[BreathCues, Strict(False)]
PaceName = Annotated[Pace, Strict(False)]
CueSoundsName = Annotated[CueSounds, Strict(False)]
GuidanceName = Annotated[Guidance, Strict(False)]
PositionName = Annotated[Position, Strict(False)]
PropName = Annotated[Prop, Strict(False)]
FamilyName = Annotated[Family, Strict(False)]
TargetName = Annotated[Target, Strict(False)]
ContraindicationName = Annotated[Contraindication, Strict(False)]


class StrictModel(BaseModel):
    """A file's model: unknown keys refused, types not coerced, field docstrings in the schema."""

    model_config = ConfigDict(extra="forbid", strict=True, use_attribute_docstrings=True,
                              frozen=True)
