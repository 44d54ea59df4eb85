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
    arrive,
    draw,
    focus_rounds,
    order,
    pick,
    relaxation,
    rounds,
)
from matcast.compose.catalog import Card, Catalog, load_catalog
from matcast.compose.script import SHORT_CLASS, header, routine_data
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
ATTEMPTS = 16
"""Tries at the number of poses before giving up on a length."""
BEST = (0.75, 1.6)
"""Target length over the class's length as written: inside this, the holds end up near what
they were written as."""
FLOW_HIGH = 2.5
"""A flow may stretch further: each movement then takes two or three breaths."""
FOCUS_SHARE = 0.55
"""The focus poses' least share of the hold time (the promise is half; a little over keeps the
speech estimate's error from ever taking it under)."""
MAX_RELAX = 0.3
"""The final relaxation's largest share of a class (it may take the time focus poses cannot)."""
MAX_STRETCH = 8.0
"""Most a hold class stretches its written breaths (each pose's max_breaths still caps them)."""
MAX_ROUNDS = 10
"""Most rounds of a flow's first group."""
MAX_AGAIN = 5
"""Most extra rounds of the focus poses, when a few focus poses cannot fill half of a long
class at their most breaths."""


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
             library_shown: str, episode: str | None = None) -> str:
        """The routine file: a comment header, then YAML. ``episode`` names the library entry
        it was composed for, if any."""
        import yaml

        from matcast import __version__

        head = header(self.wishes, list(self.slots), self.relax, list(self.left_out),
                      library_shown, len(catalog.poses), __version__, file_shown, episode)
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


def _a(word: str) -> str:
    """``after-run`` -> ``an after-run``."""
    return f"{'an' if word[0] in 'aeiou' else 'a'} {word}"


def _steps(catalog: Catalog) -> dict[str, int]:
    return {pid: len(pose.enter) + len(pose.exit) for pid, pose in catalog.poses.items()}


def compose(catalog: Catalog, wishes: Wishes) -> Composition:
    """Compose the class ``wishes`` ask for from ``catalog``; UsageError when the library
    cannot give it (no pose for a focus area once --avoid is applied, say)."""
    conditions, avoided = catalog.resolve_avoid(wishes.avoid)
    if wishes.focus:
        from matcast.compose.wishes import check_focus

        check_focus(wishes.focus, catalog.focus_areas(), catalog.vocabulary())
    cards = sorted(catalog.cards.values(), key=lambda c: c.id)
    pool = [c for c in cards if allowed(c, wishes, conditions, avoided)]
    left_out = tuple(c.id for c in cards if c.id in avoided or c.contraindications & conditions)
    focus = set(wishes.focus)
    if focus and not any(c.targets & focus for c in pool):
        raise UsageError(
            f"no pose of {catalog.library} that {_a(wishes.purpose.value)} class at level "
            f"{wishes.level.value} may use targets {', '.join(wishes.focus)}"
            + (f" once --avoid {','.join(wishes.avoid)} is applied" if wishes.avoid else "")
            + "\n    hint: choose other focus areas, another --for or --level, or avoid less")
    if len(pool) < 2:
        raise UsageError(f"only {len(pool)} pose(s) of {catalog.library} suit this class; "
                         "a class needs at least two\n    hint: avoid less, or choose another "
                         "--for or --level")
    draft = _Draft(catalog, wishes, pool, conditions, avoided)
    for _ in range(ATTEMPTS):
        before = draft.state()
        verdict = draft.attempt()
        if verdict is None and draft.state() == before:
            break  # nothing left to change: the next try would be this one again
        if verdict is not None:
            return Composition(wishes, tuple(draft.slots), draft.relax, draft.relax_minutes,
                               tuple(sorted(conditions)), left_out, verdict,
                               draft.share(verdict))
    if draft.fallback is not None:
        slots, relax, relax_minutes, timing = draft.fallback
        draft.slots, draft.relax = slots, relax
        return Composition(wishes, tuple(slots), relax, relax_minutes,
                           tuple(sorted(conditions)), left_out, timing, draft.share(timing))
    focus_poses = sorted(c.id for c in pool if c.targets & focus)
    why = (f"the {len(pool)} poses {_a(wishes.purpose.value)} class at level "
           f"{wishes.level.value} may use"
           f"{' with --avoid ' + ','.join(wishes.avoid) if wishes.avoid else ''}")
    if focus and draft.short:
        why += (f", of which {len(focus_poses)} target {', '.join(wishes.focus)} "
                f"({', '.join(focus_poses)}), cannot give those areas half of "
                f"{wishes.minutes:g} minutes")
        hint = "add focus areas, or choose a shorter class"
    else:
        why += f" cannot be fitted to {wishes.minutes:g} minutes"
        hint = "choose a shorter class, avoid less, or another --for or --level"
    raise UsageError(f"no class could be composed: {why}\n    hint: {hint}")


