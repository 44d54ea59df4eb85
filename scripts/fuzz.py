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
import io
import json
import shutil
import signal
import sys
import tempfile
import time
import traceback
from collections.abc import Iterator
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import yaml

from fuzz_mutations import LIBRARY, Case, make_case, seed_files
from matcast.routine.paths import routine_paths

ROOT = Path(__file__).resolve().parents[1]
CASES_FILE = ROOT / "tests" / "fuzz_cases.json"
CASE_SECONDS = 20

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
        long = ["--allow-long"] if (duration is not None and duration.default is not None
                                    and duration.default > 240) else []
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
    for path in routine_paths(LIBRARY):
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
