"""Loading routine and pose files: YAML -> validated models, every problem located and reported.

A routine is loaded with every pose it can use (its sequence, the level variations and the gentler
alternatives of cautions), so that compiling never touches the file system. All problems of a file
(and of the pose files it uses) are collected and raised together as one :class:`RoutineError`.
"""

from __future__ import annotations

import difflib
import re
from collections.abc import Iterator, Mapping
from dataclasses import dataclass
from os import PathLike
from pathlib import Path
from typing import Any, TypeVar

from pydantic import BaseModel

from matcast.errors import Problem, RoutineError
from matcast.routine.chain import position_problems
from matcast.routine.facts import is_relaxation
from matcast.routine.fields import SIDE_PLACEHOLDERS, SLUG_PATTERN
from matcast.routine.files import (  # noqa: F401  (re-exported: build, choices, publish)
    AUDIO_SUFFIXES,
    IMAGE_MAGIC,
    bed_file,
    cover_path,
    file_link,
    image_file,
    image_mime,
    inside,
    library_link,
    poses_link,
)
from matcast.routine.library_config import LibraryConfig
from matcast.routine.model import (
    PLACEHOLDER,
    Caution,
    Pose,
    PoseRef,
    Routine,
    StepSpec,
)
from matcast.routine.paths import LIBRARY_CONFIG, routine_paths
from matcast.routine.problems import validate_model
from matcast.routine.variants import variant_problems
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
    links = [library_link(path.parent), file_link(path, path.parent, "routine file")]
    if any(links):
        raise RoutineError([p for p in links if p is not None])
    try:
        doc = read_yaml(path)
    except YamlProblems as exc:
        raise RoutineError(exc.problems) from None
    routine = validate_model(Routine, doc, problems)
    library = _library_of(path, doc, problems)
    poses_dir = library / POSES_DIR
    poses_out = poses_link(library)
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
        if pose_path.is_file() and not inside(pose_path, library):
            # A symlink may point anywhere: a routine only ever reads inside its library.
            what = (f"is in {poses_dir}, a link to {poses_dir.resolve()}" if poses_out
                    else f"is a link to {pose_path.resolve()}")
            problems.append(origin.problem(
                where, f"pose {pose_id!r} {what}, outside the routine library",
                "copy the pose file into the library instead"))
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
        last = i == len(routine.sequence) - 1
        if (last and pose is not None and is_relaxation(pose, routine.defaults.breath_cues)
                and (ref.optional or ref.priority is not None)):
            key = "optional" if ref.optional else "priority"
            problems.append(doc.problem(
                ("sequence", i, key), "the final relaxation is never left out of a session",
                f"remove '{key}' here; mark the poses a shorter session may leave out"))
    problems.extend(_check_routine_placeholders(routine, doc))
    problems.extend(variant_problems(routine, doc))
    cover = None
    if routine.cover is not None:
        cover, problem = cover_path(path, routine.cover, doc)
        if problem is not None:
            problems.append(problem)
    bed, problem = bed_file(path.parent, routine.sound, doc)
    if problem is not None:
        problems.append(problem)
    config = None
    config_path = library / LIBRARY_CONFIG
    if config_path.is_file():
        try:
            config = load_library_config(config_path)
        except RoutineError as exc:
            problems.extend(exc.problems)
    if problems:
        raise RoutineError(_in_file_order(problems))
    return LoadedRoutine(safe_slug(path.stem), path, routine, poses, pose_paths, cover, bed,
                         config)


def _library_of(path: Path, doc: YamlDoc, problems: list[Problem]) -> Path:
    """The library a routine uses: the folder its ``library`` key names (relative to the file),
    else the file's own folder."""
    named = doc.data.get("library") if isinstance(doc.data, dict) else None
    if not isinstance(named, str) or not named:
        return path.parent
    folder = path.parent / named
    if not folder.is_dir():
        problems.append(doc.problem(
            ("library",), f"no routine library at {folder}",
            "name the folder that holds poses/ (and library.yaml), relative to this file"))
        return path.parent
    link = library_link(folder)
    if link is not None:
        problems.append(link)
    return folder


