"""The mutations of scripts/fuzz.py: how a shipped file is broken into a fuzz case.

A case is seeded (seed and case number), so the same numbers always give the same document.
"""

from __future__ import annotations

import copy
import random
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import yaml

from matcast.routine.paths import routine_paths

LIBRARY = Path(__file__).resolve().parents[1] / "routines"


# --- values the mutations put in -------------------------------------------------------------

STRANGE_TEXT = [
    "\x00", "\x07", "\x1b[31m", "\x7f", "\x85", "\u200b", "\u200d", "\u2060", "\ufeff", "\u00ad",
    "\u202e", "\u2066", "\u2028", "\u3000", "\u00a0", "\ud800", "\U0001f9d8", "e\u0301",
    "\u0645\u0631\u062d\u0628\u0627", "\u4f60\u597d", "{", "}", "{side}", "{sid}", "{{side}}",
    "<speak>", "&amp;", "<script>alert(1)</script>", "\\", "'", '"', "%s", "\t", "\n", "   ",
    "", "javascript:alert(1)", "https://example.org/a b", "a" * 1200,
]
NUMBERS: list[Any] = [
    0, -1, 1, 2**31, 2**63, -(2**63), 10**400, 1e308, -1e308, 1.7976931348623157e308, 5e-324,
    1e-320, -0.0, 0.5, 3.999999999, 720.0001, 600.0, 3600, 1e6, float("inf"), float("nan"),
]
OTHER_VALUES: list[Any] = [None, True, False, [], {}, ["x"], {"say": "x"}, "text", "5", "1e308"]
TAGS = ["!!int", "!!float", "!!bool", "!!null", "!!str", "!!binary", "!!timestamp", "!!set",
        "!!omap", "!!seq", "!!map", "!custom", "!", "!!python/object:os.system",
        "!!python/name:os.system", "!<tag:yaml.org,2002:int>"]
NUMBER_TEXT = ["1e308", "1.0e+308", "-1e308", "1e999", "9" * 400, "9" * 5000, "0x7fffffffffff",
               "0o777", "0b101", "1_000", "1:30", ".inf", "-.inf", ".nan", "1e-400", "+12",
               "0.0000001", "12e", "1__2", "0x", "190:20:30"]


# --- the mutations ---------------------------------------------------------------------------

Slot = tuple[Any, Any]
"""A container and a key (or index) in it."""


def _slots(data: Any) -> list[Slot]:
    found: list[Slot] = []

    def walk(node: Any, depth: int) -> None:
        if depth > 12:
            return
        items = node.items() if isinstance(node, dict) else enumerate(node) if isinstance(
            node, list) else ()
        for key, value in list(items):
            found.append((node, key))
            walk(value, depth + 1)

    walk(data, 0)
    return found


def _containers(data: Any) -> list[Any]:
    return [c[k] for c, k in _slots(data) if isinstance(c[k], dict | list)]


def tree_delete_key(rng: random.Random, data: Any) -> str:
    slots = [(c, k) for c, k in _slots(data) if isinstance(c, dict)]
    if not slots:
        return "nothing to delete"
    container, key = rng.choice(slots)
    del container[key]
    return f"delete {key!r}"


def tree_reorder(rng: random.Random, data: Any) -> str:
    maps = [c for c in [data, *_containers(data)] if isinstance(c, dict) and len(c) > 1]
    if not maps:
        return "nothing to reorder"
    mapping = rng.choice(maps)
    items = list(mapping.items())
    rng.shuffle(items)
    mapping.clear()
    mapping.update(items)
    return "reorder keys"


def tree_swap_type(rng: random.Random, data: Any) -> str:
    slots = _slots(data)
    if not slots:
        return "nothing to swap"
    container, key = rng.choice(slots)
    value = rng.choice(OTHER_VALUES + NUMBERS[:8] + [rng.choice(STRANGE_TEXT)])
    container[key] = copy.deepcopy(value)
    return f"{key!r} = {value!r:.40}"


