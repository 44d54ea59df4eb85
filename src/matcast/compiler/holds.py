"""What happens inside a hold: where each count, line, check-in and breath prompt falls.

A hold is clock-anchored: it lasts exactly the length it was given. In a paced hold the count is
the backbone: every breath is counted on its exhale, from one to the hold's last breath, so both
sides of a pose are counted alike. Guidance lines go in order into the quiet between the counts;
a line too long for any gap is said just before the hold starts. Flow movements sit on the part
of the first breath they name. Check-ins fall on their period where there is room, and breath
prompts fill breaths where nothing else is said. In a quiet hold (no breath guidance) the lines
are said from the start, one after another. Nothing ever runs past the end of a hold.
"""

from __future__ import annotations

import functools
from dataclasses import dataclass

from matcast.compiler.plan import HoldBlock
from matcast.compiler.speech import SpeechLength
from matcast.cues import seconds_to_samples

LINE_GAP = seconds_to_samples(0.6)
"""Quiet between two lines spoken in a hold (and after a line said just before one)."""
CUE_MARGIN = seconds_to_samples(0.6)
"""Quiet kept on either side of a count or a prompt."""
CHECKIN_TAIL = seconds_to_samples(10.0)
"""No check-in starts this close to the end of a hold: the hold ends in quiet."""
LATER_CHECKIN_MAX = seconds_to_samples(150.0)
"""Once every check-in has been said, the last comes back at twice the interval, but never
further apart than this: a long rest is not left without a voice (the lint wants one within
three minutes)."""
SPARSE_PROMPTS = 4
"""Past the breaths a hold prompts in full (``prompt_breaths``), one breath in this many is still
prompted, so a longer light-guidance flow hold is never silent for a minute."""
LONGEST_COUNT = 20
"""Counts are words up to this; the gap a line must fit in is measured against its count."""

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


def exhale_text(n: int | None = None) -> str:
    """The exhale prompt, with the breath's count when there is one: "Exhale, three."."""
    return "Exhale." if n is None else f"Exhale, {count_word(n)}."


@dataclass(frozen=True, slots=True)
class Placed:
    """A line placed inside a hold, in samples from the hold's start."""

    start: int
    end: int
    text: str


def lead_in(block: HoldBlock, speech: SpeechLength) -> tuple[str, ...]:
    """The hold's lines too long to fit between two counts: said just before the hold."""
    if block.breath is None or not block.count:
        return ()
    room = sum(block.breath) - 2 * CUE_MARGIN - longest_count(speech)
    return tuple(line for line in block.lines if speech(line) > room)


def longest_count(speech: SpeechLength) -> int:
    """The longest of the counts spoken as words: a line between two counts must fit beside any
    of them (measured lengths differ from count to count; "Exhale, seven." may outlast "Exhale,
    twenty.")."""
    return max(speech(exhale_text(n)) for n in range(1, LONGEST_COUNT + 1))


def min_length(block: HoldBlock, speech: SpeechLength) -> int:
    """The shortest this hold may be: its lines and movements must fit (breath prompts and
    check-ins may not); a breath-counted hold stays a whole number of breaths. Remembered per
    hold and speech function (laying a hold out to find it is the dearest part of fitting)."""
    return _min_length_cached(block, speech)


@functools.lru_cache(maxsize=8192)
def _min_length_cached(block: HoldBlock, speech: SpeechLength) -> int:
    return _min_length(block, speech)


