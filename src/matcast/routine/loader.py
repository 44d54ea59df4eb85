"""Loading routine and pose files: YAML -> validated models, every problem located and reported.

A routine is loaded with every pose it can use (its sequence, the level variations and the gentler
alternatives of cautions), so that compiling never touches the file system. All problems of a file
(and of the pose files it uses) are collected and raised together as one :class:`RoutineError`.
"""

from __future__ import annotations

import difflib
import re
import types
import typing
from collections.abc import Iterable, Iterator, Mapping
from dataclasses import dataclass
from os import PathLike
from pathlib import Path
from typing import Any, TypeVar

from pydantic import BaseModel, ValidationError

from matcast.errors import Problem, RoutineError
from matcast.library import LIBRARY_CONFIG
from matcast.routine.enums import AUDIO_SUFFIXES, BED_NAMES
from matcast.routine.library_config import LibraryConfig
from matcast.routine.model import (
    PLACEHOLDER,
    SIDE_PLACEHOLDERS,
    SLUG_PATTERN,
    UNION_TAGS,
    Caution,
    Pose,
    PoseRef,
    Routine,
    Sound,
    StepSpec,
)
from matcast.routine.yamlsrc import KeyPath, YamlDoc, YamlProblems, read_yaml

M = TypeVar("M", bound=BaseModel)

POSES_DIR = "poses"
"""Pose files live in this folder beside the routine files."""


@dataclass(frozen=True)
class LoadedRoutine:
    """A validated routine with every pose it may use, ready to compile (no more file access)."""

    slug: str
    """File name without ``.yaml``: the episode's slug."""
    path: Path
    """The routine file."""
    routine: Routine
    """The validated routine."""
    poses: Mapping[str, Pose]
    """Every pose the routine may use, by id."""
    pose_paths: Mapping[str, Path]
    """Where each pose came from."""
    cover: Path | None = None
    """The routine's own cover image, checked to exist inside the library."""
    bed: Path | None = None
    """The routine's own bed file, when its sound section names one."""
    config: LibraryConfig | None = None
    """The library's ``library.yaml``, when the routine's folder has one."""


def load_routine(path: str | PathLike[str]) -> LoadedRoutine:
    """Load and validate a routine file and the pose files it uses.

    Raises :class:`RoutineError` listing every problem found in the routine and its poses.
    """
    path = Path(path)
    problems: list[Problem] = []
    try:
        doc = read_yaml(path)
    except YamlProblems as exc:
        raise RoutineError(exc.problems) from None
    routine = _validate(Routine, doc, problems)
    poses_dir = path.parent / POSES_DIR
    poses: dict[str, Pose] = {}
    pose_paths: dict[str, Path] = {}
    available = sorted(p.stem for p in poses_dir.glob("*.yaml")) if poses_dir.is_dir() else []

    failed: set[str] = set()

    def need(pose_id: str, where: KeyPath, origin: YamlDoc) -> Pose | None:
        if pose_id in poses:
            return poses[pose_id]
        if pose_id in failed:
            return None
        pose_path = poses_dir / f"{pose_id}.yaml"
        if pose_path.is_file() and not _inside(pose_path, path.parent):
            # A symlink may point anywhere: a routine only ever reads inside its library.
            problems.append(origin.problem(
                where, f"pose {pose_id!r} is a link to {pose_path.resolve()}, outside the "
                f"routine library", "copy the pose file into the library instead"))
            failed.add(pose_id)
            return None
        if not pose_path.is_file():
            close = difflib.get_close_matches(pose_id, available, n=3)
            hint = (f"did you mean {_quote_list(close)}?" if close
                    else f"pose files live in {poses_dir}/<id>.yaml")
            problems.append(origin.problem(where, f"unknown pose {pose_id!r}", hint))
            return None
        try:
            pose = load_pose(pose_path)
        except RoutineError as exc:
            failed.add(pose_id)
            problems.extend(exc.problems)
            return None
        poses[pose_id] = pose
        pose_paths[pose_id] = pose_path
        # A caution's gentler alternative is part of what the routine may use.
        for i, caution in enumerate(pose.cautions):
            if isinstance(caution, Caution) and caution.alternative:
                alt_doc = _doc_or_stub(pose_path)
                need(caution.alternative, ("cautions", i, "alternative"), alt_doc)
        return pose

    if routine is None:
        # Still report unknown poses, so that one run shows every problem of the file.
        sequence = doc.data.get("sequence") if isinstance(doc.data, dict) else None
        for i, item in enumerate(sequence if isinstance(sequence, list) else []):
            pose_id = item.get("pose") if isinstance(item, dict) else None
            if isinstance(pose_id, str) and re.fullmatch(SLUG_PATTERN, pose_id):
                need(pose_id, ("sequence", i, "pose"), doc)
        raise RoutineError(_in_file_order(problems))
    for i, ref in enumerate(routine.sequence):
        pose = need(ref.pose, ("sequence", i, "pose"), doc)
        for level, variation in ref.variations.items():
            need(variation, ("sequence", i, "variations", level.value), doc)
        if pose is not None:
            problems.extend(_check_ref_placeholders(ref, pose, doc, ("sequence", i)))
    problems.extend(_check_routine_placeholders(routine, doc))
    cover = None
    if routine.cover is not None:
        cover, problem = _cover_path(path, routine.cover, doc)
        if problem is not None:
            problems.append(problem)
    bed, problem = bed_file(path.parent, routine.sound, doc)
    if problem is not None:
        problems.append(problem)
    config = None
    config_path = path.parent / LIBRARY_CONFIG
    if config_path.is_file():
        try:
            config = load_library_config(config_path)
        except RoutineError as exc:
            problems.extend(exc.problems)
    if problems:
        raise RoutineError(_in_file_order(problems))
    return LoadedRoutine(safe_slug(path.stem), path, routine, poses, pose_paths, cover, bed,
                         config)


