"""The compiler: a loaded routine plus options -> a timed cue script. Pure: no files, no audio.

Passes, in order: :func:`~matcast.compiler.expand.expand` (style, level, sides, chimes),
hold lengths (:mod:`~matcast.compiler.fit`: as written, or fitted to ``--minutes``, changing the
session's shape (:mod:`~matcast.compiler.shape`) when the holds alone cannot reach it),
:func:`~matcast.compiler.schedule.schedule` (times in samples). Speech lengths are estimated unless
measured ones are given: the renderer compiles again with the lengths of the real audio, so the
same code times both.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, replace

from matcast.compiler import holds
from matcast.compiler.expand import expand
from matcast.compiler.fit import (
    RELAXATION_FROM,
    TOLERANCE,
    FitError,
    Lengths,
    bounds,
    fit,
    natural,
)
from matcast.compiler.options import CompileOptions
from matcast.compiler.plan import Bell, HoldBlock, Plan, Rest, Say
from matcast.compiler.schedule import schedule
from matcast.compiler.shape import AS_WRITTEN, Shape, longer, shorter
from matcast.compiler.speech import SpeechLength, estimate, speech_length
from matcast.cues import CHIME_SAMPLES, SAMPLE_RATE, CueScript
from matcast.errors import LengthError, UsageError
from matcast.routine.loader import LoadedRoutine

__all__ = ["CompileOptions", "compile_routine", "estimate", "length_range", "planned",
           "session_length"]


def compile_routine(loaded: LoadedRoutine, options: CompileOptions | None = None,
                    measured: Mapping[str, int] | None = None) -> CueScript:
    """Compile ``loaded`` into a cue script.

    ``measured`` maps spoken lines to their real length in samples; lines not in it are
    estimated. Raises :class:`~matcast.errors.UsageError` for options the routine cannot meet.
    """
    options = options or CompileOptions()
    options.check(loaded)
    speech = speech_length(measured, options.rate)
    plan, lengths = _fitted(loaded, options, speech)
    # The length is known before anything is scheduled: refuse an absurd session (a small file
    # can ask for days of holds) before laying out every breath of it.
    duration = session_length(plan, lengths, speech)
    if duration > options.max_minutes * 60 * SAMPLE_RATE:
        hint = "" if options.allow_long else "; --allow-long lifts it to 720"
        raise UsageError(f"{loaded.slug}: the session would last "
                         f"{duration / SAMPLE_RATE / 60:.0f} minutes; the limit is "
                         f"{options.max_minutes:g}{hint}")
    return schedule(plan, lengths, speech)


@dataclass(frozen=True)
class Planned:
    """A session's length and holds, worked out without laying out its events."""

    samples: int
    """The session's length."""
    held: Mapping[str, int]
    """Samples held in each pose (by pose id), every side and appearance together."""


def planned(loaded: LoadedRoutine, options: CompileOptions | None = None) -> Planned:
    """The session's length and holds (estimated speech), fitted to ``options.minutes`` when
    given, without laying out its events: what a composer asks of many candidate routines.
    Raises :class:`~matcast.errors.UsageError` as :func:`compile_routine` does."""
    options = options or CompileOptions()
    options.check(loaded)
    speech = speech_length(None, options.rate)
    plan, lengths = _fitted(loaded, options, speech)
    held: dict[str, int] = {}
    for seg in plan.segments:
        if isinstance(seg, HoldBlock):
            held[seg.pose] = held.get(seg.pose, 0) + lengths.holds[seg.spec.key]
    return Planned(session_length(plan, lengths, speech), held)


def session_length(plan: Plan, lengths: Lengths, speech: SpeechLength) -> int:
    """The scheduled session's length in samples, summed without scheduling it."""
    scaled = sum(lengths.rest(seg) if isinstance(seg, Rest) else lengths.holds[seg.spec.key]
                 for seg in plan.segments if isinstance(seg, Rest | HoldBlock))
    return _fixed(plan, speech) + scaled


class _Parts:
    """A plan cut into what fitting needs: its holds, its rests and its fixed length."""

    def __init__(self, plan: Plan, speech: SpeechLength) -> None:
        self.plan = plan
        self.blocks = [s for s in plan.segments if isinstance(s, HoldBlock)]
        self.rests = [s for s in plan.segments if isinstance(s, Rest)]
        self.fixed = _fixed(plan, speech)
        self.speech = speech
        self._least: dict[HoldBlock, int] = {}

    def min_length(self, block: HoldBlock) -> int:
        if block not in self._least:
            self._least[block] = holds.min_length(block, self.speech)
        return self._least[block]

    def bounds(self, target: int | None = None) -> tuple[int, int]:
        return bounds(self.blocks, self.rests, self.fixed, self.min_length, target)

    def fit(self, target: int) -> Lengths:
        return fit(self.blocks, self.rests, self.fixed, target, self.min_length)


def _shapes(loaded: LoadedRoutine, options: CompileOptions, speech: SpeechLength,
            shapes: list[Shape]) -> list[_Parts]:
    return [_Parts(expand(loaded, options, shape), speech) for shape in shapes]


