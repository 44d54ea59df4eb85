"""A mutation fuzzer over the shipped library: no routine, pose or library file, however broken,
may get a traceback (or a hang) out of ``matcast validate`` or ``matcast compile``.

    python scripts/fuzz.py [--cases 2000] [--seed 1] [--save] [--show CASE]

Each case takes one shipped file (a routine, a pose or library.yaml), applies one to three
mutations, writes it into a scratch copy of the library, and runs the real command line
in-process: ``validate`` on the file, then, when validate accepts the routine, ``compile
--format json`` in each of its styles. The mutations: keys deleted, duplicated, reordered and
misspelt; values swapped for another type, for huge or tiny numbers, or for text with control,
invisible, bidirectional and non-Latin characters; anchors and aliases (shared and
self-referencing); YAML tags (core tags on values that do not fit them, unknown tags, Python
tags); truncation, flipped bytes, broken indentation and deep nesting.

A case fails when:

- **crash**: anything but a clean exit (0, or 2 with a message), e.g. a traceback;
- **hang**: a case takes more than 20 seconds;
- **unlocated**: validate refuses a file with a problem that has no line, although the file
  could be read (only a folder, an empty file or a link has no line to point at);
- **slipped**: validate accepts a routine that compile then refuses, or a compiled session
  speaks a line with no words in it.

Cases are seeded: ``--seed S`` case N is always the same document, and ``--show N`` prints it.
``--save`` adds each crash, hang or slip (one per distinct failure) to tests/fuzz_cases.json,
which tests/test_fuzz_mutations.py replays in the default suite. Exit code 1 if any case failed.
"""

from __future__ import annotations

import argparse
import base64
import contextlib
import copy
import io
import json
import random
import shutil
import signal
import sys
import tempfile
import time
import traceback
from collections.abc import Callable, Iterator
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import yaml

ROOT = Path(__file__).resolve().parents[1]
LIBRARY = ROOT / "routines"
CASES_FILE = ROOT / "tests" / "fuzz_cases.json"
CASE_SECONDS = 20

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
    names = [p.name for p in sorted(LIBRARY.glob("*.yaml"))]
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


# --- running ---------------------------------------------------------------------------------

@dataclass
class Result:
    kind: str
    """ok, refused, crash, hang, unlocated or slipped."""
    detail: str = ""
    signature: str = ""
    """What distinguishes this failure from others (exception type and where it was raised)."""
    steps: list[str] = field(default_factory=list)


class _Timeout(Exception):
    pass


@contextlib.contextmanager
def _deadline(seconds: int) -> Iterator[None]:
    def fire(signum: int, frame: Any) -> None:
        raise _Timeout

    old = signal.signal(signal.SIGALRM, fire)
    signal.alarm(seconds)
    try:
        yield
    finally:
        signal.alarm(0)
        signal.signal(signal.SIGALRM, old)


def cli(*args: str) -> tuple[int, str, str]:
    """Run ``matcast ARGS`` in-process: exit code, stdout, stderr. Exceptions other than the
    CLI's own exits propagate: they are the crashes this fuzzer looks for."""
    from matcast.cli import main

    out, err = io.StringIO(), io.StringIO()
    argv = sys.argv
    sys.argv = ["matcast", *args]
    try:
        with contextlib.redirect_stdout(out), contextlib.redirect_stderr(err):
            main()
        code = 0
    except SystemExit as exc:
        code = exc.code if isinstance(exc.code, int) else (1 if exc.code else 0)
    finally:
        sys.argv = argv
    return code, out.getvalue(), err.getvalue()


def run_case(library: Path, case: Case, users: dict[str, list[str]]) -> Result:
    """Write ``case`` into the scratch ``library``, run validate and compile, judge the outcome."""
    target = library / case.file
    original = target.read_bytes()
    target.write_bytes(case.document)
    try:
        with _deadline(CASE_SECONDS):
            return _judge(library, case, users)
    except _Timeout:
        return Result("hang", f"over {CASE_SECONDS} s", "hang")
    except Exception as exc:  # the property: nothing but a clean exit
        frames = traceback.extract_tb(exc.__traceback__)
        last = frames[-1] if frames else None
        where = f"{Path(last.filename).name}:{last.lineno}" if last else "?"
        detail = "".join(traceback.format_exception_only(type(exc), exc)).strip()
        return Result("crash", f"{detail} (at {where})", f"{type(exc).__name__} at {where}")
    finally:
        target.write_bytes(original)