def tree_number(rng: random.Random, data: Any) -> str:
    slots = [(c, k) for c, k in _slots(data) if isinstance(c[k], int | float)
             and not isinstance(c[k], bool)] or _slots(data)
    if not slots:
        return "nothing to renumber"
    container, key = rng.choice(slots)
    container[key] = rng.choice(NUMBERS)
    return f"{key!r} = {container[key]!r:.40}"


def tree_unicode(rng: random.Random, data: Any) -> str:
    slots = [(c, k) for c, k in _slots(data) if isinstance(c[k], str)]
    if not slots:
        return "no text"
    container, key = rng.choice(slots)
    text = container[key]
    strange = rng.choice(STRANGE_TEXT)
    mode = rng.randrange(3)
    at = rng.randint(0, len(text))
    container[key] = (strange if mode == 0 else text[:at] + strange + text[at:] if mode == 1
                      else strange * rng.randint(1, 40))
    return f"{key!r} text {strange!r:.20}"


def tree_alias(rng: random.Random, data: Any) -> str:
    containers = _containers(data)
    slots = _slots(data)
    if not containers or not slots:
        return "no alias"
    target = rng.choice(containers)
    if rng.random() < 0.2 and isinstance(target, list):
        target.append(target)  # self-referencing: &id [*id]
        return "self-reference"
    container, key = rng.choice(slots)
    container[key] = target
    return f"alias into {key!r}"


def tree_grow(rng: random.Random, data: Any) -> str:
    lists = [c for c in _containers(data) if isinstance(c, list) and c]
    if not lists:
        return "no list"
    items = rng.choice(lists)
    items.extend(copy.deepcopy(items) * rng.choice([2, 10, 60]))
    return f"grow a list to {len(items)}"


def tree_wrap(rng: random.Random, data: Any) -> str:
    slots = _slots(data)
    if not slots:
        return "nothing to wrap"
    container, key = rng.choice(slots)
    container[key] = rng.choice([[container[key]], {"say": container[key]}, {key: container[key]}])
    return f"wrap {key!r}"


def text_duplicate_line(rng: random.Random, text: str) -> str:
    lines = text.splitlines(keepends=True)
    keyed = [i for i, line in enumerate(lines) if ":" in line] or list(range(len(lines)))
    if not keyed:
        return text
    i = rng.choice(keyed)
    lines.insert(rng.choice([i, i + 1, len(lines)]), lines[i])
    return "".join(lines)


def text_swap_lines(rng: random.Random, text: str) -> str:
    lines = text.splitlines(keepends=True)
    if len(lines) < 2:
        return text
    i, j = rng.sample(range(len(lines)), 2)
    lines[i], lines[j] = lines[j], lines[i]
    return "".join(lines)


def text_tag(rng: random.Random, text: str) -> str:
    spots = [i + 2 for i in range(len(text) - 2) if text[i:i + 2] in (": ", "- ")]
    if not spots:
        return text
    at = rng.choice(spots)
    return text[:at] + rng.choice(TAGS) + " " + text[at:]


def text_number(rng: random.Random, text: str) -> str:
    spots = [i + 2 for i in range(len(text) - 2) if text[i:i + 2] == ": "]
    if not spots:
        return text
    at = rng.choice(spots)
    end = min((text.find(c, at) for c in ",}\n" if text.find(c, at) >= 0), default=len(text))
    return text[:at] + rng.choice(NUMBER_TEXT) + text[end:]


def text_anchor(rng: random.Random, text: str) -> str:
    spots = [i + 2 for i in range(len(text) - 2) if text[i:i + 2] == ": "]
    if len(spots) < 2:
        return text
    first, second = sorted(rng.sample(spots, 2))
    if rng.random() < 0.5:
        first, second = second, first  # an alias before its anchor
    end = text.find("\n", second)
    end = len(text) if end < 0 else end
    text = text[:second] + "*a" + text[end:]
    return text[:first] + "&a " + text[first:] if first < second else (
        text[:second] + text[second:].replace(": ", ": &a ", 1))


