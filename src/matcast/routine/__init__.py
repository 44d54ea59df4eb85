"""Routine and pose files: the model, the strict loader, and the JSON Schema."""

from matcast.routine.loader import LoadedRoutine, load_pose, load_routine
from matcast.routine.model import Level, Pace, Pose, PoseRef, Routine, Style

__all__ = [
    "Level",
    "LoadedRoutine",
    "Pace",
    "Pose",
    "PoseRef",
    "Routine",
    "Style",
    "load_pose",
    "load_routine",
]
