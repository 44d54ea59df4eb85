"""The shape of a fitted session: which entries it does, how many rounds, how much is said.

Fitting (:mod:`~matcast.compiler.fit`) first moves the holds within their ranges. When that
cannot reach the asked length, the session changes shape, one step at a time, in this order:

- shorter: the tips and check-ins are thinned (the first tip of a pose only, no targets line,
  check-ins half as often); then the entries the routine marks ``optional`` or gives a
  ``priority`` are left out one by one, priority 9 first and 1 last (an optional entry without a
  priority counts as 9; among equals the later entry goes first). The final relaxation is never
  left out, and an entry goes with both its sides.
- longer: a second round of the sequence (its final relaxation aside; tips are said in the
  first round only), then a third and a fourth, as far as the routine's ``rounds`` allows.
  A length just short of what a round count needs as written takes it made shorter in the same
  order (thinned, then optional entries left out).

Each shape is tried with the holds fitted anew, so a session left without a pose gets its
holds back up toward their written breaths.
"""

from __future__ import annotations

from dataclasses import dataclass, field

from matcast.routine.facts import is_relaxation
from matcast.routine.loader import LoadedRoutine

DEFAULT_PRIORITY = 9
"""The priority of an entry marked ``optional`` without one: left out first."""
ROUND_LINES = {
    2: "That's one round. Now we'll go through the same poses once more, and let each one go "
       "a little deeper.",
    3: "Another round now: the same poses again, slow and easy.",
    4: "One last round, the same poses one more time. Stay with your breath.",
}
"""Said as a second or third round begins."""


@dataclass(frozen=True)
class Shape:
    """How a session departs from the routine as written."""

    thin: bool = False
    """Tips and check-ins thinned."""
    dropped: frozenset[int] = field(default_factory=frozenset)
    """Indexes of the sequence entries left out."""
    rounds: int = 1
    """How many times the sequence (its final relaxation aside) is done."""


AS_WRITTEN = Shape()


def ends_relaxed(loaded: LoadedRoutine) -> bool:
    """Whether the routine's last entry is a final relaxation (which stays, and comes once)."""
    routine = loaded.routine
    last = loaded.poses.get(routine.sequence[-1].pose)
    return last is not None and is_relaxation(last, routine.defaults.breath_cues)


def drop_order(loaded: LoadedRoutine) -> list[int]:
    """The indexes of the entries a shorter session may leave out, first to go first."""
    seq = loaded.routine.sequence
    protected = len(seq) - 1 if ends_relaxed(loaded) else None
    droppable = [i for i, ref in enumerate(seq)
                 if (ref.optional or ref.priority is not None) and i != protected]
    return sorted(droppable, key=lambda i: (-(seq[i].priority or DEFAULT_PRIORITY), -i))


def shorter(loaded: LoadedRoutine, rounds: int = 1) -> list[Shape]:
    """The shapes a session takes, in order, when its holds cannot make it short enough."""
    out = [Shape(thin=True, rounds=rounds)]
    order = drop_order(loaded)
    total = len(loaded.routine.sequence)
    for k in range(1, len(order) + 1):
        if total - k < 1:
            break
        out.append(Shape(thin=True, dropped=frozenset(order[:k]), rounds=rounds))
    return out


def longer(loaded: LoadedRoutine) -> list[Shape]:
    """The shapes a session takes, in order, when its holds cannot make it long enough: each
    round count as written, then made shorter as one round is (for a length just short of what
    that round count needs as written)."""
    return [shape for r in range(2, loaded.routine.rounds + 1)
            for shape in (Shape(rounds=r), *shorter(loaded, r))]


def order(loaded: LoadedRoutine, shape: Shape) -> list[tuple[int, int]]:
    """The (sequence index, round) of each entry the session does, in order."""
    kept = [i for i in range(len(loaded.routine.sequence)) if i not in shape.dropped]
    if shape.rounds == 1:
        return [(i, 1) for i in kept]
    tail = kept[-1:] if ends_relaxed(loaded) else []
    body = kept[:len(kept) - len(tail)]
    return [(i, r) for r in range(1, shape.rounds + 1) for i in body] + [(i, 1) for i in tail]
