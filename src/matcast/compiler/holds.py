"""What happens inside a hold: where each line, check-in and breath cue falls.

A hold is clock-anchored: it lasts exactly the length it was given. Its lines are spoken from the
start, one after another; check-ins fall on their period where they fit; breath cues fall on breath
boundaries where nothing else is being said. Nothing ever runs past the end of the hold.
"""

from __future__ import annotations

from dataclasses import dataclass

from matcast.compiler.plan import HoldBlock
from matcast.compiler.speech import SpeechLength
from matcast.cues import seconds_to_samples

LINE_GAP = seconds_to_samples(0.6)
"""Quiet between two lines spoken in a hold."""
CUE_MARGIN = seconds_to_samples(0.25)
"""A breath cue needs this much quiet around it, or it is left out."""
CHECKIN_TAIL = seconds_to_samples(10.0)
"""No check-in starts this close to the end of a hold: the hold ends in quiet."""

_NUMBERS = (
    "one", "two", "three", "four", "five", "six", "seven", "eight", "nine", "ten", "eleven",
    "twelve", "thirteen", "fourteen", "fifteen", "sixteen", "seventeen", "eighteen", "nineteen",
    "twenty",
)


def count_word(n: int) -> str:
    """1 -> "one": the breath count as it is spoken."""
    return _NUMBERS[n - 1] if 1 <= n <= len(_NUMBERS) else str(n)


def inhale_text() -> str:
    return "Inhale."


def exhale_text(n: int) -> str:
    return f"Exhale, {count_word(n)}."


@dataclass(frozen=True, slots=True)
class Placed:
    """A line placed inside a hold, in samples from the hold's start."""

    start: int
    end: int
    text: str


def min_length(block: HoldBlock, speech: SpeechLength) -> int:
    """The shortest this hold may be: its lines must fit (breath cues and check-ins may not)."""
    lengths = [speech(line) for line in block.lines]
    need = sum(lengths) + LINE_GAP * len(lengths)
    quantum = block.spec.quantum
    if quantum:
        return max(1, -(-need // quantum)) * quantum
    return max(need, seconds_to_samples(1.0))


def layout(block: HoldBlock, length: int, speech: SpeechLength) -> list[Placed]:
    """Place the hold's speech inside ``length`` samples; sorted, never overlapping, all inside."""
    placed: list[Placed] = []
    t = 0
    for line in block.lines:
        end = t + speech(line)
        placed.append(Placed(t, end, line))
        t = end + LINE_GAP
    if placed and placed[-1].end > length:
        raise ValueError(f"hold of {length} samples is shorter than its lines")
    if block.checkins and block.checkin_every > 0:
        _place_checkins(block, length, speech, placed)
    if block.breath is not None:
        _place_breath_cues(block.breath, length, speech, placed)
    placed.sort(key=lambda p: p.start)
    return placed


def _place_checkins(block: HoldBlock, length: int, speech: SpeechLength,
                    placed: list[Placed]) -> None:
    last_end = placed[-1].end if placed else 0
    turn = 0
    k = 1
    while True:
        start = max(k * block.checkin_every, last_end + LINE_GAP)
        text = block.checkins[turn % len(block.checkins)]
        end = start + speech(text)
        if end > length - CHECKIN_TAIL:
            return
        placed.append(Placed(start, end, text))
        last_end = end
        turn += 1
        k = max(k + 1, -(-end // block.checkin_every))


def _place_breath_cues(breath: tuple[int, int], length: int, speech: SpeechLength,
                       placed: list[Placed]) -> None:
    """Add a breath cue at each inhale and exhale where it keeps CUE_MARGIN from every line.

    One pass: cues are tried in time order and the hold's other lines are sorted and never
    overlap, so a line that ends before the current cue's margin can be passed for good, and only
    the last cue placed can be in the way of the next. Linear in the number of breaths (a
    two-hour hold has 800 of them).
    """
    inhale, exhale = breath
    period = inhale + exhale
    lines = sorted((p.start, p.end) for p in placed)
    first = 0
    last_cue_end: int | None = None
    for b in range(length // period):
        for anchor, text in ((b * period, inhale_text()),
                             (b * period + inhale, exhale_text(b + 1))):
            end = anchor + speech(text)
            if end > length:
                continue
            while first < len(lines) and lines[first][1] + CUE_MARGIN <= anchor:
                first += 1
            if last_cue_end is not None and anchor < last_cue_end + CUE_MARGIN:
                continue
            if first < len(lines) and lines[first][0] < end + CUE_MARGIN:
                continue
            placed.append(Placed(anchor, end, text))
            last_cue_end = end
