"""A pose file checked on its own: the sessions of a routine that is that pose alone.

``matcast lint routines/poses/pigeon.yaml`` (or the whole ``poses/`` folder) compiles the pose as
a one-pose session in hold and flow style, at levels all, beginner and advanced, and at level
gentle when a caution points to a gentler alternative (which is loaded from the same folder), so
that a pose is checked before any routine uses it.
"""

from __future__ import annotations

from pathlib import Path

from matcast.compiler import CompileOptions
from matcast.errors import RoutineError
from matcast.lint.sessions import Session, describe
from matcast.routine.enums import Level, Style
from matcast.routine.loader import POSES_DIR, LoadedRoutine, load_pose, safe_slug
from matcast.routine.model import Caution, Pose, Routine


def is_pose_path(path: Path) -> bool:
    """A pose file (in a ``poses/`` folder) or a ``poses/`` folder itself."""
    return path.name == POSES_DIR if path.is_dir() else path.parent.name == POSES_DIR


def pose_files(path: Path) -> list[Path]:
    return sorted(path.glob("*.yaml")) if path.is_dir() else [path]


def alone(path: Path) -> LoadedRoutine:
    """The pose at ``path`` as a routine of its own; RoutineError for a broken pose file (or
    a broken or missing alternative)."""
    pose_id = path.stem
    poses: dict[str, Pose] = {pose_id: load_pose(path)}
    paths = {pose_id: path}
    alternatives = [c.alternative for c in poses[pose_id].cautions
                    if isinstance(c, Caution) and c.alternative]
    for alternative in alternatives:
        alt_path = path.parent / f"{alternative}.yaml"
        if not alt_path.is_file():
            from matcast.errors import Problem

            raise RoutineError([Problem(path, None, None, "",
                                        f"the alternative pose {alternative!r} has no file "
                                        f"{alt_path}")])
        poses[alternative] = load_pose(alt_path)
        paths[alternative] = alt_path
    variants = [{}, {"level": "gentle"}] if alternatives else []
    routine = Routine.model_validate({"title": poses[pose_id].name,
                                      "sequence": [{"pose": pose_id}], "variants": variants})
    return LoadedRoutine(safe_slug(f"pose-{pose_id}"), path, routine, poses, paths)


def pose_sessions(loaded: LoadedRoutine) -> list[Session]:
    """Hold and flow at level all; hold at beginner and advanced; gentle when it has one."""
    levels = [Level.all, Level.beginner, Level.advanced]
    if loaded.routine.variants:
        levels.append(Level.gentle)
    options = [CompileOptions(style=Style.flow)] + [
        CompileOptions(style=Style.hold, level=level) for level in levels]
    return [Session(loaded, o, describe(o, loaded)) for o in options]