class _Draft:
    """A class being composed: what to change when a try misses the length, the relaxation's
    share or the focus share."""

    def __init__(self, catalog: Catalog, wishes: Wishes, pool: list[Card],
                 conditions: frozenset[str], avoided: frozenset[str]) -> None:
        self.catalog, self.wishes, self.pool = catalog, wishes, pool
        self.conditions, self.avoided = conditions, avoided
        self.target = wishes.minutes * 60
        self.budget = max(30.0, self.target * (1 - RELAX_SHARE) - 100.0)
        self.stretch = 1.0
        """Written breaths times this, when the pool runs out before the length."""
        self.boost = 1.0
        """Focus poses' written breaths times this, while they hold too little of the time."""
        self.rounds = 1
        self.again = 0
        """Extra rounds of the focus poses (see :func:`~matcast.compose.arc.focus_rounds`)."""
        self.dropped = 0
        """Off-focus poses a flow leaves out, while the focus holds too little of the time."""
        self.relax_minutes = max(0.75, RELAX_SHARE * wishes.minutes)
        self.options = CompileOptions(style=wishes.chosen_style, level=wishes.level)
        self.steps = {pid: len(p.enter) + len(p.exit) for pid, p in catalog.poses.items()}
        self.rank = {c.id: i for i, c in enumerate(draw(pool, wishes,
                                                         random.Random(wishes.seed)))}
        self.slots: list[Slot] = []
        self.relax: Card = pool[0]
        self.exhausted = False
        self.short = False
        """The last try was too short with every pose it may use."""
        self.fallback: tuple[list[Slot], Card, float, Planned] | None = None
        """The first try that passed with the focus at half of the hold time, short of the
        margin."""

    def build(self) -> None:
        wishes = self.wishes
        chosen, self.exhausted = pick(self.pool, wishes, random.Random(wishes.seed),
                                      self.budget, self.steps)
        taken = {s.card for s in chosen}
        spare = [c for c in sorted(self.pool, key=lambda c: self.rank[c.id]) if c not in taken]
        slots = add_counters(order(chosen, self.rank), spare, wishes)
        if wishes.minutes >= SHORT_CLASS:
            slots = arrive(slots, spare, wishes)
        for _ in range(self.dropped):
            slots = _without_one_off_focus(slots)
        slots = [replace(s, breaths=_scaled(s, self.stretch * (self.boost if s.focus else 1)))
                 for s in slots]
        self.slots = focus_rounds(rounds(slots, self.rounds), self.again,
                                  wishes.chosen_style is Style.flow)
        self.relax = relaxation(self.catalog, wishes, self.conditions, self.avoided,
                                random.Random(wishes.seed), self.slots[-1].card)

    def loaded(self, with_length: bool) -> LoadedRoutine:
        data = routine_data(self.wishes, self.slots, self.relax, self.relax_minutes,
                            sorted(self.conditions), None, with_length)
        return _loaded(self.catalog, data, self.wishes.slug())

    def share(self, timing: Planned) -> float:
        focus_ids = {s.card.id for s in self.slots if s.focus}
        return _share(timing.held, focus_ids, self.relax.id) if self.wishes.focus else 1.0

    def attempt(self) -> Planned | None:
        """Build and time the draft: its timing when it passes, else None (and the draft
        changed for the next try)."""
        self.build()
        flow = self.wishes.chosen_style is Style.flow
        natural = planned(self.loaded(False), self.options).samples / SAMPLE_RATE
        ratio = self.target / natural
        high = FLOW_HIGH if flow else BEST[1]
        if ratio < BEST[0]:
            self.short = False
            self.budget = max(20.0, self.budget - 1.1 * (natural - self.target))
            return None
        if ratio > high:
            self._longer(natural, ratio)
            return None
        try:
            timing: Planned | None = planned(self.loaded(True), self.options)
        except UsageError:
            timing = None
        if timing is None or not self._fits(timing):
            # Within reach as written, yet not fitted closely, or the relaxation squeezed or
            # swollen: the speech around the poses or the poses' breath limits are in the way.
            if natural > self.target * 0.9:
                self.short = False
                self.budget = max(20.0, self.budget * 0.85)
            else:
                self._longer(natural, 1.2)
            return None
        share = self.share(timing)
        if share >= FOCUS_SHARE:
            return timing
        if share >= 0.5 and self.fallback is None:
            # Half is the promise: kept, in case no try reaches the margin above it.
            self.fallback = (list(self.slots), self.relax, self.relax_minutes, timing)
        if not flow and self.saturated(timing) and (
                self.relax_minutes < MAX_RELAX * self.wishes.minutes):
            # The focus poses are at their most breaths: a longer final relaxation takes the
            # time the off-focus poses would.
            self.relax_minutes = min(MAX_RELAX * self.wishes.minutes, self.relax_minutes * 1.4)
        elif (flow or self.saturated(timing)) and self._again(1.0):
            # Every focus pose is in the class and holds all it may: another round of them.
            pass
        elif flow or self.saturated(timing):
            # A flow gives every movement one breath, and a short class squeezes every hold to
            # its least: there, only fewer off-focus poses move the share.
            self.dropped += 1
        else:
            # What the focus poses need to hold 60%, from what they hold now.
            self.boost *= min(3.0, max(1.3, 0.6 / 0.4 * (1 - share) / max(share, 0.05)))
        return None

    def _fits(self, timing: Planned) -> bool:
        """Within 0.8% of the length, and a final relaxation of 10.5% to MAX_RELAX of it."""
        relax = timing.held.get(self.relax.id, 0) / timing.samples
        return (abs(timing.samples / SAMPLE_RATE - self.target) <= 0.008 * self.target
                and 0.105 <= relax <= MAX_RELAX + 0.05)

    def saturated(self, timing: Planned) -> bool:
        """Whether the focus poses already hold all the breaths they may, or boosting failed."""
        return self.boost > 8 or all(
            s.breaths is None or s.breaths >= (s.card.max_breaths or 60)
            for s in self.slots if s.focus)

    def state(self) -> tuple[object, ...]:
        """Everything a try changes for the next one."""
        return (self.budget, self.stretch, self.boost, self.again, self.dropped,
                self.relax_minutes, self.rounds)

    def _again(self, ratio: float) -> bool:
        """Another round of the focus poses, when one can be added (as many as a class
        ``ratio`` times too short needs at once); False when there is none to add."""
        if self.again >= MAX_AGAIN or (self.again and not any(s.again for s in self.slots)):
            return False
        self.again = min(MAX_AGAIN, self.again + max(1, math.ceil(ratio - 1.0)))
        return True

    def _longer(self, natural: float, ratio: float) -> None:
        flow = self.wishes.chosen_style is Style.flow
        self.short = self.exhausted
        if not self.exhausted:
            self.budget += self.target - natural
        elif self.wishes.focus and self._again(ratio / (FLOW_HIGH if flow else BEST[1])):
            # Every pose is in, and still short: the focus poses again, rather than every
            # pose held longer (which would give the focus areas no more of the time).
            pass
        elif self.wishes.chosen_style is Style.flow:
            self.rounds = min(MAX_ROUNDS, self.rounds + max(1, math.ceil(
                self.rounds * (ratio / FLOW_HIGH - 1))))
        else:
            self.stretch = min(MAX_STRETCH, self.stretch * min(2.0, ratio / 1.3))


def _scaled(slot: Slot, factor: float) -> int | None:
    if slot.breaths is None or factor == 1.0:
        return slot.breaths
    return min(slot.card.max_breaths or 60, max(1, round(slot.breaths * factor)))


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
    # Beside or one folder up reads well and survives moving both; further, the full path.
    return relative if relative.count("..") <= 1 else str(library.resolve())
