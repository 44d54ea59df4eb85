"""The coaching rules: each reads a compiled cue script the way a listener with closed eyes hears
it, and reports what a teacher would not sign off, with the time and the line.

A rule is a plain function ``(script, context) -> findings``, listed by name in :data:`RULES`.
Rules read only the cue script and a few facts about its poses (:class:`LintContext`), so that a
built session's ``.cues.json`` is checked by the same code as a fresh compile.
"""

from __future__ import annotations

import itertools
import re
from collections.abc import Callable, Iterator

from matcast.cues import SAMPLE_RATE, CueScript, Event, EventKind, Side
from matcast.lint.facts import (
    ACTIVE_SILENCE,
    FIRST_MINUTE,
    NUMBERS,
    PROP_WORDS,
    QUIET_CHECKIN,
    RELAXATION_FROM,
    RELAXATION_MIN,
    RELAXATION_SHARE,
    REPEAT_WINDOW,
    SIDE_NOUNS,
    Finding,
    LintContext,
    PoseFacts,
    count_number,
    hold_spans,
    is_breath_word,
)
from matcast.routine.enums import CueSounds, Guidance, Level, Prop

Rule = Callable[[CueScript, LintContext], Iterator[Finding]]
__all__ = ["RULES", "Finding", "LintContext", "PoseFacts", "count_number", "hold_spans",
           "is_breath_word", "lint_script"]


def _speech(script: CueScript) -> Iterator[Event]:
    return (e for e in script.events if e.kind is EventKind.speech and e.text)




def _word(n: int) -> str:
    return NUMBERS[n - 1] if 1 <= n <= len(NUMBERS) else str(n)


def count_from_one(script: CueScript, ctx: LintContext) -> Iterator[Finding]:
    """Counts start at one and run without gaps to the hold's last breath; both sides alike."""
    by_side: dict[tuple[str | None, Side], list[int]] = {}
    for span in hold_spans(script):
        counts = span.counts()
        if not counts:
            continue
        numbers = [n for _, n in counts]
        if span.side is not None:
            by_side.setdefault((span.pose, span.side), numbers)
        first, n = counts[0]
        if n != 1:
            yield Finding("count-from-one", first.start, span.pose, first.text,
                          f"the count starts at {_word(n)}, not one")
        for (_, a), (event, b) in itertools.pairwise(counts):
            if b != a + 1:
                yield Finding("count-from-one", event.start, span.pose, event.text,
                              f"the count goes from {_word(a)} to {_word(b)}")
                break
        length = span.end - span.start
        if ctx.breath and length % ctx.breath == 0 and numbers[-1] != length // ctx.breath:
            last = counts[-1][0]
            yield Finding("count-from-one", last.start, span.pose, last.text,
                          f"the count ends at {_word(numbers[-1])} in a hold of "
                          f"{_word(length // ctx.breath)} breaths")
    for (pose, side), numbers in by_side.items():
        if side is Side.left and (pose, Side.right) in by_side:
            right = by_side[(pose, Side.right)]
            if numbers != right:
                span = next(s for s in hold_spans(script) if (s.pose, s.side) == (pose, side))
                yield Finding("count-from-one", span.start, pose, None,
                              f"the sides are counted differently: right {_range(right)}, "
                              f"left {_range(numbers)}")


def _range(numbers: list[int]) -> str:
    return f"{_word(numbers[0])} to {_word(numbers[-1])}" if numbers else "none"


_RIGHT = re.compile(r"\bright\b(-)?", re.IGNORECASE)
_WORD = re.compile(r"[A-Za-z']+")


def right_meaning_directly(script: CueScript, ctx: LintContext) -> Iterator[Finding]:
    """In a session with left and right sides, "right" is a side, never "directly" or "now"."""
    if not any(e.side is not None for e in script.events):
        return
    for event in _speech(script):
        text = event.text or ""
        for match in _RIGHT.finditer(text):
            if match.group(1):  # right-hand, right-side
                continue
            before = _WORD.findall(text[:match.start()])
            after = _WORD.findall(text[match.end():])
            if (before and before[-1].lower() in ("the", "your")) or (
                    after and after[0].lower() in SIDE_NOUNS):
                continue
            following = after[0] if after else ""
            yield Finding("right-directly", event.start, event.pose, text,
                          f'"right {following}" is not a side: a listener hears left and '
                          "right; say it another way")
            break


