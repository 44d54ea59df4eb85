"""Composing a new class from a few wishes (length, focus, level, purpose, what to avoid, style,
seed) out of a pose library that knows its poses.

:func:`compose` draws and orders the poses (:mod:`~matcast.compose.arc`), writes them as an
ordinary routine (:mod:`~matcast.compose.script`), and times it with the compiler: the number of
poses is adjusted until the fitter can meet the length with holds near their written length,
then the class is compiled at the exact length to check it. The same wishes and library give the
same class; another seed gives another.
"""

from __future__ import annotations

import math
import random
from collections.abc import Mapping
from dataclasses import dataclass, replace
from pathlib import Path
from typing import Any

from matcast.compiler import CompileOptions, Planned, planned
from matcast.compose.arc import (
    Slot,
    add_counters,
    allowed,
    draw,
    order,
    pick,
    relaxation,
    rounds,
)
from matcast.compose.catalog import Card, Catalog, load_catalog
from matcast.compose.script import header, routine_data
from matcast.compose.wishes import Purpose, Wishes
from matcast.cues import SAMPLE_RATE, CueScript
from matcast.errors import UsageError
from matcast.routine.enums import Style
from matcast.routine.loader import LoadedRoutine
from matcast.routine.model import Routine

__all__ = ["Catalog", "Composition", "Purpose", "Wishes", "compose", "focus_share",
           "load_catalog"]

RELAX_SHARE = 0.13
"""The final relaxation's written share of the class (the fitter keeps at least 10%)."""
ATTEMPTS = 6
"""Tries at the number of poses before giving up on a length."""
BEST = (0.75, 1.6)
"""Target length over the class's length as written: inside this, the holds end up near what
they were written as."""
FLOW_HIGH = 2.5
"""A flow may stretch further: each movement then takes two or three breaths."""
MAX_ROUNDS = 10
"""Most rounds of a flow's first group."""


@dataclass(frozen=True)
class Composition:
    """A composed class: the routine, how it came about, and how it measures."""

    wishes: Wishes
    slots: tuple[Slot, ...]
    relax: Card
    relax_minutes: float
    conditions: tuple[str, ...]
    left_out: tuple[str, ...]
    """Poses --avoid ruled out, by id."""
    timing: Planned
    """The class's length and holds, fitted by the compiler (estimated speech)."""
    focus_share: float
    """Share of the hold time (final relaxation aside) in poses that target a focus area."""

    def data(self, library: str | None = None) -> dict[str, Any]:
        return routine_data(self.wishes, list(self.slots), self.relax, self.relax_minutes,
                            list(self.conditions), library)

    def text(self, catalog: Catalog, library: str | None, file_shown: str,
             library_shown: str) -> str:
        """The routine file: a comment header, then YAML."""
        import yaml

        from matcast import __version__

        head = header(self.wishes, list(self.slots), self.relax, list(self.left_out),
                      library_shown, len(catalog.poses), __version__, file_shown)
        body = yaml.safe_dump(self.data(library), sort_keys=False, allow_unicode=True,
                              width=96, default_flow_style=False)
        return head + body


def focus_share(script: CueScript, focus_poses: set[str], relax: str) -> float:
    """Share of the hold time of a compiled class, the final relaxation aside, spent in
    ``focus_poses``."""
    held: dict[str, int] = {}
    for event in script.events:
        if event.hold and event.pose is not None:
            held[event.pose] = held.get(event.pose, 0) + event.length
    return _share(held, focus_poses, relax)


def _share(held: Mapping[str, int], focus_poses: set[str], relax: str) -> float:
    total = sum(n for pose, n in held.items() if pose != relax)
    focus = sum(n for pose, n in held.items() if pose in focus_poses and pose != relax)
    return focus / total if total else 0.0


def _loaded(catalog: Catalog, data: dict[str, Any], slug: str) -> LoadedRoutine:
    routine = Routine.model_validate(data)
    used = {ref.pose for ref in routine.sequence}
    poses = {pid: catalog.poses[pid] for pid in used}
    paths = {pid: catalog.paths[pid] for pid in used}
    return LoadedRoutine(slug, catalog.library / f"{slug}.yaml", routine, poses, paths)


def _steps(catalog: Catalog) -> dict[str, int]:
    return {pid: len(pose.enter) + len(pose.exit) for pid, pose in catalog.poses.items()}