def load_library_config(path: str | PathLike[str]) -> LibraryConfig:
    """Load and validate a library's ``library.yaml``; RoutineError with every problem."""
    path = Path(path)
    link = file_link(path, path.parent, "library config")
    if link is not None:
        raise RoutineError([link])
    doc, config, problems = _read_model(LibraryConfig, path)
    _, problem = bed_file(doc.path.parent, config.sound, doc)
    problems += [problem] if problem else []
    if config.image is not None:
        _, problem = image_file(path.parent, config.image, doc, ("image",), "show image")
        problems += [problem] if problem else []
    return _checked(config, [*problems, *_order_problems(config.order, doc)])


def _order_problems(order: list[str], doc: YamlDoc) -> list[Problem]:
    """``order`` must name routines of the library (beside library.yaml), each once."""
    known = [p.stem for p in routine_paths(doc.path.parent)]
    problems = []
    seen: set[str] = set()
    for i, name in enumerate(order):
        if name in seen:
            problems.append(doc.problem(("order", i), f"{name!r} is listed twice",
                                        "list each routine once"))
        elif name not in known:
            close = difflib.get_close_matches(name, known, n=3)
            problems.append(doc.problem(
                ("order", i), f"no routine named {name!r} in {doc.path.parent}",
                f"did you mean {_quote_list(close)}?" if close
                else "name routine files without .yaml, e.g. post-run"))
        seen.add(name)
    return problems


def load_pose(path: str | PathLike[str]) -> Pose:
    """Load and validate one pose file; raise :class:`RoutineError` with every problem in it."""
    doc, pose, problems = _read_model(Pose, Path(path))
    two_sided = pose.sides == "both"
    for key_path, text in _spoken_texts(pose.model_dump(include=_POSE_SPOKEN), ()):
        problems.extend(_placeholder_problems(text, two_sided, doc, key_path,
                                              "the pose is not two-sided (sides: both)"))
    problems.extend(position_problems(pose, doc))
    return _checked(pose, problems)


def _read_model(model: type[M], path: Path) -> tuple[YamlDoc, M, list[Problem]]:
    """Read and validate a file that is one model; raise if it is not even that."""
    problems: list[Problem] = []
    try:
        doc = read_yaml(path)
    except YamlProblems as exc:
        raise RoutineError(exc.problems) from None
    value = validate_model(model, doc, problems)
    if value is None:
        raise RoutineError(problems)
    return doc, value, problems


def _checked(value: M, problems: list[Problem]) -> M:
    if problems:
        raise RoutineError(problems)
    return value


_POSE_SPOKEN = {"name", "sanskrit", "enter", "hold_cues", "tips", "checkins", "cautions", "switch",
                "exit", "flow", "lead", "release", "levels"}
_REF_SPOKEN = {"say", "enter", "hold_cues", "tips", "checkins", "exit", "flow", "transition"}


def _doc_or_stub(path: Path) -> YamlDoc:
    try:
        return read_yaml(path)
    except YamlProblems:
        return YamlDoc(path, None)


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


def safe_slug(name: str) -> str:
    """A file-name-safe slug for a routine: lower case, letters, digits and dashes only.

    Output files are named from it, so nothing in a routine's name can reach outside the
    output folder or clash with a hidden file.
    """
    slug = re.sub(r"[^a-z0-9]+", "-", name.lower()).strip("-")
    return slug[:63] or "routine"


def _quote_list(items: list[str]) -> str:
    quoted = [repr(i) for i in items]
    return quoted[0] if len(quoted) == 1 else ", ".join(quoted[:-1]) + " or " + quoted[-1]


def step_text(step: str | StepSpec) -> str:
    """The spoken text of an entry or exit step."""
    return step if isinstance(step, str) else step.say