def load_library_config(path: str | PathLike[str]) -> LibraryConfig:
    """Load and validate a library's ``library.yaml``; RoutineError with every problem."""
    doc, config, problems = _read_model(LibraryConfig, Path(path))
    _, problem = bed_file(doc.path.parent, config.sound, doc)
    return _checked(config, [*problems, *([problem] if problem else [])])


def load_pose(path: str | PathLike[str]) -> Pose:
    """Load and validate one pose file; raise :class:`RoutineError` with every problem in it."""
    doc, pose, problems = _read_model(Pose, Path(path))
    two_sided = pose.sides == "both"
    for key_path, text in _spoken_texts(pose.model_dump(include=_POSE_SPOKEN), ()):
        problems.extend(_placeholder_problems(text, two_sided, doc, key_path,
                                              "the pose is not two-sided (sides: both)"))
    return _checked(pose, problems)


def _read_model(model: type[M], path: Path) -> tuple[YamlDoc, M, list[Problem]]:
    """Read and validate a file that is one model; raise if it is not even that."""
    problems: list[Problem] = []
    try:
        doc = read_yaml(path)
    except YamlProblems as exc:
        raise RoutineError(exc.problems) from None
    value = _validate(model, doc, problems)
    if value is None:
        raise RoutineError(problems)
    return doc, value, problems


def _checked(value: M, problems: list[Problem]) -> M:
    if problems:
        raise RoutineError(problems)
    return value


_POSE_SPOKEN = {"name", "sanskrit", "enter", "hold_cues", "tips", "checkins", "cautions", "switch",
                "exit", "flow"}
_REF_SPOKEN = {"say", "enter", "hold_cues", "tips", "checkins", "exit", "flow", "transition"}


def _doc_or_stub(path: Path) -> YamlDoc:
    try:
        return read_yaml(path)
    except YamlProblems:
        return YamlDoc(path, None)


def _validate(model: type[M], doc: YamlDoc, problems: list[Problem]) -> M | None:
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
        return doc.problem(loc[:-1], f"missing required key {loc[-1]!r}")
    if kind in ("enum", "literal_error"):
        expected = ctx.get("expected", "")
        options = [o.strip(" '") for o in expected.replace(" or ", ",").split(",") if o.strip()]
        close = difflib.get_close_matches(str(value), options, n=1)
        hint = f"did you mean {close[0]!r}?" if close else None
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
        message = str(ctx.get("error", error["msg"]))
        return doc.problem(loc, message)
    if kind in _EXPECTED:
        expected = _EXPECTED[kind]
        hint = None
        if in_union:
            expected = "text, or a mapping with 'say'"
        if kind in ("int_type", "float_type") and isinstance(value, str):
            hint = "write the number without quotes"
        if kind == "string_type" and isinstance(value, int | float | bool):
            hint = "put the value in quotes to make it text"
        return doc.problem(loc, f"expected {expected}, got {_describe(value)}", hint)
    return doc.problem(loc, str(error["msg"]))


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


def _spoken_texts(data: Any, path: KeyPath) -> Iterator[tuple[KeyPath, str]]:
    """Every string in dumped model data, with its key path."""
    if isinstance(data, str):
        yield path, data
    elif isinstance(data, dict):
        for key, value in data.items():
            if key in ("pause", "alternative"):
                continue
            # {say: ...} mappings dump as dicts; their text is under 'say'.
            yield from _spoken_texts(value, (*path, key))
    elif isinstance(data, list):
        for i, value in enumerate(data):
            yield from _spoken_texts(value, (*path, i))