def _fitted(loaded: LoadedRoutine, options: CompileOptions, speech: SpeechLength
            ) -> tuple[Plan, Lengths]:
    """The plan and its hold lengths: as written, or fitted to the target length, in the first
    shape (as written, then each of :mod:`~matcast.compiler.shape`'s in turn) whose holds can
    reach it exactly, else the first that reaches it within :data:`TOLERANCE`."""
    first = _Parts(expand(loaded, options), speech)
    target = first.plan.target
    if target is None:
        return first.plan, natural(first.blocks, first.rests, first.fixed, first.min_length)
    low, high = first.bounds(target)
    tried = [(first, low, high)]
    if not low <= target <= high:
        more = shorter(loaded) if target < low else longer(loaded)
        for shape in more:
            parts = _Parts(expand(loaded, options, shape), speech)
            low, high = parts.bounds(target)
            tried.append((parts, low, high))
            if low <= target <= high:
                break
    for parts, low, high in [tried[-1], *tried]:
        if low / (1 + TOLERANCE) <= target <= high / (1 - TOLERANCE):
            try:
                return parts.plan, parts.fit(target)
            except FitError:
                continue
    raise _unreachable(loaded, options, first.plan, speech)


def _unreachable(loaded: LoadedRoutine, options: CompileOptions, plan: Plan,
                 speech: SpeechLength) -> LengthError:
    low, high = length_range(loaded, options)
    style = plan.options["style"]
    target = plan.target
    assert target is not None
    message = (f"{plan.routine} ({style} style) cannot be fitted to "
               f"{target / SAMPLE_RATE / 60:g} minute(s): it can be built from "
               f"{low:.1f} to {high:.1f} minutes")
    if low * 60 * SAMPLE_RATE < target < high * 60 * SAMPLE_RATE:
        # Between what one round count reaches at most and the next at least.
        every = [AS_WRITTEN, *shorter(loaded), *longer(loaded)]
        spans = [(a / (1 + TOLERANCE), b / (1 - TOLERANCE)) for parts in
                 _shapes(loaded, options, speech, every) for a, b in [parts.bounds(target)]]
        below = max((b for _, b in spans if b < target), default=None)
        above = min((a for a, _ in spans if a > target), default=None)
        if below is not None and above is not None:
            message += (f", but not from {below / SAMPLE_RATE / 60:.1f} to "
                        f"{above / SAMPLE_RATE / 60:.1f} (between rounds)")
    return LengthError(message, (loaded, options))


def length_range(loaded: LoadedRoutine, options: CompileOptions | None = None
                 ) -> tuple[float, float]:
    """The ``--minutes`` values, as (lowest, highest), that this routine accepts with these
    options: what fitting can reach in any of its shapes (within its tolerance) and the
    routine's own bounds."""
    options = replace(options or CompileOptions(), minutes=None)
    options.check(loaded)
    speech = speech_length(None, options.rate)
    down = _shapes(loaded, options, speech, [AS_WRITTEN, *shorter(loaded)])
    # The longest: the most rounds as written (leaving out and thinning only shorten).
    up = [down[0], *_shapes(loaded, options, speech, [s for s in longer(loaded)
                                                       if s == Shape(rounds=s.rounds)][-1:])]
    least = min(down, key=lambda parts: parts.bounds()[0])
    shortest = least.bounds()[0] / (1 + TOLERANCE)
    # A target of 15 minutes or more brings the relaxation's floor, which grows with the
    # target: the shortest such target is where the two meet.
    for _ in range(50):
        if shortest < RELAXATION_FROM:
            break
        floor_low = least.bounds(round(shortest))[0]
        if floor_low / (1 + TOLERANCE) <= shortest + 1:
            break
        shortest = floor_low / (1 + TOLERANCE)
    high = max(parts.bounds()[1] for parts in up)
    # A hundredth of a second inside each end keeps sample rounding from crossing it.
    low_min = (shortest + SAMPLE_RATE / 100) / SAMPLE_RATE / 60
    high_min = (high / (1 - TOLERANCE) - SAMPLE_RATE / 100) / SAMPLE_RATE / 60
    allowed = down[0].plan.allowed
    if allowed is not None:
        low_min = max(low_min, allowed[0] / SAMPLE_RATE / 60)
        high_min = min(high_min, allowed[1] / SAMPLE_RATE / 60)
    return low_min, min(high_min, options.max_minutes)


def _fixed(plan: Plan, speech: SpeechLength) -> int:
    """Samples of everything that does not scale: speech outside holds, pauses, chimes."""
    fixed = 0
    for seg in plan.segments:
        if isinstance(seg, Say):
            fixed += speech(seg.text) + seg.pause
        elif isinstance(seg, Bell):
            fixed += CHIME_SAMPLES[seg.kind]
        elif isinstance(seg, HoldBlock):
            fixed += sum(speech(text) + holds.LINE_GAP for text in holds.lead_in(seg, speech))
    return fixed