def text_truncate(rng: random.Random, text: str) -> str:
    return text[:rng.randint(0, max(0, len(text) - 1))]


def text_indent(rng: random.Random, text: str) -> str:
    lines = text.splitlines(keepends=True)
    if not lines:
        return text
    i = rng.randrange(len(lines))
    change = rng.choice([" ", "  ", "\t", "-1", "-2"])
    if change.startswith("-"):
        lines[i] = lines[i][int(change[1:]):] if lines[i].startswith(" ") else lines[i]
    else:
        lines[i] = change + lines[i]
    return "".join(lines)


def text_nest(rng: random.Random, text: str) -> str:
    spots = [i + 2 for i in range(len(text) - 2) if text[i:i + 2] == ": "]
    if not spots:
        return text
    at = rng.choice(spots)
    depth = rng.choice([38, 39, 40, 41, 100, 2000])
    end = text.find("\n", at)
    end = len(text) if end < 0 else end
    return text[:at] + "[" * depth + text[at:end] + "]" * depth + text[end:]


def text_key_typo(rng: random.Random, text: str) -> str:
    spots = [i for i in range(1, len(text)) if text[i] == ":" and text[i - 1].isalpha()]
    if not spots:
        return text
    at = rng.choice(spots) - 1
    return text[:at] + rng.choice("xqz_-é") + text[at + 1:]


TREE: list[Callable[[random.Random, Any], str]] = [
    tree_delete_key, tree_reorder, tree_swap_type, tree_number, tree_unicode, tree_alias,
    tree_grow, tree_wrap]
TEXT: list[Callable[[random.Random, str], str]] = [
    text_duplicate_line, text_swap_lines, text_tag, text_number, text_anchor, text_truncate,
    text_indent, text_nest, text_key_typo]


def _bytes_flip(rng: random.Random, raw: bytes) -> bytes:
    data = bytearray(raw)
    for _ in range(rng.randint(1, 4)):
        at = rng.randrange(len(data) + 1)
        data[at:at] = bytes([rng.choice([0, 7, 9, 13, 0x80, 0xC3, 0xFE, 0xFF, rng.randrange(256)])])
    return bytes(data)


# --- cases -----------------------------------------------------------------------------------

@dataclass
class Case:
    number: int
    file: str
    """The library file replaced, relative to the library."""
    steps: list[str]
    document: bytes


def seed_files() -> list[str]:
    # Routines and library.yaml; published.yaml is the build's record, not hand-written input.
    names = sorted([p.name for p in routine_paths(LIBRARY)] + ["library.yaml"])
    poses = [f"poses/{p.name}" for p in sorted((LIBRARY / "poses").glob("*.yaml"))]
    return names + poses


def make_case(seed: int, number: int, files: list[str]) -> Case:
    rng = random.Random(f"{seed}:{number}")
    name = rng.choice(files)
    original = (LIBRARY / name).read_text(encoding="utf-8")
    steps: list[str] = []
    text = original
    if rng.random() < 0.6:
        data = yaml.safe_load(original)
        for _ in range(rng.randint(1, 2)):
            op = rng.choice(TREE)
            steps.append(f"{op.__name__}: {op(rng, data)}")
        text = yaml.safe_dump(data, allow_unicode=rng.random() < 0.5, sort_keys=False,
                              width=rng.choice([80, 10_000]))
    for _ in range(rng.randint(0 if steps else 1, 2)):
        op = rng.choice(TEXT)
        steps.append(op.__name__)
        text = op(rng, text)
    raw = text.encode("utf-8", "surrogatepass")
    if rng.random() < 0.08:
        steps.append("flip bytes")
        raw = _bytes_flip(rng, raw)
    return Case(number, name, steps, raw)
