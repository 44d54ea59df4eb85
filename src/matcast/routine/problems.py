"""Turning pydantic's validation errors into located problems a user can act on."""

from __future__ import annotations

import difflib
import types
import typing
from collections.abc import Iterable, Iterator, Mapping
from enum import Enum
from typing import Any, TypeVar

from pydantic import BaseModel, ValidationError

from matcast.errors import Problem
from matcast.routine.enums import VOCABULARY_ALIASES, Contraindication, Family, Target
from matcast.routine.model import UNION_TAGS
from matcast.routine.yamlsrc import KeyPath, YamlDoc

M = TypeVar("M", bound=BaseModel)
VOCABULARIES = [{str(m.value) for m in e} for e in (Family, Target, Contraindication)]
"""The pose vocabulary's word lists."""


def validate_model(model: type[M], doc: YamlDoc, problems: list[Problem]) -> M | None:
    if not isinstance(doc.data, dict):
        kind = type(doc.data).__name__ if doc.data is not None else "nothing"
        problems.append(doc.problem((), f"expected a mapping of keys to values, got {kind}",
                                    f"a {model.__name__.lower()} file starts with 'name:' or "
                                    "'title:' at the left margin"))
        return None
    try:
        return model.model_validate(doc.data)
    except ValidationError as exc:
        for error in exc.errors(include_url=False):
            problems.append(_problem_from_error(model, doc, error))
        return None


def _clean_loc(doc: YamlDoc, loc: Iterable[str | int]) -> KeyPath:
    """Drop union-branch labels that pydantic puts into error locations."""
    out: list[str | int] = []
    node: Any = doc.data
    for part in loc:
        if isinstance(part, str) and part in UNION_TAGS and not (
            isinstance(node, dict) and part in node
        ):
            continue
        if part == "[key]":
            continue
        out.append(part)
        if isinstance(node, dict) and isinstance(part, str):
            node = node.get(part)
        elif isinstance(node, list) and isinstance(part, int) and part < len(node):
            node = node[part]
        else:
            node = None
    return tuple(out)


def _describe(value: Any) -> str:
    if value is None:
        return "nothing (null)"
    if isinstance(value, bool):
        return f"{str(value).lower()} (true/false)"
    if isinstance(value, int | float):
        return f"the number {value!r}"
    if isinstance(value, str):
        shown = value if len(value) <= 60 else value[:57] + "..."
        return f"the text {shown!r}"
    if isinstance(value, list):
        return "a list"
    if isinstance(value, dict):
        return "a mapping"
    return type(value).__name__


_EXPECTED = {
    "int_type": "a whole number",
    "float_type": "a number",
    "string_type": "text",
    "bool_type": "true or false",
    "list_type": "a list",
    "dict_type": "a mapping",
    "model_type": "a mapping",
    "model_attributes_type": "a mapping",
    "int_from_float": "a whole number",
}


def _problem_from_error(model: type[BaseModel], doc: YamlDoc, error: Any) -> Problem:
    loc = _clean_loc(doc, error["loc"])
    kind = error["type"]
    value = error.get("input")
    ctx = error.get("ctx") or {}
    raw_loc = tuple(error["loc"])
    in_union = any(isinstance(p, str) and p in UNION_TAGS for p in raw_loc)
    if kind == "extra_forbidden":
        allowed = sorted(_allowed_keys(model, loc[:-1]))
        key = str(loc[-1])
        close = difflib.get_close_matches(key, allowed, n=1)
        hint = f"did you mean {close[0]!r}?" if close else None
        if allowed:
            hint = (hint + " " if hint else "") + f"allowed keys: {', '.join(allowed)}"
        return doc.problem(loc, f"unknown key {key!r}", hint, key=True)
    if kind == "missing":
        return doc.problem(loc[:-1], f"missing required key {loc[-1]!r}",
                           _choices_hint(model, loc))
    if kind in ("enum", "literal_error"):
        expected = ctx.get("expected", "")
        options = [o.strip(" '") for o in expected.replace(" or ", ",").split(",") if o.strip()]
        hint = _suggest(value, options) or _vocabulary_hint(options)
        key = error["loc"][-1] == "[key]"
        return doc.problem(loc, f"expected one of {expected}, got {_describe(value)}", hint,
                           key=key)
    if kind == "string_pattern_mismatch":
        return doc.problem(loc, f"expected an id of lower-case letters, digits and dashes "
                           f"(like 'high-lunge'), got {_describe(value)}")
    if kind in ("greater_than", "greater_than_equal", "less_than", "less_than_equal"):
        words = {"greater_than": "greater than", "greater_than_equal": "at least",
                 "less_than": "less than", "less_than_equal": "at most"}[kind]
        limit = next(iter(ctx.values()), "?")
        limit = f"{limit:g}" if isinstance(limit, float) else limit
        return doc.problem(loc, f"expected a number {words} {limit}, got {_describe(value)}")
    if kind in ("too_short", "too_long", "string_too_short", "string_too_long"):
        return doc.problem(loc, _length_message(kind, ctx, value))
    if kind == "value_error":
        cause = ctx.get("error", error["msg"])
        return doc.problem(loc, str(cause), getattr(cause, "hint", None))
    if kind in _EXPECTED:
        expected = _EXPECTED[kind]
        hint = None
        if in_union:
            expected = "text, or a mapping with 'say'"
        if kind in ("int_type", "float_type") and isinstance(value, str):
            hint = ("write the number without quotes" if loc in doc.quoted
                    else "write a number, like 5 or 2.5")
        if kind == "string_type" and isinstance(value, int | float | bool):
            hint = "put the value in quotes to make it text"
        return doc.problem(loc, f"expected {expected}, got {_describe(value)}", hint)
    return doc.problem(loc, str(error["msg"]))


