"""``matcast lint``: which sessions to check for the targets given, and the report.

A target is a routine (a name or a ``.yaml`` path), a library folder, a pose file or a
``poses/`` folder (each pose checked as a session of its own), or a built session's
``.cues.json``. The exit code is 0 with no findings and 1 with any; bad input is an error (2).
"""

from __future__ import annotations

import json
from collections import Counter
from collections.abc import Callable
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from matcast.cues import SAMPLE_RATE, CueScript
from matcast.errors import Problem, RoutineError, UsageError
from matcast.lint.poses import alone, is_pose_path, pose_files, pose_sessions
from matcast.lint.rules import RULES, Finding, LintContext, lint_script
from matcast.lint.sessions import Session, describe, lint_built, lint_session, matrix
from matcast.lint.stats import SessionStats, session_stats
from matcast.routine.paths import default_library, resolve_routine, routine_paths


@dataclass
class Checked:
    """One session checked, for the report."""

    routine: str
    label: str
    script: CueScript
    findings: list[Finding]
    stats: SessionStats | None = None
    notes: list[str] = field(default_factory=list)


def clock(samples: int) -> str:
    seconds = samples / SAMPLE_RATE
    return f"{int(seconds // 60):d}:{seconds % 60:04.1f}"


def run(targets: list[str], options: Any, library: Path | None, fmt: str,
        echo: Callable[[str], None]) -> int:
    """Check every target and print the report; returns the exit code.

    ``options`` are CompileOptions when the command line named any, else None for the matrix.
    """
    from matcast.routine.loader import load_routine

    checked: list[Checked] = []
    skipped: list[str] = []
    problems: list[Problem] = []
    for target in targets:
        path = Path(target)
        if path.name.endswith(".json"):
            checked.append(_built(path, library))
            continue
        if is_pose_path(path):
            for file in pose_files(path):
                try:
                    loaded = alone(file)
                except RoutineError as exc:
                    problems.extend(p for p in exc.problems if p not in problems)
                    continue
                sessions = pose_sessions(loaded) if options is None else [
                    Session(loaded, options, describe(options, loaded))]
                for session in sessions:
                    try:
                        script, findings = lint_session(session.loaded, session.options)
                    except UsageError as exc:
                        if not path.is_dir():
                            raise
                        skipped.append(f"pose {file.stem}: skipped ({exc})")
                        continue
                    checked.append(Checked(f"pose {file.stem}", session.label, script,
                                           findings))
            continue
        if path.is_dir():
            files, strict = routine_paths(path), False
        else:
            files, strict = [resolve_routine(target, library)], True
        for file in files:
            try:
                loaded = load_routine(file)
            except RoutineError as exc:
                problems.extend(p for p in exc.problems if p not in problems)
                continue
            sessions = matrix(loaded) if options is None else [
                Session(loaded, options, describe(options, loaded))]
            for session in sessions:
                try:
                    script, findings = lint_session(session.loaded, session.options)
                except UsageError as exc:
                    if strict:
                        raise
                    skipped.append(f"{loaded.slug}: skipped ({exc})")
                    continue
                checked.append(Checked(loaded.slug, session.label, script, findings))
    if fmt == "json":
        echo(json.dumps(_as_json(checked, skipped), indent=2, ensure_ascii=False))
    else:
        for line in _as_text(checked, skipped):
            echo(line)
    if problems:
        raise RoutineError(problems)
    return 1 if any(c.findings for c in checked) else 0


def build_warnings(loaded: Any, script: CueScript) -> list[str]:
    """The findings of a session just built, as warning lines (a build never fails on them)."""
    return [f"warning: {script.routine} {clock(f.start)} {f.rule}: {f.message}"
            + (f' "{f.text}"' if f.text else "") for f in lint_built(loaded, script)]


def _built(path: Path, library: Path | None) -> Checked:
    """A built session: its own timings, the routine's facts if the library has it."""
    from matcast.routine.loader import load_routine

    try:
        data = json.loads(path.read_text(encoding="utf-8"))
        script = CueScript.from_dict(data)
    except OSError as exc:
        raise UsageError(f"cannot read {path}: {exc.strerror}") from None
    except (ValueError, KeyError, TypeError) as exc:
        raise UsageError(f"{path} is not a cue script (.cues.json): {exc}") from None
    folder = library or default_library()
    notes = []
    source = folder / f"{script.routine}.yaml"
    if source.is_file():
        findings = lint_built(load_routine(source), script)
    else:
        findings = lint_script(script, LintContext())
        notes.append(f"routine {script.routine!r} is not in {folder}: checked without its "
                     "pose facts (props, relaxation)")
    label = f"built: {path}"
    return Checked(script.routine, label, script, findings, session_stats(script), notes)


def _as_text(checked: list[Checked], skipped: list[str]) -> list[str]:
    lines: list[str] = []
    for c in checked:
        head = (f"{c.routine} ({c.label}, {clock(c.script.duration)}): "
                f"{_plural(len(c.findings), 'finding')}")
        if not c.findings and c.stats is None and not c.notes:
            continue
        lines.append(head)
        lines += [f"  note: {n}" for n in c.notes]
        for f in c.findings:
            said = f'  "{f.text}"' if f.text else ""
            lines.append(f"  {clock(f.start):>7}  {f.rule:<20} {f.pose or '-':<22} "
                         f"{f.message}{said}")
        if c.stats is not None:
            lines += [f"  {s}" for s in c.stats.lines()]
    lines += skipped
    total = sum(len(c.findings) for c in checked)
    poses = {c.routine for c in checked if c.routine.startswith("pose ")}
    routines = {c.routine for c in checked} - poses
    sources = [_plural(len(routines), "routine")] if routines or not poses else []
    sources += [_plural(len(poses), "pose")] if poses else []
    lines.append(f"checked {_plural(len(checked), 'session')} of "
                 f"{' and '.join(sources)}: {_plural(total, 'finding')}")
    counts = Counter(f.rule for c in checked for f in c.findings)
    lines += [f"  {rule:<20} {counts[rule]}" for rule in RULES if counts[rule]]
    return lines


def _as_json(checked: list[Checked], skipped: list[str]) -> dict[str, Any]:
    counts = Counter(f.rule for c in checked for f in c.findings)
    return {
        "sessions": [{
            "routine": c.routine,
            "label": c.label,
            "options": c.script.options,
            "duration": c.script.duration_seconds,
            "findings": [{"rule": f.rule, "time": round(f.start / SAMPLE_RATE, 3),
                          "pose": f.pose, "text": f.text, "message": f.message}
                         for f in c.findings],
            **({"stats": {"words_per_minute": round(c.stats.words_per_minute, 1),
                          "silence_share": round(c.stats.silence_share, 4),
                          "longest_quiet": round(c.stats.longest_quiet / SAMPLE_RATE, 3),
                          "longest_quiet_at": round(c.stats.longest_quiet_start
                                                    / SAMPLE_RATE, 3)}}
               if c.stats else {}),
            "notes": c.notes,
        } for c in checked],
        "skipped": skipped,
        "totals": {rule: counts[rule] for rule in RULES},
    }


def _plural(n: int, word: str) -> str:
    return f"{n} {word}{'' if n == 1 else 's'}"