def compose(catalog: Catalog, wishes: Wishes) -> Composition:
    """Compose the class ``wishes`` ask for from ``catalog``; UsageError when the library
    cannot give it (no pose for a focus area once --avoid is applied, say)."""
    conditions, avoided = catalog.resolve_avoid(wishes.avoid)
    if wishes.focus:
        from matcast.compose.wishes import check_focus

        check_focus(wishes.focus, catalog.vocabulary())
    cards = sorted(catalog.cards.values(), key=lambda c: c.id)
    pool = [c for c in cards if allowed(c, wishes, conditions, avoided)]
    left_out = tuple(c.id for c in cards if c.id in avoided or c.contraindications & conditions)
    focus = set(wishes.focus)
    if focus and not any(c.targets & focus for c in pool):
        raise UsageError(
            f"no pose of {catalog.library} that a {wishes.purpose.value} class at level "
            f"{wishes.level.value} may use targets {', '.join(wishes.focus)}"
            + (f" once --avoid {','.join(wishes.avoid)} is applied" if wishes.avoid else "")
            + "\n    hint: choose other focus areas, another --for or --level, or avoid less")
    if len(pool) < 2:
        raise UsageError(f"only {len(pool)} pose(s) of {catalog.library} suit this class; "
                         "a class needs at least two\n    hint: avoid less, or choose another "
                         "--for or --level")
    target = wishes.minutes * 60
    relax = relaxation(catalog, wishes, conditions, avoided, random.Random(wishes.seed))
    relax_minutes = max(0.75, RELAX_SHARE * wishes.minutes)
    steps = _steps(catalog)
    options = CompileOptions(style=wishes.chosen_style, level=wishes.level)
    budget = max(30.0, target * (1 - RELAX_SHARE) - 100.0)
    slots: list[Slot] = []
    for _ in range(ATTEMPTS):
        rng = random.Random(wishes.seed)
        rank = {c.id: i for i, c in enumerate(draw(pool, wishes, random.Random(wishes.seed)))}
        chosen, exhausted = pick(pool, wishes, rng, budget, steps)
        spare = [c for c in sorted(pool, key=lambda c: rank[c.id])
                 if c not in {s.card for s in chosen}]
        slots = add_counters(order(chosen, rank), spare, wishes)
        data = routine_data(wishes, slots, relax, relax_minutes, [], None, with_length=False)
        loaded = _loaded(catalog, data, wishes.slug())
        natural = planned(loaded, options).samples / SAMPLE_RATE
        ratio = target / natural
        high = BEST[1] if wishes.chosen_style is Style.hold else FLOW_HIGH
        if BEST[0] <= ratio <= high:
            if _reaches(loaded, options, wishes.minutes):
                break
            # Within reach as written, but not fitted: the relaxation's floor or the poses'
            # own least and most breaths are in the way.
            ratio = 0.85 if natural > target * 0.85 else 1.2
            budget = max(20.0, budget * ratio)
            continue
        if ratio > high and exhausted:
            if wishes.chosen_style is Style.flow:
                slots = _with_rounds(catalog, wishes, slots, relax, relax_minutes, options,
                                     natural)
            break
        budget = max(20.0, budget + (target - natural))
    return _finish(catalog, wishes, slots, relax, relax_minutes, tuple(sorted(conditions)),
                   left_out, options)


def _reaches(loaded: LoadedRoutine, options: CompileOptions, minutes: float) -> bool:
    try:
        planned(loaded, replace(options, minutes=minutes))
    except UsageError:
        return False
    return True


def _with_rounds(catalog: Catalog, wishes: Wishes, slots: list[Slot], relax: Card,
                 relax_minutes: float, options: CompileOptions, natural: float) -> list[Slot]:
    """A flow that is short even with every pose it may use: its first group in rounds, as
    many as bring the class within reach of its length."""
    trial = rounds(slots, 2)
    data = routine_data(wishes, trial, relax, relax_minutes, [], None, with_length=False)
    twice = planned(_loaded(catalog, data, wishes.slug()), options).samples / SAMPLE_RATE
    per_round = max(1.0, twice - natural)
    wanted = wishes.minutes * 60 / (FLOW_HIGH * 0.8)
    count = min(MAX_ROUNDS, max(2, 1 + math.ceil((wanted - natural) / per_round)))
    return rounds(slots, count)


def _finish(catalog: Catalog, wishes: Wishes, slots: list[Slot], relax: Card,
            relax_minutes: float, conditions: tuple[str, ...], left_out: tuple[str, ...],
            options: CompileOptions) -> Composition:
    """Fit to the exact length; give the focus poses more breaths while they hold less than half
    the time."""
    focus_ids = {s.card.id for s in slots if s.focus}
    for _ in range(8):
        data = routine_data(wishes, slots, relax, relax_minutes, list(conditions), None)
        loaded = _loaded(catalog, data, wishes.slug())
        try:
            timing = planned(loaded, replace(options, minutes=wishes.minutes))
        except UsageError as exc:
            raise UsageError(f"the composed class cannot be fitted to {wishes.minutes:g} "
                             f"minutes with the poses this library allows it ({exc})\n    hint: "
                             "avoid less, or choose another length or --for") from None
        share = _share(timing.held, focus_ids, relax.id) if wishes.focus else 1.0
        if share >= 0.5:
            break
        if wishes.chosen_style is Style.flow:
            # Every movement is one breath: only fewer off-focus poses move the share.
            slots = _without_one_off_focus(slots)
            continue
        slots = [replace(s, breaths=min(s.card.max_breaths or 60, round(s.breaths * 1.5)))
                 if s.focus and s.breaths is not None else s for s in slots]
    return Composition(wishes, tuple(slots), relax, relax_minutes, conditions, left_out,
                       timing, share)


def _without_one_off_focus(slots: list[Slot]) -> list[Slot]:
    """The class without its last off-focus pose that no twist or backbend leans on."""
    for i in range(len(slots) - 1, -1, -1):
        slot = slots[i]
        countering = i > 0 and slots[i - 1].card.needs_counter
        if not slot.focus and not countering and not slot.card.needs_counter:
            return [s for s in slots if s.card.id != slot.card.id]
    return slots


def library_ref(output: Path, library: Path) -> str | None:
    """What a routine saved at ``output`` writes as its ``library`` (None when the file sits in
    the library itself)."""
    import os

    folder = output.resolve().parent
    if folder == library.resolve():
        return None
    relative = os.path.relpath(library.resolve(), folder)
    # Up a folder or two reads well and survives moving both; further up, the full path.
    return relative if relative.count("..") <= 2 else str(library.resolve())