def _min_length(block: HoldBlock, speech: SpeechLength) -> int:
    quantum = block.spec.quantum
    if quantum:
        first = max(1, -(-block.spec.floor // quantum))
        for n in range(first, first + 4 * len(block.lines) + 64):
            if _fits(block, n * quantum, speech):
                return n * quantum
        raise ValueError(f"no hold length fits the lines of {block.pose}")
    lines = [speech(line) for line in block.lines]
    need = max(sum(lines) + LINE_GAP * len(lines), seconds_to_samples(1.0))
    if block.breath is not None:
        step = sum(block.breath)
        while not _fits(block, need, speech):
            need += step
    return need


def _fits(block: HoldBlock, length: int, speech: SpeechLength) -> bool:
    try:
        layout(block, length, speech)
    except ValueError:
        return False
    return True


class _Busy:
    """The spans already taken in a hold, and where a new line can go."""

    def __init__(self, length: int) -> None:
        self.length = length
        self.spans: list[tuple[int, int]] = []
        self.placed: list[Placed] = []

    def free(self, start: int, end: int) -> bool:
        return end <= self.length and all(
            end + CUE_MARGIN <= a or b + CUE_MARGIN <= start for a, b in self.spans)

    def first_fit(self, earliest: int, duration: int, latest_end: int | None = None
                  ) -> int | None:
        limit = self.length if latest_end is None else latest_end
        candidates = sorted({earliest, *(b + CUE_MARGIN for _, b in self.spans
                                         if b + CUE_MARGIN > earliest)})
        for start in candidates:
            if start + duration <= limit and self.free(start, start + duration):
                return start
        return None

    def put(self, start: int, text: str, duration: int) -> Placed:
        placed = Placed(start, start + duration, text)
        self.spans.append((placed.start, placed.end))
        self.placed.append(placed)
        return placed


def layout(block: HoldBlock, length: int, speech: SpeechLength) -> list[Placed]:
    """Place the hold's speech inside ``length`` samples: sorted, never overlapping, all inside.
    Raises ValueError when the lines or movements cannot fit."""
    busy = _Busy(length)
    before = set(lead_in(block, speech))
    lines = [line for line in block.lines if line not in before]
    if block.breath is None:
        t = 0
        for line in lines:
            placed = busy.put(t, line, speech(line))
            t = placed.end + LINE_GAP
        if busy.placed and busy.placed[-1].end > length:
            raise ValueError(f"hold of {length} samples is shorter than its lines")
    else:
        _paced(block, length, speech, busy, lines)
    if block.checkins and block.checkin_every > 0:
        _place_checkins(block, length, speech, busy)
    if block.breath is not None and block.prompts:
        _place_prompts(block, length, speech, busy)
    return sorted(busy.placed, key=lambda p: p.start)


def _paced(block: HoldBlock, length: int, speech: SpeechLength, busy: _Busy,
           lines: list[str]) -> None:
    assert block.breath is not None
    inhale, exhale = block.breath
    period = inhale + exhale
    t = 0
    for part, text in block.moves:
        start = max(0 if part == "inhale" else inhale, t)
        duration = speech(text)
        if start + duration > length:
            raise ValueError(f"hold of {length} samples is shorter than its movement")
        t = busy.put(start, text, duration).end + LINE_GAP
    if block.count:
        for b in range(1, length // period + 1):
            text = exhale_text(b)
            busy.put((b - 1) * period + inhale, text, speech(text))
    for line in lines:
        duration = speech(line)
        start = busy.first_fit(t, duration)
        if start is None:
            raise ValueError(f"hold of {length} samples has no room for {line!r}")
        t = busy.put(start, line, duration).end + LINE_GAP


def _place_checkins(block: HoldBlock, length: int, speech: SpeechLength, busy: _Busy) -> None:
    """Each check-in once, in turn, about every ``checkin_every``; a hold that outlasts them
    hears the last one (the settling line: "Just rest.") again, twice as far apart, never the
    list over again: a teacher does not repeat "notice how your body feels" to a resting room."""
    every = block.checkin_every
    later = min(2 * every, max(every, LATER_CHECKIN_MAX))
    last_end = max((p.end for p in busy.placed), default=0)
    turn = 0
    k = 1
    due = every
    while True:
        text = block.checkins[min(turn, len(block.checkins) - 1)]
        duration = speech(text)
        earliest = max(due, last_end + LINE_GAP)
        start = busy.first_fit(earliest, duration, length - CHECKIN_TAIL)
        if start is None:
            return
        last_end = busy.put(start, text, duration).end
        turn += 1
        if turn < len(block.checkins):
            k = max(k + 1, -(-last_end // every))
            due = k * every
        else:
            due = start + later


def _place_prompts(block: HoldBlock, length: int, speech: SpeechLength, busy: _Busy) -> None:
    """Breath words where nothing else is said. They always alternate: a prompt is left out
    when the last breath word heard (a movement's or a count's) was the same one."""
    assert block.breath is not None
    inhale, exhale = block.breath
    period = inhale + exhale
    breaths = length // period
    first = block.prompt_breaths
    heard = [(p.start, _breath_word(p.text)) for p in busy.placed]
    for b in range(breaths):
        later = first is not None and b >= first
        if later and (b - first + 1) % SPARSE_PROMPTS:
            continue
        anchors = [(b * period, "inhale", inhale_text())]
        if not block.count:
            anchors.append((b * period + inhale, "exhale", exhale_text()))
        for anchor, word, text in anchors:
            before = [w for t, w in sorted(heard) if t < anchor and w is not None]
            if before and before[-1] == word:
                continue
            duration = speech(text)
            if busy.free(anchor, anchor + duration):
                busy.put(anchor, text, duration)
                heard.append((anchor, word))


def _breath_word(text: str) -> str | None:
    """"inhale" or "exhale" when a line starts with that part of the breath."""
    lowered = text.lower()
    if lowered.startswith(("inhale", "breathe in")):
        return "inhale"
    if lowered.startswith(("exhale", "breathe out")):
        return "exhale"
    return None