def _placeholder_problems(text: str, two_sided: bool, doc: YamlDoc, path: KeyPath,
                          why_not: str) -> list[Problem]:
    problems = []
    for name in PLACEHOLDER.findall(text):
        if name in SIDE_PLACEHOLDERS:
            if not two_sided:
                problems.append(doc.problem(path, f"{{{name}}} is used but {why_not}",
                                            "write the side out, or make the pose two-sided"))
        else:
            close = difflib.get_close_matches(name, sorted(SIDE_PLACEHOLDERS), n=1)
            hint = f"did you mean {{{close[0]}}}?" if close else (
                "the placeholders are {side}, {other}, {Side} and {Other}")
            problems.append(doc.problem(path, f"unknown placeholder {{{name}}}", hint))
    return problems


def _check_ref_placeholders(ref: PoseRef, pose: Pose, doc: YamlDoc, where: KeyPath
                            ) -> list[Problem]:
    problems = []
    dumped = ref.model_dump(include=_REF_SPOKEN, exclude_none=True)
    for key_path, text in _spoken_texts(dumped, where):
        problems.extend(_placeholder_problems(text, pose.sides == "both", doc, key_path,
                                              f"pose {ref.pose!r} is not two-sided"))
    return problems


def _check_routine_placeholders(routine: Routine, doc: YamlDoc) -> list[Problem]:
    problems = []
    dumped = routine.model_dump(include={"title", "intro", "outro"})
    for key_path, text in _spoken_texts(dumped, ()):
        problems.extend(_placeholder_problems(text, False, doc, key_path,
                                              "intro, outro and title have no side"))
    return problems


def _in_file_order(problems: list[Problem]) -> list[Problem]:
    """Group problems by file (in order of first mention), then by line."""
    files = list(dict.fromkeys(p.path for p in problems))
    return sorted(problems, key=lambda p: (files.index(p.path), p.line or 0, p.column or 0))


IMAGE_MAGIC = {b"\x89PNG\r\n\x1a\n": "image/png", b"\xff\xd8\xff": "image/jpeg"}
"""Leading bytes of the cover formats podcast apps take, and their MIME types."""


def image_mime(data: bytes) -> str | None:
    """image/png or image/jpeg from a file's first bytes, else None."""
    return next((mime for magic, mime in IMAGE_MAGIC.items() if data.startswith(magic)), None)


def _inside(path: Path, folder: Path) -> bool:
    """Whether ``path``, links followed, lies inside ``folder``."""
    return path.resolve().is_relative_to(folder.resolve())


def safe_slug(name: str) -> str:
    """A file-name-safe slug for a routine: lower case, letters, digits and dashes only.

    Output files are named from it, so nothing in a routine's name can reach outside the
    output folder or clash with a hidden file.
    """
    slug = re.sub(r"[^a-z0-9]+", "-", name.lower()).strip("-")
    return slug[:63] or "routine"


def _library_file(base: Path, name: str, doc: YamlDoc, key: KeyPath, what: str
                  ) -> tuple[Path | None, Problem | None]:
    """A file a routine or library config names: relative to it, inside its folder, existing."""
    candidate = (base / name).resolve()
    if Path(name).is_absolute() or not _inside(candidate, base):
        return None, doc.problem(key, f"{what} {name!r} is outside the routine library",
                                 f"put the file in the library folder and name it relative "
                                 f"to {doc.path.name}")
    if not candidate.is_file():
        return None, doc.problem(key, f"no {what} at {candidate}")
    return candidate, None


def _cover_path(routine_path: Path, name: str, doc: YamlDoc) -> tuple[Path | None, Problem | None]:
    """The cover file a routine names: inside the library folder, an existing PNG or JPEG."""
    candidate, problem = _library_file(routine_path.parent, name, doc, ("cover",), "cover image")
    if candidate is None:
        return None, problem
    with open(candidate, "rb") as handle:
        head = handle.read(8)
    if image_mime(head) is None:
        return None, doc.problem(("cover",), f"cover {name!r} is not a PNG or JPEG image")
    return candidate, None


def bed_file(base: Path, sound: Sound | None, doc: YamlDoc, key: KeyPath = ("sound", "bed")
             ) -> tuple[Path | None, Problem | None]:
    """The bed file a ``sound`` section names (None for rain, ocean, none or no bed)."""
    if sound is None or sound.bed is None or sound.bed in BED_NAMES:
        return None, None
    if Path(sound.bed).suffix.lower() not in AUDIO_SUFFIXES:
        close = difflib.get_close_matches(sound.bed, BED_NAMES, n=1)
        hint = (f"did you mean {close[0]!r}?" if close
                else f"rain, ocean, none, or an audio file ({', '.join(AUDIO_SUFFIXES)})")
        return None, doc.problem(key, f"bed {sound.bed!r} is neither a generated bed nor an "
                                 "audio file", hint)
    return _library_file(base, sound.bed, doc, key, "bed file")


def _quote_list(items: list[str]) -> str:
    quoted = [repr(i) for i in items]
    return quoted[0] if len(quoted) == 1 else ", ".join(quoted[:-1]) + " or " + quoted[-1]


def step_text(step: str | StepSpec) -> str:
    """The spoken text of an entry or exit step."""
    return step if isinstance(step, str) else step.say
