"""The WebVTT file structure, checked line by line against the spec (W3C WebVTT, section 4.1),
so that a broken transcript fails even where node and the W3C parser are not installed.

Covers what matcast writes: the signature and the blank line after it, NOTE blocks, cue blocks
(identifier, timings, payload), timestamps, cue order and the characters a payload must escape.
Returns every problem found, each with its line number, like the W3C validator does.
"""

from __future__ import annotations

import re

TIMESTAMP = r"(?:(\d{2,}):)?([0-5]\d):([0-5]\d)\.(\d{3})"
TIMINGS = re.compile(rf"^{TIMESTAMP}[ \t]+-->[ \t]+{TIMESTAMP}(?:[ \t]+.*)?$")
ENTITY = re.compile(r"&(?:amp|lt|gt|lrm|rlm|nbsp);")


def _seconds(hours: str | None, minutes: str, seconds: str, millis: str) -> float:
    return int(hours or 0) * 3600 + int(minutes) * 60 + int(seconds) + int(millis) / 1000


def webvtt_problems(text: str) -> list[str]:
    """Every way ``text`` breaks the WebVTT file structure (empty when it is valid)."""
    problems: list[str] = []
    if "\r" in text:
        problems.append("line endings: matcast writes \\n only")
    if not text.endswith("\n"):
        problems.append("the file does not end with a line break")
    lines = text.split("\n")
    signature = lines[0]
    if not re.fullmatch(r"WEBVTT(?:[ \t].*)?", signature):
        problems.append(f"line 1: no valid signature: {signature!r}")
    if len(lines) < 2 or lines[1] != "":
        problems.append("line 2: no blank line after the signature")
    blocks: list[tuple[int, list[str]]] = []
    current: list[str] = []
    start = 0
    for number, line in enumerate(lines[2:], start=3):
        if line == "":
            if current:
                blocks.append((start, current))
            current = []
        else:
            if not current:
                start = number
            current.append(line)
    if current:
        blocks.append((start, current))

    identifiers: set[str] = set()
    previous_start = 0.0
    cues = 0
    for first, block in blocks:
        if re.match(r"NOTE(?:$|[ \t])", block[0]):
            if any("-->" in line for line in block):
                problems.append(f"line {first}: a NOTE block must not contain '-->'")
            continue
        if block[0].startswith(("STYLE", "REGION")) and cues == 0:
            continue
        timing_at = 0 if "-->" in block[0] else 1
        if timing_at == 1:
            identifier = block[0]
            if identifier in identifiers:
                problems.append(f"line {first}: cue identifier {identifier!r} is not unique")
            identifiers.add(identifier)
        if len(block) <= timing_at:
            problems.append(f"line {first}: a cue identifier with no timings after it")
            continue
        match = TIMINGS.match(block[timing_at])
        line_no = first + timing_at
        if match is None:
            problems.append(f"line {line_no}: bad cue timings {block[timing_at]!r}")
            continue
        begin = _seconds(*match.group(1, 2, 3, 4))
        end = _seconds(*match.group(5, 6, 7, 8))
        if end <= begin:
            problems.append(f"line {line_no}: the cue ends at or before its start")
        if begin < previous_start:
            problems.append(f"line {line_no}: the cue starts before the cue above it")
        previous_start = begin
        cues += 1
        payload = block[timing_at + 1:]
        if not payload:
            problems.append(f"line {line_no}: a cue with no text")
        for offset, line in enumerate(payload, start=line_no + 1):
            if "-->" in line:
                problems.append(f"line {offset}: '-->' in cue text")
            if "<" in line:
                problems.append(f"line {offset}: an unescaped < in cue text")
            if "&" in ENTITY.sub("", line):
                problems.append(f"line {offset}: an unescaped & in cue text")
    return problems
