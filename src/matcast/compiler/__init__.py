"""The compiler: a loaded routine plus options -> a timed cue script. Pure: no files, no audio.

Passes, in order: :func:`~matcast.compiler.expand.expand` (style, level, sides, chimes),
hold lengths (:mod:`~matcast.compiler.fit`: as written, or fitted to ``--minutes``),
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
from matcast.compiler.speech import SpeechLength, estimate, speech_length
from matcast.cues import CHIME_SAMPLES, SAMPLE_RATE, CueScript
from matcast.errors import UsageError
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
    plan = expand(loaded, options)
    speech = speech_length(measured, options.rate)
    lengths = _lengths(plan, speech)
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
    plan = expand(loaded, options)
    speech = speech_length(None, options.rate)
    lengths = _lengths(plan, speech)
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


def length_range(loaded: LoadedRoutine, options: CompileOptions | None = None
                 ) -> tuple[float, float]:
    """The ``--minutes`` values, as (lowest, highest), that this routine accepts with these
    options: what fitting can reach (within its 2% tolerance) and the routine's own bounds."""
    options = replace(options or CompileOptions(), minutes=None)
    options.check(loaded)
    plan = expand(loaded, options)
    speech = speech_length(None, options.rate)
    blocks = [s for s in plan.segments if isinstance(s, HoldBlock)]
    rests = [s for s in plan.segments if isinstance(s, Rest)]
    fixed = _fixed(plan, speech)

    def min_length(block: HoldBlock) -> int:
        return holds.min_length(block, speech)

    low, high = bounds(blocks, rests, fixed, min_length)
    shortest = low / (1 + TOLERANCE)
    # A target of 15 minutes or more brings the relaxation's floor, which grows with the
    # target: the shortest such target is where the two meet.
    for _ in range(50):
        if shortest < RELAXATION_FROM:
            break
        floor_low = bounds(blocks, rests, fixed, min_length, round(shortest))[0]
        if floor_low / (1 + TOLERANCE) <= shortest + 1:
            break
        shortest = floor_low / (1 + TOLERANCE)
    # A hundredth of a second inside each end keeps sample rounding from crossing it.
    low_min = (shortest + SAMPLE_RATE / 100) / SAMPLE_RATE / 60
    high_min = (high / (1 - TOLERANCE) - SAMPLE_RATE / 100) / SAMPLE_RATE / 60
    if plan.allowed is not None:
        low_min = max(low_min, plan.allowed[0] / SAMPLE_RATE / 60)
        high_min = min(high_min, plan.allowed[1] / SAMPLE_RATE / 60)
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


def _lengths(plan: Plan, speech: SpeechLength) -> Lengths:
    blocks = [s for s in plan.segments if isinstance(s, HoldBlock)]
    rests = [s for s in plan.segments if isinstance(s, Rest)]

    def min_length(block: HoldBlock) -> int:
        return holds.min_length(block, speech)

    fixed = _fixed(plan, speech)
    if plan.target is None:
        return natural(blocks, rests, fixed, min_length)
    try:
        return fit(blocks, rests, fixed, plan.target, min_length)
    except FitError as exc:
        low, high = exc.low, exc.high
        if plan.allowed is not None and max(low, plan.allowed[0]) <= min(high, plan.allowed[1]):
            # What --minutes may ask for; an empty overlap would read "from 1.0 to 0.8".
            low, high = max(low, plan.allowed[0]), min(high, plan.allowed[1])
        style = plan.options["style"]
        raise UsageError(
            f"{plan.routine} ({style} style) cannot be fitted to "
            f"{plan.target / SAMPLE_RATE / 60:g} minute(s): it can be built from "
            f"{low / SAMPLE_RATE / 60:.1f} to {high / SAMPLE_RATE / 60:.1f} minutes"
        ) from None
