"""Choosing and ordering the poses of a composed class.

Which poses: those the wishes allow (nothing --avoid rules out, nothing above the level's
intensity, nothing the purpose does not want), drawn by the seed with the focus areas weighted
up. In what order: down the tiers of :data:`~matcast.compose.catalog.TIER` only (standing,
kneeling, lying on the front, sitting, lying on the back: the class never climbs back up),
gentle poses first and the strongest in the middle, easing off in the last group; every twist
and deep backbend followed by a counter-pose; a final relaxation last.
"""

from __future__ import annotations

import math
import random
from collections.abc import Sequence
from dataclasses import dataclass

from matcast.compose.catalog import Card, Catalog
from matcast.compose.wishes import Purpose, Wishes
from matcast.errors import UsageError
from matcast.routine.enums import Level, Style

LEVEL_CAP: dict[Level, int] = {Level.gentle: 2, Level.beginner: 3, Level.all: 4,
                               Level.advanced: 5}
"""The strongest pose (intensity) each level is given."""

LOWER_BODY = frozenset({"hamstrings", "calves", "hip-flexors", "glutes", "it-band", "quads",
                        "inner-thighs", "feet", "ankles", "hips"})
"""What running works hardest: an after-run or before-run class leans towards it."""


FAVOURED: dict[Purpose, frozenset[str]] = {
    Purpose.after_run: frozenset({"forward-fold", "lunge", "hip-opener"}),
    Purpose.before_run: frozenset({"standing", "lunge", "warm-up", "balance"}),
    Purpose.recovery: frozenset({"restorative", "forward-fold", "hip-opener", "twist"}),
    Purpose.bedtime: frozenset({"restorative", "forward-fold", "hip-opener", "twist"}),
}
"""Pose families each purpose draws more often."""
OPENING = {"centering": 0, "warm-up": 1}
"""Families that open a group of poses: arriving, then waking the body up."""


@dataclass(frozen=True)
class Slot:
    """One pose of the class, with its hold."""

    card: Card
    breaths: int | None
    """Breaths per side (None: the pose's own clock hold)."""
    focus: bool
    repeat: int = 0
    """0 for a pose's first appearance; 1, 2, ... for a flow's later rounds."""
    again: bool = False
    """A focus pose's second (third, ...) round, done where its group of poses ends."""


def allowed(card: Card, wishes: Wishes, conditions: frozenset[str], poses: frozenset[str]
            ) -> bool:
    """Whether the wishes allow ``card`` in the main part of the class."""
    if card.id in poses or card.contraindications & conditions:
        return False
    if card.intensity > LEVEL_CAP[wishes.level] or card.rises or card.by_clock:
        return False
    if card.relaxation or card.has_alternative or card.names_undeclared_prop:
        # A pose with a gentler version for some listeners is used only where that version is
        # published beside it; a composed class is one episode.
        return False
    if card.inversion and wishes.level is Level.gentle:
        return False
    if wishes.chosen_style is Style.flow and card.two_sided and not card.lead_names_side:
        # A flow names each side in the pose's lead ("right foot forward"); a lead that names
        # only the other foot leaves the listener unsure which side comes first.
        return False
    held = card.tiers[1]
    match wishes.purpose:
        case Purpose.before_run:
            return held <= 1 and card.tiers[2] <= 1
        case Purpose.bedtime:
            return held >= 1 and card.intensity <= 3
        case Purpose.recovery:
            return card.intensity <= 3
        case Purpose.after_run:
            return True


def relaxation(catalog: Catalog, wishes: Wishes, conditions: frozenset[str],
               poses: frozenset[str], rng: random.Random, after: Card | None = None) -> Card:
    """The final relaxation: a relaxation pose held lying on the back that --avoid allows, and
    that starts no higher than where the pose ``after`` leaves the body."""
    found = sorted(
        (c for c in catalog.cards.values()
         if c.relaxation and c.span.held.value == "supine" and not c.has_alternative
         and c.id not in poses and not c.contraindications & conditions
         and (after is None or c.tiers[0] >= after.tiers[2])),
        key=lambda c: c.id)
    if not found:
        raise UsageError(f"no class could be composed: the pose library {catalog.library} "
                         "has no final relaxation (a relaxation pose lying on the back) that "
                         "--avoid allows\n    hint: avoid less")
    plain = [c for c in found if c.id == "final-relaxation"]
    if plain and wishes.purpose not in (Purpose.bedtime, Purpose.recovery):
        return plain[0]
    return rng.choice(found)


def weight(card: Card, wishes: Wishes) -> float:
    """How likely the seed's draw picks ``card``: focus areas and the purpose weigh in."""
    w = 1.0
    if wishes.focus:
        w += 4.0 * len(card.targets & set(wishes.focus))
    if wishes.purpose in (Purpose.after_run, Purpose.before_run):
        w += 1.0 if card.targets & LOWER_BODY else 0.0
    if wishes.purpose in (Purpose.recovery, Purpose.bedtime):
        w += 1.0 if card.intensity <= 2 else 0.0
    w += 1.5 if card.family in FAVOURED[wishes.purpose] else 0.0
    return w


