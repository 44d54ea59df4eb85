"""Choosing hold and rest lengths: the intended ones, or ones that fit a target session length.

Each hold has a least, an intended and a greatest length (a breath-counted hold: its pose's
``min_breaths``, its written breaths and its ``max_breaths``; a hold by the clock: a quarter and
four times its written length). Fitting moves one parameter through four phases, in this order
as the target grows: the final relaxation from its least to its intended length, then every
other hold from its least to its intended length, then every other hold up to its greatest,
then the relaxation up to its greatest. So a shorter session takes breaths from the holds first
and from the relaxation last, and a longer one adds breaths before it lengthens the
relaxation. A breath-counted hold stays a whole number of breaths, both sides of a pose share
one length, and the quiet rests between poses take up what rounding left over. Lengths are whole
samples throughout. (What happens when the holds alone cannot reach a target, tips thinned,
poses left out or a second round, is :mod:`~matcast.compiler.shape`.)

The final relaxation is protected. A session of 15 minutes or more keeps it at 10% of the
session and at least two minutes, as written and when fitted.
"""

from __future__ import annotations

import math
from collections.abc import Callable, Mapping
from dataclasses import dataclass, replace

from matcast.compiler.plan import HoldBlock, HoldSpec, Rest
from matcast.cues import SAMPLE_RATE

MIN_SCALE = 0.25
"""Holds by the clock may shrink to a quarter of their intended length (never below their own
speech); breath-counted holds keep their pose's least breaths."""
MAX_SCALE = 4.0
"""Holds by the clock may grow to four times their intended length; breath-counted holds to
their pose's most breaths."""
PHASES = 4.0
"""The fitting parameter runs from 0 (everything at its least) to this (at its greatest)."""
REST_RANGE = (0.3, 2.5)
"""Rests between poses may shrink or stretch by these factors."""
TOLERANCE = 0.01
"""A fitted session is within 1% of the target (exact unless the rests cannot absorb what
rounding to whole breaths left over)."""
RELAXATION_FROM = round(15 * 60 * SAMPLE_RATE * (1 - TOLERANCE))
"""Sessions this long (15 minutes, less what a fitted length may miss by) keep a relaxation."""
RELAXATION_SHARE = 0.10
"""The final relaxation's least share of such a session."""
RELAXATION_MIN = 120 * SAMPLE_RATE
"""The final relaxation's least length in such a session."""


@dataclass(frozen=True)
class Lengths:
    """The outcome of fitting: a length per hold key and a factor for flexible rests."""

    holds: Mapping[str, int]
    rest_scale: float

    def rest(self, rest: Rest) -> int:
        return round(rest.samples * self.rest_scale) if rest.flexible else rest.samples


@dataclass(frozen=True)
class _Hold:
    spec: HoldSpec
    uses: int
    low: int
    high: int

    @property
    def mid(self) -> int:
        return min(self.high, max(self.low, self.spec.base))

    def smooth(self, x: float) -> float:
        """The length at parameter ``x`` before rounding to whole breaths."""
        down, up = (0.0, 3.0) if self.spec.relaxation else (1.0, 2.0)
        return (self.low + (self.mid - self.low) * _ramp(x - down)
                + (self.high - self.mid) * _ramp(x - up))

    def at(self, x: float) -> int:
        raw = self.smooth(x)
        q = self.spec.quantum
        value = round(raw / q) * q if q else round(raw)
        return min(self.high, max(self.low, value))


class FitError(Exception):
    """The target cannot be reached: carries the reachable range in samples."""

    def __init__(self, low: int, high: int) -> None:
        super().__init__(low, high)
        self.low = low
        self.high = high


def _ramp(x: float) -> float:
    return min(1.0, max(0.0, x))


def _holds(blocks: list[HoldBlock], min_length: Callable[[HoldBlock], int]) -> list[_Hold]:
    by_key: dict[str, list[HoldBlock]] = {}
    for block in blocks:
        by_key.setdefault(block.spec.key, []).append(block)
    holds = []
    for group in by_key.values():
        spec = group[0].spec
        need = max(min_length(b) for b in group)
        q = spec.quantum
        if q and spec.ceiling:
            low, high = max(need, spec.floor), max(need, spec.ceiling)
        else:
            low = max(need, _ceil_to(round(spec.base * MIN_SCALE), q), spec.floor)
            high = max(need, _floor_to(round(spec.base * MAX_SCALE), q))
        holds.append(_Hold(spec, len(group), low, high))
    return holds


