"""Assigning times: a plan, speech lengths and hold lengths become a timed cue script.

Events tile the timeline from sample 0: every span is speech, a chime or silence, and adjacent
silences of the same pose, side and hold-ness are merged. Chapters run from one chapter mark to the
next, so they tile the session too.
"""

from __future__ import annotations

from matcast.compiler.fit import Lengths
from matcast.compiler.holds import LINE_GAP, layout, lead_in
from matcast.compiler.plan import Bell, ChapterMark, HoldBlock, Plan, Rest, Say
from matcast.compiler.speech import SpeechLength
from matcast.cues import CHIME_SAMPLES, Chapter, CueScript, Event, EventKind, Side


class _Timeline:
    def __init__(self) -> None:
        self.events: list[Event] = []
        self.t = 0

    def speech(self, length: int, text: str, pose: str | None, side: Side | None,
               hold: bool = False) -> None:
        self._add(Event(self.t, self.t + length, EventKind.speech, text, pose, side, hold))

    def silence(self, length: int, pose: str | None, side: Side | None,
                hold: bool = False) -> None:
        if length <= 0:
            return
        last = self.events[-1] if self.events else None
        if (last is not None and last.kind is EventKind.silence and last.pose == pose
                and last.side == side and last.hold == hold):
            self.events[-1] = Event(last.start, last.end + length, EventKind.silence, None,
                                    pose, side, hold)
            self.t += length
            return
        self._add(Event(self.t, self.t + length, EventKind.silence, None, pose, side, hold))

    def _add(self, event: Event) -> None:
        self.events.append(event)
        self.t = event.end


def schedule(plan: Plan, lengths: Lengths, speech: SpeechLength) -> CueScript:
    """Time every segment of ``plan`` in order."""
    line = _Timeline()
    marks: list[tuple[int, ChapterMark]] = []
    for seg in plan.segments:
        match seg:
            case ChapterMark():
                marks.append((line.t, seg))
            case Say(text=text, pause=pause, pose=pose, side=side):
                line.speech(speech(text), text, pose, side)
                line.silence(pause, pose, side)
            case Rest():
                line.silence(lengths.rest(seg), seg.pose, None)
            case Bell(kind=kind, pose=pose, side=side):
                line._add(Event(line.t, line.t + CHIME_SAMPLES[kind], EventKind.chime, None,
                                pose, side, False, kind))
            case HoldBlock():
                _hold(line, seg, lengths.holds[seg.spec.key], speech)
    end = line.t
    chapters = [
        Chapter(mark.title, start, marks[i + 1][0] if i + 1 < len(marks) else end, mark.pose)
        for i, (start, mark) in enumerate(marks)
    ]
    # A chapter with nothing in it (an intro with no lines still has its chime) is dropped.
    chapters = [c for c in chapters if c.end > c.start]
    return CueScript(plan.routine, plan.title, tuple(line.events), tuple(chapters),
                     dict(plan.options))


def _hold(line: _Timeline, block: HoldBlock, length: int, speech: SpeechLength) -> None:
    # A line too long to fit between two counts is said just before the hold starts.
    for text in lead_in(block, speech):
        line.speech(speech(text), text, block.pose, block.side)
        line.silence(LINE_GAP, block.pose, block.side)
    start = line.t
    for placed in layout(block, length, speech):
        line.silence(start + placed.start - line.t, block.pose, block.side, True)
        line.speech(placed.end - placed.start, placed.text, block.pose, block.side, True)
    line.silence(start + length - line.t, block.pose, block.side, True)