def _words(text: str) -> list[str]:
    cleaned = text.lower().replace("\u2019", "'").replace("'", "")
    return [w for w in re.sub(r"[^a-z0-9]+", " ", cleaned).split() if w != "pose"]


def _says(text: str, name: str) -> bool:
    words, target = _words(text), _words(name)
    n = len(target)
    return n > 0 and any(words[i:i + n] == target for i in range(len(words) - n + 1))


def unannounced_pose(script: CueScript, ctx: LintContext) -> Iterator[Finding]:
    """Each pose is named before its first hold (or in the hold's first line)."""
    for chapter in script.chapters:
        if chapter.pose is None:
            continue
        events = [e for e in script.events if chapter.start <= e.start < chapter.end]
        first_hold = next((i for i, e in enumerate(events) if e.hold), len(events))
        heard = [e for e in events[:first_hold] if e.kind is EventKind.speech]
        opening = next((e for e in events[first_hold:] if e.kind is EventKind.speech), None)
        if opening is not None:
            heard.append(opening)
        if not any(_says(e.text or "", chapter.title) for e in heard):
            yield Finding("unannounced-pose", chapter.start, chapter.pose, None,
                          f"{chapter.title!r} starts without its name being said")


def unannounced_switch(script: CueScript, ctx: LintContext) -> Iterator[Finding]:
    """When the side changes from one hold to the next, the new side is named in between."""
    spans = hold_spans(script)
    for a, b in itertools.pairwise(spans):
        if a.side is None or b.side is None or a.side is b.side:
            continue
        between = [e for e in script.events if a.end <= e.start < b.start
                   and e.kind is EventKind.speech]
        if not any(re.search(rf"\b{b.side.value}\b", e.text or "", re.IGNORECASE)
                   for e in between):
            first = next((e for e in b.events if e.kind is EventKind.speech), b.events[0])
            yield Finding("unannounced-switch", b.start, b.pose, first.text,
                          f"the {b.side.value} side starts with no cue on how to switch sides")


def _mentions(text: str, prop: Prop) -> bool:
    return any(re.search(rf"\b{word}s?\b", text, re.IGNORECASE) for word in PROP_WORDS[prop])


def props_named_up_front(script: CueScript, ctx: LintContext) -> Iterator[Finding]:
    """Every prop the session uses is named in its first minute."""
    early = [e for e in _speech(script) if e.start < FIRST_MINUTE]
    named = {p for p in Prop if any(_mentions(e.text or "", p) for e in early)}
    reported: set[Prop] = set()
    for event in _speech(script):
        if event.start < FIRST_MINUTE:
            continue
        for prop in Prop:
            if prop not in named and prop not in reported and _mentions(event.text or "", prop):
                reported.add(prop)
                yield Finding("props-up-front", event.start, event.pose, event.text,
                              f"asks for a {prop.value} that the first minute did not name")
    for chapter in script.chapters:
        facts = ctx.poses.get(chapter.pose or "")
        for prop in sorted(facts.props if facts else (), key=list(Prop).index):
            if prop not in named and prop not in reported:
                reported.add(prop)
                yield Finding("props-up-front", chapter.start, chapter.pose, None,
                              f"{chapter.title!r} uses a {prop.value} that the first minute "
                              "did not name")


def relaxation_floor(script: CueScript, ctx: LintContext) -> Iterator[Finding]:
    """A session of 15 minutes or more ends with a relaxation of >= 10% and >= 2 minutes."""
    if script.duration < RELAXATION_FROM:
        return
    poses = [c for c in script.chapters if c.pose is not None]
    last = poses[-1] if poses else None
    facts = ctx.poses.get(last.pose or "") if last else None
    if last is None or facts is None or not facts.relaxation:
        yield Finding("relaxation-floor", last.start if last else 0,
                      last.pose if last else None, None,
                      "a session of 15 minutes or more has no final relaxation")
        return
    held = sum(e.length for e in script.events
               if e.hold and e.pose == last.pose and last.start <= e.start < last.end)
    floor = max(round(script.duration * RELAXATION_SHARE), RELAXATION_MIN)
    if held < floor:
        yield Finding("relaxation-floor", last.start, last.pose, None,
                      f"the final relaxation lasts {held / SAMPLE_RATE:.0f} s; a "
                      f"{script.duration_seconds / 60:.0f}-minute session keeps at least "
                      f"{floor / SAMPLE_RATE:.0f} s")