def _judge(library: Path, case: Case, users: dict[str, list[str]]) -> Result:
    routine = case.file if "/" not in case.file and case.file != "library.yaml" else None
    routines = [routine] if routine else users.get(case.file, [])[:1]
    code, _out, err = cli("validate", str(library / case.file),
                          *(str(library / r) for r in routines if r != case.file))
    if code not in (0, 2) or (code == 2 and not err.startswith("error: ")):
        return Result("crash", f"validate exit {code}: {err[-300:]}", f"validate exit {code}")
    if code == 2:
        return _located(err)
    from matcast.routine.loader import load_routine

    for name in routines:
        duration = load_routine(library / name).routine.duration
        long = ["--allow-long"] if duration is not None and duration.default > 240 else []
        code, out, err = cli("compile", str(library / name), "--format", "json", *long)
        if code != 0:
            return Result("slipped", f"validate accepted {name}, compile refused it: "
                          f"{err.strip()[:300]}", "validate accepts, compile refuses")
        script = json.loads(out)
        for event in script["events"]:
            if event["kind"] == "speech" and not any(c.isalnum() for c in event["text"] or ""):
                return Result("slipped", f"speaks {event['text']!r}", "speaks no words")
    return Result("ok")


def _located(err: str) -> Result:
    """A refusal: every problem of a file that could be read has a line."""
    for line in err.splitlines()[1:]:
        if line.startswith("    hint:"):
            continue
        head = line.split(": ", 1)[0]
        unlocated = not any(part.isdigit() for part in head.rsplit(":", 2)[1:])
        whole_file = any(s in line for s in ("file is empty", "is a link", "no such file",
                                              "file not found", "is a folder"))
        if unlocated and not whole_file:
            return Result("unlocated", line[:300], "problem without a line")
    return Result("refused")


def pose_users() -> dict[str, list[str]]:
    """For each pose file and library.yaml, the routines that read it."""
    users: dict[str, list[str]] = {}
    for path in sorted(LIBRARY.glob("*.yaml")):
        if path.name == "library.yaml":
            continue
        users.setdefault("library.yaml", []).append(path.name)
        for ref in yaml.safe_load(path.read_text(encoding="utf-8"))["sequence"]:
            for pose in [ref["pose"], *ref.get("variations", {}).values()]:
                users.setdefault(f"poses/{pose}.yaml", []).append(path.name)
    return users


def scratch_library() -> Path:
    root = Path(tempfile.mkdtemp(prefix="matcast-fuzz-"))
    shutil.copytree(LIBRARY, root / "routines")
    return root / "routines"


def save(cases: list[tuple[Case, Result]]) -> int:
    """Add failing cases to tests/fuzz_cases.json, one per signature not kept already."""
    kept = json.loads(CASES_FILE.read_text()) if CASES_FILE.is_file() else []
    known = {c["signature"] for c in kept}
    added = 0
    for case, result in cases:
        if result.signature in known:
            continue
        known.add(result.signature)
        try:
            document: dict[str, str] = {"text": case.document.decode("utf-8")}
        except UnicodeDecodeError:
            document = {"base64": base64.b64encode(case.document).decode()}
        kept.append({"file": case.file, **document, "found": result.detail,
                     "signature": result.signature, "steps": result.steps})
        added += 1
    CASES_FILE.write_text(json.dumps(kept, indent=1, ensure_ascii=True) + "\n")
    return added


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--cases", type=int, default=2000)
    parser.add_argument("--seed", type=int, default=1)
    parser.add_argument("--save", action="store_true",
                        help="keep each distinct failure in tests/fuzz_cases.json")
    parser.add_argument("--show", type=int, metavar="CASE", help="print one case's document")
    args = parser.parse_args()
    files = seed_files()
    if args.show is not None:
        case = make_case(args.seed, args.show, files)
        print(f"# {case.file}: {'; '.join(case.steps)}")
        sys.stdout.buffer.write(case.document)
        return 0
    library = scratch_library()
    users = pose_users()
    counts: dict[str, int] = {}
    failures: list[tuple[Case, Result]] = []
    started = time.perf_counter()
    try:
        for number in range(args.cases):
            case = make_case(args.seed, number, files)
            result = run_case(library, case, users)
            result.steps = case.steps
            counts[result.kind] = counts.get(result.kind, 0) + 1
            if result.kind not in ("ok", "refused"):
                failures.append((case, result))
                print(f"case {number} ({case.file}; {'; '.join(case.steps)}): "
                      f"{result.kind}: {result.detail}", flush=True)
    finally:
        shutil.rmtree(library.parent, ignore_errors=True)
    took = time.perf_counter() - started
    summary = ", ".join(f"{counts.get(k, 0)} {k}" for k in
                        ("ok", "refused", "crash", "hang", "unlocated", "slipped"))
    print(f"{args.cases} cases (seed {args.seed}) in {took:.0f} s: {summary}")
    signatures = sorted({r.signature for _, r in failures})
    for signature in signatures:
        print(f"  distinct failure: {signature}")
    if args.save and failures:
        print(f"kept {save(failures)} new case(s) in {CASES_FILE.relative_to(ROOT)}")
    return 1 if failures else 0


if __name__ == "__main__":
    sys.exit(main())