def _suggest(value: Any, options: list[str]) -> str | None:
    """'did you mean' for a value outside a vocabulary: a known alias, then a close spelling."""
    text = str(value).strip().lower()
    for guess in (VOCABULARY_ALIASES.get(text), text.replace(" ", "-").replace("_", "-")):
        if guess in options and guess != str(value):
            return f"did you mean {guess!r}?"
    close = difflib.get_close_matches(text, options, n=1)
    return f"did you mean {close[0]!r}?" if close else None


def _vocabulary_hint(options: list[str]) -> str | None:
    """For a word outside the pose vocabulary with no close match: where the words are explained."""
    if set(options) in VOCABULARIES:
        return ("each word is explained in the README's pose vocabulary; pick the closest "
                "one")
    return None


def _choices_hint(model: type[BaseModel], loc: KeyPath) -> str | None:
    """For a missing key whose values come from a vocabulary: what they are."""
    annotation = _field_annotation(model, loc)
    for tp in _expand([annotation] if annotation is not None else []):
        if isinstance(tp, type) and issubclass(tp, Enum):
            return f"{loc[-1]} is one of: {', '.join(str(m.value) for m in tp)}"
    return None


def _field_annotation(model: type[BaseModel], loc: KeyPath) -> Any:
    if not loc or not all(isinstance(part, str) for part in loc):
        return None
    candidates: list[Any] = [model]
    for part in loc:
        fields = [tp.model_fields[part] for tp in _expand(candidates)
                  if isinstance(tp, type) and issubclass(tp, BaseModel)
                  and part in tp.model_fields]
        if not fields:
            return None
        candidates = [fields[0].annotation]
    return candidates[0]


def _length_message(kind: str, ctx: Mapping[str, Any], value: Any) -> str:
    is_text = kind.startswith("string")
    unit = "characters" if is_text else "items"
    if kind.endswith("too_short"):
        least = ctx.get("min_length", 1)
        if is_text:
            return "expected non-empty text" if least == 1 else f"expected at least {least} {unit}"
        return f"expected at least {least} item{'s' if least != 1 else ''}, got {len(value)}"
    most = ctx.get("max_length")
    got = len(value) if hasattr(value, "__len__") else "more"
    return f"too long: at most {most} {unit}, got {got}" + (
        "; split it into several steps" if is_text else "")


def _allowed_keys(model: type[BaseModel], path: KeyPath) -> set[str]:
    """The keys a model accepts at ``path``: used for 'did you mean'."""
    candidates: list[Any] = [model]
    for part in path:
        nxt: list[Any] = []
        for tp in _expand(candidates):
            if isinstance(part, str) and isinstance(tp, type) and issubclass(tp, BaseModel):
                field = tp.model_fields.get(part)
                if field is not None:
                    nxt.append(field.annotation)
            elif isinstance(part, int) and typing.get_origin(tp) is list:
                nxt.extend(typing.get_args(tp)[:1])
            elif isinstance(part, str) and typing.get_origin(tp) is dict:
                nxt.extend(typing.get_args(tp)[1:2])
        candidates = nxt
    keys: set[str] = set()
    for tp in _expand(candidates):
        if isinstance(tp, type) and issubclass(tp, BaseModel):
            keys.update(tp.model_fields)
    return keys


def _expand(types_: Iterable[Any]) -> Iterator[Any]:
    """Unwrap Annotated and unions down to concrete types."""
    for tp in types_:
        origin = typing.get_origin(tp)
        if origin is typing.Annotated:
            yield from _expand([typing.get_args(tp)[0]])
        elif origin in (typing.Union, types.UnionType):
            yield from _expand(typing.get_args(tp))
        else:
            yield tp