def _quiet_on_purpose(ctx: LintContext) -> bool:
    return ctx.guidance is Guidance.quiet or ctx.cues is CueSounds.chimes_in_holds


def _stretches(events: list[Event]) -> Iterator[tuple[int, int, Event]]:
    """Stretches with no speech: (start, end, first event)."""
    start: int | None = None
    first: Event | None = None
    for event in events:
        if event.kind is EventKind.speech:
            if start is not None and first is not None:
                yield start, event.start, first
            start = first = None
        elif start is None:
            start, first = event.start, event
    if start is not None and first is not None:
        yield start, events[-1].end, first


def silent_active_pose(script: CueScript, ctx: LintContext) -> Iterator[Finding]:
    """An active pose never goes more than 60 s without a word."""
    if _quiet_on_purpose(ctx):
        return
    for start, end, first in _stretches(list(script.events)):
        facts = ctx.poses.get(first.pose or "")
        if first.pose is None or (facts is not None and facts.relaxation):
            continue
        if end - start > ACTIVE_SILENCE:
            yield Finding("silent-active", start, first.pose, None,
                          f"{(end - start) / SAMPLE_RATE:.0f} s without a word in an active "
                          "pose")


def quiet_hold_checkin(script: CueScript, ctx: LintContext) -> Iterator[Finding]:
    """A quiet hold (no breath guidance) has a check-in at least every three minutes."""
    if _quiet_on_purpose(ctx):
        return
    for span in hold_spans(script):
        if not span.quiet:
            continue
        for start, end, _ in _stretches(span.events):
            if end - start > QUIET_CHECKIN:
                yield Finding("quiet-checkin", start, span.pose, None,
                              f"{(end - start) / SAMPLE_RATE / 60:.1f} minutes of quiet hold "
                              "without a check-in")


def repeated_line(script: CueScript, ctx: LintContext) -> Iterator[Finding]:
    """The same line is not said twice within 30 s (breath prompts and counts aside)."""
    last: dict[str, int] = {}
    for event in _speech(script):
        if is_breath_word(event.text):
            continue
        key = " ".join(_words(event.text or ""))
        before = last.get(key)
        if before is not None and event.start - before < REPEAT_WINDOW:
            yield Finding("repeated-line", event.start, event.pose, event.text,
                          f"said {(event.start - before) / SAMPLE_RATE:.0f} s ago as well")
        last[key] = event.start


def caution_alternative(script: CueScript, ctx: LintContext) -> Iterator[Finding]:
    """A caution that rules a pose out points to a version published beside the episode."""
    if ctx.level is Level.gentle or ctx.gentle_published:
        return
    cautions = {text for facts in ctx.poses.values() for text in facts.alternative_cautions}
    for event in _speech(script):
        if event.text in cautions:
            yield Finding("caution-alternative", event.start, event.pose, event.text,
                          "this caution rules the pose out, but the routine publishes no "
                          "gentle version (add the variant {level: gentle})")


def gentle_inversion(script: CueScript, ctx: LintContext) -> Iterator[Finding]:
    """A gentle session has no inversions."""
    if ctx.level is not Level.gentle:
        return
    for chapter in script.chapters:
        facts = ctx.poses.get(chapter.pose or "")
        if facts is not None and facts.inversion:
            yield Finding("gentle-inversion", chapter.start, chapter.pose, None,
                          f"{chapter.title!r} is an inversion in a gentle session: give it a "
                          "caution with a gentler alternative")


RULES: dict[str, Rule] = {
    "count-from-one": count_from_one,
    "right-directly": right_meaning_directly,
    "unannounced-pose": unannounced_pose,
    "unannounced-switch": unannounced_switch,
    "props-up-front": props_named_up_front,
    "relaxation-floor": relaxation_floor,
    "silent-active": silent_active_pose,
    "quiet-checkin": quiet_hold_checkin,
    "repeated-line": repeated_line,
    "caution-alternative": caution_alternative,
    "gentle-inversion": gentle_inversion,
}
"""Every rule, by name, in the order findings are reported."""


def lint_script(script: CueScript, ctx: LintContext | None = None) -> list[Finding]:
    """Every finding of every rule, in time order."""
    ctx = ctx or LintContext()
    found = [f for rule in RULES.values() for f in rule(script, ctx)]
    order = list(RULES)
    return sorted(found, key=lambda f: (f.start, order.index(f.rule)))
