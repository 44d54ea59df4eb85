"""The facts the coaching rules need about a session, taken from its routine and options."""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

from matcast.compiler.options import PACE_FACTOR
from matcast.cues import seconds_to_samples
from matcast.lint.rules import LintContext, PoseFacts
from matcast.routine.enums import CueSounds, Guidance, Level, Pace
from matcast.routine.facts import is_relaxation, props_at
from matcast.routine.loader import LoadedRoutine
from matcast.routine.model import Caution


def context_for(loaded: LoadedRoutine, options: Mapping[str, Any]) -> LintContext:
    """The lint context of ``loaded`` compiled with ``options`` (a cue script's options)."""
    routine = loaded.routine
    level = Level(options.get("level") or Level.all.value)
    factor = PACE_FACTOR[Pace(options.get("pace") or Pace.medium.value)]
    breath = (seconds_to_samples(routine.defaults.breath.inhale * factor)
              + seconds_to_samples(routine.defaults.breath.exhale * factor))
    poses = {
        pose_id: PoseFacts(
            name=pose.name,
            props=frozenset(props_at(pose, level)),
            relaxation=is_relaxation(pose, routine.defaults.breath_cues),
            inversion=pose.inversion,
            alternative_cautions=tuple(c.say for c in pose.cautions
                                       if isinstance(c, Caution) and c.alternative),
        )
        for pose_id, pose in loaded.poses.items()
    }
    return LintContext(
        poses=poses,
        breath=breath,
        guidance=Guidance(options.get("guidance") or Guidance.full.value),
        cues=CueSounds(options.get("cues") or CueSounds.voice_and_chimes.value),
        level=level,
        gentle_published=any(v.level is Level.gentle for v in routine.variants),
    )
