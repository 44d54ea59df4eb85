"""Choosing hold and rest lengths: the intended ones, or ones that fit a target session length.

Holds scale together by one factor (a breath-counted hold stays a whole number of breaths, both
sides of a pose share one length); the quiet rests between poses then take up what rounding left
over. Lengths are whole samples throughout.
"""

from __future__ import annotations

from collections.abc import Callable, Mapping
from dataclasses import dataclass

from matcast.compiler.plan import HoldBlock, HoldSpec, Rest

MIN_SCALE = 0.25
"""Holds may shrink to a quarter of their intended length (never below their own speech)."""
MAX_SCALE = 4.0
"""Holds may grow to four times their intended length."""
REST_RANGE = (0.3, 2.5)
"""Rests between poses may shrink or stretch by these factors."""
TOLERANCE = 0.02
"""A fitted session is within 2% of the target."""


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

    def at(self, scale: float) -> int:
        raw = self.spec.base * scale
        q = self.spec.quantum
        value = round(raw / q) * q if q else round(raw)
        return min(self.high, max(self.low, value))


class FitError(Exception):
    """The target cannot be reached: carries the reachable range in samples."""

    def __init__(self, low: int, high: int) -> None:
        super().__init__(low, high)
        self.low = low
        self.high = high


def _holds(blocks: list[HoldBlock], min_length: Callable[[HoldBlock], int]) -> list[_Hold]:
    by_key: dict[str, list[HoldBlock]] = {}
    for block in blocks:
        by_key.setdefault(block.spec.key, []).append(block)
    holds = []
    for group in by_key.values():
        spec = group[0].spec
        need = max(min_length(b) for b in group)
        q = spec.quantum
        low = max(need, _ceil_to(round(spec.base * MIN_SCALE), q))
        high = max(need, _floor_to(round(spec.base * MAX_SCALE), q))
        holds.append(_Hold(spec, len(group), low, high))
    return holds


def _ceil_to(value: int, q: int | None) -> int:
    return max(1, -(-value // q)) * q if q else value


def _floor_to(value: int, q: int | None) -> int:
    return max(1, value // q) * q if q else value


def natural(blocks: list[HoldBlock], min_length: Callable[[HoldBlock], int]) -> Lengths:
    """The intended lengths (each hold at least as long as its own speech)."""
    return Lengths({h.spec.key: max(h.low, h.spec.base) for h in _holds(blocks, min_length)}, 1.0)


def bounds(blocks: list[HoldBlock], rests: list[Rest], fixed: int,
           min_length: Callable[[HoldBlock], int]) -> tuple[int, int]:
    """The shortest and longest session, in samples, that fitting can reach."""
    holds = _holds(blocks, min_length)
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
    holds = _holds(blocks, min_length)
    flex = sum(r.samples for r in rests if r.flexible)
    still = fixed + sum(r.samples for r in rests if not r.flexible)
    low, high = bounds(blocks, rests, fixed, min_length)
    if not low * (1 - TOLERANCE) <= target <= high * (1 + TOLERANCE):
        raise FitError(low, high)

    def total(scale: float) -> float:
        return still + flex + sum(h.uses * min(h.high, max(h.low, h.spec.base * scale))
                                  for h in holds)

    scale = _solve(total, target, MIN_SCALE / 2, MAX_SCALE * 2)
    lengths = {h.spec.key: h.at(scale) for h in holds}
    # Breath-counted holds are now whole breaths; let clock holds take up the rounding.
    clock = [h for h in holds if not h.spec.quantum]
    if clock:
        counted = sum(h.uses * lengths[h.spec.key] for h in holds if h.spec.quantum)

        def with_clock(s: float) -> float:
            return still + flex + counted + sum(
                h.uses * min(h.high, max(h.low, h.spec.base * s)) for h in clock)

        again = _solve(with_clock, target, MIN_SCALE / 2, MAX_SCALE * 2)
        lengths.update({h.spec.key: h.at(again) for h in clock})
    residual = target - still - flex - sum(h.uses * lengths[h.spec.key] for h in holds)
    residual = _nudge_breaths(holds, lengths, residual, flex)
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