def draw(cards: Sequence[Card], wishes: Wishes, rng: random.Random) -> list[Card]:
    """Every card, in an order drawn by weight (weighted sampling without replacement)."""
    keyed = [(rng.random() ** (1.0 / weight(c, wishes)), c.id, c) for c in cards]
    return [c for _, _, c in sorted(keyed, key=lambda k: (-k[0], k[1]))]


def breaths_for(card: Card, wishes: Wishes, focus: bool) -> int:
    """The hold a pose is written with, before fitting stretches or shrinks every hold."""
    match wishes.purpose:
        case Purpose.before_run:
            base = 4 if focus else 3
        case Purpose.bedtime | Purpose.recovery:
            base = 10 if focus else 6
        case Purpose.after_run:
            base = 8 if focus else 5
    if wishes.chosen_style is Style.flow:
        base = max(2, base // 2)
    if wishes.focus and not focus:
        # The fitter stretches every hold by one factor: an off-focus pose written short
        # stays short beside the focus poses.
        base = min(base, 4)
    low = card.min_breaths or 1
    high = card.max_breaths or 60
    return min(high, max(low, base))


def estimate(card: Card, breaths: int, style: Style, steps: int) -> float:
    """Rough seconds a pose takes as written, to pick how many poses a class needs (the
    compiler times the class exactly afterwards)."""
    sides = 2 if card.two_sided else 1
    if style is Style.flow:
        return sides * 12.0 + 8.0
    return sides * breaths * 9.0 + steps * 6.0 + (8.0 if card.two_sided else 0.0) + 6.0


def pick(pool: list[Card], wishes: Wishes, rng: random.Random, budget: float,
         steps: dict[str, int]) -> tuple[list[Slot], bool]:
    """Poses from the drawn ``pool`` until their estimated time fills ``budget`` seconds:
    focus poses first, so that they hold most of the time. Also says whether the pool ran
    out first."""
    focus = set(wishes.focus)
    drawn = draw(pool, wishes, rng)
    on = [c for c in drawn if c.targets & focus]
    off = [c for c in drawn if not c.targets & focus]
    if budget < 150:
        # A short class has no time for long ways in: the quickest poses go first.
        on.sort(key=lambda c: steps[c.id] + 4 * c.two_sided)
        off.sort(key=lambda c: steps[c.id] + 4 * c.two_sided)
    chosen: list[Slot] = []
    used = {True: 0.0, False: 0.0}
    style = wishes.chosen_style
    flow = style is Style.flow
    while (on or off) and (sum(used.values()) < budget or len(chosen) < 2):
        # Off-focus poses only while the focus poses keep well over half of the time. A hold
        # can give its focus poses more breaths later; a flow cannot (one breath a movement).
        ahead = used[True] >= 1.6 * used[False]
        take_focus = bool(on) and (not off or not focus or not ahead
                                   or (not flow and rng.random() < 0.5))
        if focus and not take_focus and not ahead and len(chosen) >= 2 and (flow or not on):
            break
        card = (on if take_focus else off).pop(0)
        is_focus = bool(card.targets & focus)
        breaths = breaths_for(card, wishes, is_focus)
        used[is_focus] += estimate(card, breaths, style, steps[card.id])
        if style is Style.flow and not is_focus and focus:
            # One breath a movement: only the count of poses weighs, so count them double.
            used[False] += estimate(card, breaths, style, steps[card.id])
        chosen.append(Slot(card, breaths if style is Style.hold else None, is_focus))
    return chosen, sum(used.values()) < budget


def order(slots: list[Slot], rank: dict[str, int]) -> list[Slot]:
    """Down the tiers; in each group gentle to strong, except the last, strong to gentle, each
    next pose starting where the last one left the body when one can (fewer moves between
    kneeling and hands and knees, say)."""
    groups: dict[tuple[int, int, int], list[Slot]] = {}
    for slot in slots:
        groups.setdefault(slot.card.tiers, []).append(slot)
    keys = sorted(groups)
    out: list[Slot] = []
    for i, key in enumerate(keys):
        last = i == len(keys) - 1 and len(keys) > 1
        todo = sorted(groups[key], key=lambda s: (
            OPENING.get(s.card.family, 2), -s.card.intensity if last else s.card.intensity,
            rank[s.card.id]))
        while todo:
            here = out[-1].card.span.end if out else None
            nxt = min(todo, key=lambda s: _move_cost(s.card, here))
            todo.remove(nxt)
            out.append(nxt)
    return out


def _move_cost(card: Card, here: object) -> int:
    """How much a pose moves the body next, from ``here``: none, only on its way out (such a
    pose goes last in its group), to reach it, or both."""
    span = card.span
    return 2 * (span.start is not here) + (span.end is not span.start)


def arrive(slots: list[Slot], spare: list[Card], wishes: Wishes) -> list[Slot]:
    """The class opens with a centering pose where the first pose begins (mountain before
    standing poses, say), when the library has one to spare."""
    if not slots or slots[0].card.family == "centering":
        return slots
    first = slots[0].card
    found = next((c for c in spare if c.family == "centering" and c.tiers[0] <= first.tiers[0]
                  and c.tiers[2] <= first.tiers[0]), None)
    if found is None:
        return slots
    spare.remove(found)
    focus = bool(found.targets & set(wishes.focus))
    breaths = None if wishes.chosen_style is Style.flow else max(found.min_breaths or 1, 3)
    return [Slot(found, breaths, focus), *slots]


def _fits_between(card: Card, before: Card, after: Card | None) -> bool:
    """Whether ``card`` can follow ``before`` (and precede ``after``) without climbing."""
    if card.tiers[0] < before.tiers[2]:
        return False
    return after is None or after.tiers[0] >= card.tiers[2]


def add_counters(slots: list[Slot], spare: list[Card], wishes: Wishes) -> list[Slot]:
    """Every twist and deep backbend followed by a counter-pose: one from the class moved up,
    else an unused one added, else the pose that needs it left out."""
    out = list(slots)
    i = 0
    while i < len(out):
        slot = out[i]
        if not slot.card.needs_counter:
            i += 1
            continue
        after = out[i + 1].card if i + 1 < len(out) else None
        if (after is not None and slot.card.counters(after)) or (
                after is None and slot.card.family == "twist"):
            # A twist may lead straight into the final relaxation: lying still is neutral.
            i += 1
            continue
        later = None if after is None else next(
            (j for j in range(i + 2, len(out)) if slot.card.counters(out[j].card)
             and out[j].card.tiers == after.tiers), None)
        if later is not None:
            out.insert(i + 1, out.pop(later))
            i += 2
            continue
        fresh = next((c for c in spare if slot.card.counters(c)
                      and _fits_between(c, slot.card, after)), None)
        if fresh is not None:
            spare.remove(fresh)
            focus = bool(fresh.targets & set(wishes.focus))
            breaths = None if wishes.chosen_style is Style.flow else breaths_for(
                fresh, wishes, focus)
            out.insert(i + 1, Slot(fresh, breaths, focus))
            i += 2
            continue
        out.pop(i)
    return out


def rounds(slots: list[Slot], count: int) -> list[Slot]:
    """A flow's richest group of poses (those in one place, with the most focus poses) said
    ``count`` times in all (rounds), the rest once."""
    if count <= 1 or not slots:
        return slots
    groups: dict[tuple[int, int, int], list[int]] = {}
    for i, slot in enumerate(slots):
        groups.setdefault(slot.card.tiers, []).append(i)
    best = max(groups.values(), key=lambda ix: (sum(slots[i].focus for i in ix), len(ix) > 1,
                                                -ix[0]))
    start, end = best[0], best[-1] + 1
    group = slots[start:end]
    repeated = [Slot(s.card, s.breaths, s.focus, n) for n in range(1, count) for s in group]
    return [*slots[:end], *repeated, *slots[end:]]


def focus_rounds(slots: list[Slot], count: int, flow: bool = False) -> list[Slot]:
    """Each group of poses in one place followed by ``count`` more rounds of its focus poses,
    when the focus poses alone cannot fill half of the class: a pose that ends where it began
    and needs no counter-pose is done again before the body moves on (never
    climbing back up, since the group's poses start and end at one height). A flow repeats
    only two poses or more with three sides in all, so that no line comes back within half a
    minute."""
    if count <= 0:
        return slots
    out: list[Slot] = []
    run: list[Slot] = []
    for i, slot in enumerate(slots):
        run.append(slot)
        if i + 1 < len(slots) and slots[i + 1].card.tiers == slot.card.tiers:
            continue
        out += run
        again = [s for s in run if s.focus and s.repeat == 0 and not s.again
                 and s.card.tiers[0] == s.card.tiers[2] and not s.card.needs_counter]
        sides = sum(2 if s.card.two_sided else 1 for s in again)
        if flow and (len(again) < 2 or sides < 3):
            again = []
        if again and again[0].card.tiers[0] >= out[-1].card.tiers[2]:
            out += [Slot(s.card, s.breaths, True, n, again=True)
                    for n in range(1, count + 1) for s in again]
        run = []
    return out


def rounds_needed(short_by: float) -> int:
    """How many rounds of the first group make up for ``short_by`` (a ratio over 1)."""
    return max(1, math.ceil(short_by))