def _ceil_to(value: int, q: int | None) -> int:
    return max(1, -(-value // q)) * q if q else value


def _floor_to(value: int, q: int | None) -> int:
    return max(1, value // q) * q if q else value


def _protect(holds: list[_Hold], floor: int) -> list[_Hold]:
    """The relaxation holds with their least raised so that together they last ``floor``."""
    relax = [h for h in holds if h.spec.relaxation]
    base = sum(h.uses * h.spec.base for h in relax)
    out = []
    for h in holds:
        if h.spec.relaxation and base:
            least = _ceil_to(math.ceil(floor * h.spec.base / base / h.uses), h.spec.quantum)
            h = replace(h, low=max(h.low, least), high=max(h.high, least))
        out.append(h)
    return out


def _floor_for(session: float) -> int:
    return max(math.ceil(session * RELAXATION_SHARE), RELAXATION_MIN)


def natural(blocks: list[HoldBlock], rests: list[Rest], fixed: int,
            min_length: Callable[[HoldBlock], int]) -> Lengths:
    """The intended lengths (each hold at least as long as its own speech), with the final
    relaxation raised to its floor when the session lasts 15 minutes or more."""
    holds = _holds(blocks, min_length)
    lengths = {h.spec.key: max(h.low, h.spec.base) for h in holds}
    relax = sum(h.uses * lengths[h.spec.key] for h in holds if h.spec.relaxation)
    total = fixed + sum(r.samples for r in rests) + sum(h.uses * lengths[h.spec.key]
                                                        for h in holds)
    if relax and total >= RELAXATION_FROM:
        # The relaxation R of a session F + R keeps R >= share * (F + R).
        share = RELAXATION_SHARE
        floor = max(math.ceil((total - relax) * share / (1 - share)), RELAXATION_MIN)
        for h in _protect(holds, floor):
            if h.spec.relaxation:
                lengths[h.spec.key] = max(lengths[h.spec.key], h.low)
    return Lengths(lengths, 1.0)


def bounds(blocks: list[HoldBlock], rests: list[Rest], fixed: int,
           min_length: Callable[[HoldBlock], int], target: int | None = None
           ) -> tuple[int, int]:
    """The shortest and longest session, in samples, that fitting can reach (for ``target``,
    with the relaxation's floor that target brings)."""
    return _bounds(_fit_holds(blocks, min_length, target), rests, fixed)


def _fit_holds(blocks: list[HoldBlock], min_length: Callable[[HoldBlock], int],
               target: int | None) -> list[_Hold]:
    holds = _holds(blocks, min_length)
    if target is not None and target >= RELAXATION_FROM:
        holds = _protect(holds, _floor_for(target * (1 + TOLERANCE)))
    return holds


def _bounds(holds: list[_Hold], rests: list[Rest], fixed: int) -> tuple[int, int]:
    flex = sum(r.samples for r in rests if r.flexible)
    still = fixed + sum(r.samples for r in rests if not r.flexible)
    low = still + sum(h.uses * h.low for h in holds) + round(flex * REST_RANGE[0])
    high = still + sum(h.uses * h.high for h in holds) + round(flex * REST_RANGE[1])
    return low, high


def fit(blocks: list[HoldBlock], rests: list[Rest], fixed: int, target: int,
        min_length: Callable[[HoldBlock], int]) -> Lengths:
    """Lengths that make the session ``target`` samples long (within :data:`TOLERANCE`).

    ``fixed`` is the length of everything that does not scale (speech outside holds, chimes,
    fixed pauses). Raises :class:`FitError` with the reachable range when the target is out of it.
    """
    holds = _fit_holds(blocks, min_length, target)
    flex = sum(r.samples for r in rests if r.flexible)
    still = fixed + sum(r.samples for r in rests if not r.flexible)
    low, high = _bounds(holds, rests, fixed)
    # The session lasts at least low and at most high: within 1% of the target only if
    # low <= target * (1 + tolerance) and high >= target * (1 - tolerance).
    if not low / (1 + TOLERANCE) <= target <= high / (1 - TOLERANCE):
        raise FitError(low, high)

    def total(x: float) -> float:
        return still + flex + sum(h.uses * h.smooth(x) for h in holds)

    x = _solve(total, target, 0.0, PHASES)
    lengths = {h.spec.key: h.at(x) for h in holds}
    # Breath-counted holds are now whole breaths; let clock holds take up the rounding.
    clock = [h for h in holds if not h.spec.quantum]

    def clock_takes_up() -> None:
        counted = sum(h.uses * lengths[h.spec.key] for h in holds if h.spec.quantum)

        def with_clock(y: float) -> float:
            return still + flex + counted + sum(h.uses * h.smooth(y) for h in clock)

        again = _solve(with_clock, target, 0.0, PHASES)
        lengths.update({h.spec.key: h.at(again) for h in clock})

    def left() -> int:
        return target - still - flex - sum(h.uses * lengths[h.spec.key] for h in holds)

    if clock:
        clock_takes_up()
    residual = _nudge_breaths(holds, lengths, left(), flex)
    if clock and residual:
        # Whole breaths moved: the clock holds take up what is left, within their range.
        clock_takes_up()
        residual = left()
    rest_scale = 1.0
    if flex:
        rest_scale = min(REST_RANGE[1], max(REST_RANGE[0], 1.0 + residual / flex))
    return Lengths(lengths, rest_scale)


def _solve(f: Callable[[float], float], target: int, lo: float, hi: float) -> float:
    """The smallest x in [lo, hi] with f(x) >= target, for a non-decreasing f (bisection)."""
    for _ in range(80):
        mid = (lo + hi) / 2
        if f(mid) < target:
            lo = mid
        else:
            hi = mid
    return hi


def _nudge_breaths(holds: list[_Hold], lengths: dict[str, int], residual: int, flex: int) -> int:
    """Add or remove whole breaths while the rests alone cannot absorb what rounding left over.

    Rests can take about ``flex`` * (range - 1) either way; beyond that, the hold whose breath
    best matches the residual moves by one breath, repeatedly. Returns the residual left.
    """
    give = flex * (REST_RANGE[1] - 1.0)
    take = flex * (1.0 - REST_RANGE[0])
    for _ in range(10_000):
        if -take * 0.8 <= residual <= give * 0.8:
            break
        step = 1 if residual > 0 else -1
        best: _Hold | None = None
        for h in holds:
            q = h.spec.quantum or 0
            if not q:
                continue
            new = lengths[h.spec.key] + step * q
            if not h.low <= new <= h.high:
                continue
            if best is None or abs(residual - step * h.uses * q) < abs(
                    residual - step * best.uses * (best.spec.quantum or 0)):
                best = h
        if best is None or abs(residual - step * best.uses * (best.spec.quantum or 0)) >= abs(
                residual):
            break
        lengths[best.spec.key] += step * (best.spec.quantum or 0)
        residual -= step * best.uses * (best.spec.quantum or 0)
    return residual
