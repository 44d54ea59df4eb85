"""``matcast validate``: everything a build would refuse, found before any build.

(A library's pronunciation lexicon, ``lexicon.yaml``, is checked with it.)

Beyond reading every file (the loader's checks, a library's ``published.yaml`` included), a
routine is compiled the ways it declares it can be built: in each of its styles, at the default,
shortest and longest length of its ``duration``, and as each of its variants. A library folder is
also checked as a whole: links out of it, and two routines publishing the same episode slug.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from matcast.errors import Problem, RoutineError, UsageError
from matcast.routine.files import file_link, library_link, poses_link
from matcast.routine.loader import (
    POSES_DIR,
    LoadedRoutine,
    load_library_config,
    load_pose,
    load_routine,
)
from matcast.routine.paths import LEXICON, LIBRARY_CONFIG, PUBLISHED, routine_paths
from matcast.routine.yamlsrc import YamlDoc, YamlProblems, read_yaml


@dataclass
class Report:
    """What ``validate`` checked and found."""

    checked: int = 0
    problems: list[Problem] = field(default_factory=list)

    def add(self, problems: list[Problem]) -> None:
        self.problems.extend(p for p in problems if p not in self.problems)


def validate_paths(paths: list[Path]) -> Report:
    """Check routine files, pose files, library configs and whole library folders."""
    report = Report()
    for path in paths:
        if path.is_dir():
            _folder(path, report)
        elif path.is_file() or path.suffix in (".yaml", ".yml"):
            is_pose = path.parent.name == POSES_DIR
            library = path.parent.parent if is_pose else path.parent
            _file(path, library, is_pose, report)
        else:
            report.add([Problem(path, None, None, "", "no such file or folder")])
    files = list(dict.fromkeys(p.path for p in report.problems))
    report.problems.sort(key=lambda p: (files.index(p.path), p.line or 0, p.column or 0))
    return report


def _folder(path: Path, report: Report) -> None:
    link = library_link(path)
    if link is not None:
        report.checked += 1
        report.add([link])
        return
    if path.name == POSES_DIR:
        for pose in sorted(path.glob("*.yaml")):
            _file(pose, path.parent, True, report)
        return
    if not any(path.glob("*.yaml")) and not (path / POSES_DIR).is_dir():
        report.add([Problem(path, None, None, "", "no routine, pose or library files in this "
                            "folder")])
        return
    routines: list[LoadedRoutine] = []
    for routine in routine_paths(path):
        loaded = _file(routine, path, False, report)
        if loaded is not None:
            routines.append(loaded)
    for name in (LIBRARY_CONFIG, PUBLISHED, LEXICON):
        if (path / name).is_file():
            _file(path / name, path, False, report)
    link = poses_link(path)
    if link is not None:
        report.add([link])
    elif (path / POSES_DIR).is_dir():
        for pose in sorted((path / POSES_DIR).glob("*.yaml")):
            _file(pose, path, True, report)
    report.add(_slug_clashes(routines))


def _file(path: Path, library: Path, is_pose: bool, report: Report) -> LoadedRoutine | None:
    report.checked += 1
    what = "pose file" if is_pose else "file"
    link = file_link(path, library, what)
    if link is not None:
        report.add([link])
        return None
    try:
        if path.name == LIBRARY_CONFIG:
            config = load_library_config(path)
            if config.composed:
                report.add(composed_problems(path, [c.model_dump(mode="json", by_alias=True)
                                                    for c in config.composed]))
        elif path.name == LEXICON:
            from matcast.routine.lexicon import load_lexicon

            load_lexicon(path)
        elif path.name == PUBLISHED:
            from matcast.publish.history import load_history

            load_history(path.parent)
        elif is_pose:
            load_pose(path)
        else:
            loaded = load_routine(path)
            report.add(build_problems(loaded))
            return loaded
    except RoutineError as exc:
        report.add(exc.problems)
    return None


def build_problems(loaded: LoadedRoutine) -> list[Problem]:
    """What a build of the routine would refuse: a length its ``duration`` declares that cannot
    be reached in one of its styles, a variant that cannot be built, or a session over the
    4-hour limit that no duration or variant declares. Speech lengths are the compiler's
    estimate, as in ``matcast compile``."""
    from matcast.compiler import CompileOptions, compile_routine

    doc = _doc(loaded.path)
    problems = []
    routine = loaded.routine
    d = routine.duration
    targets: list[tuple[tuple[str | int, ...], float | None]] = [(("sequence",), None)]
    if d is not None:
        if d.default is not None:
            targets = [(("duration", "default"), d.default)]
        targets += [(("duration", key), minutes) for key, minutes in
                    (("min", d.min), ("max", d.max))
                    if minutes is not None and minutes != d.default]
    for style in routine.styles:
        for where, minutes in targets:
            options = CompileOptions(style=style, minutes=minutes,
                                     allow_long=_declared_long(minutes))
            try:
                compile_routine(loaded, options)
            except UsageError as exc:
                hint = ("fit the duration to the range that can be built, or change the holds"
                        if minutes is not None else "shorten the holds; a session meant to be "
                        "this long declares it (duration: {default: MINUTES}) and is built "
                        "with --allow-long")
                problems.append(doc.problem(where, str(exc), hint))
    for i, variant in enumerate(routine.variants):
        from matcast.build.plan import compile_options

        options = compile_options(variant.model_dump(mode="json", exclude_none=True),
                                  allow_long=_declared_long(variant.minutes))
        try:
            compile_routine(loaded, options)
        except UsageError as exc:
            where = ("variants", i, "minutes") if variant.minutes is not None else (
                "variants", i)
            problems.append(doc.problem(where, f"this variant cannot be built: {exc}",
                                        "change its options, or remove it"))
    return problems


def _declared_long(minutes: float | None) -> bool:
    """Whether a length is declared over the 4-hour limit: such a routine or variant is meant to
    be long and is built with --allow-long. A session that only comes out that long is not."""
    from matcast.compiler.options import MAX_MINUTES

    return minutes is not None and minutes > MAX_MINUTES


def _slug_clashes(routines: list[LoadedRoutine]) -> list[Problem]:
    """Two routines of one library that would publish an episode under the same slug."""
    owners: dict[str, tuple[LoadedRoutine, tuple[str | int, ...]]] = {}
    problems = []
    for loaded in routines:
        variants = loaded.routine.variants
        episodes = [(loaded.slug + v.suffix(), ("variants", i)) for i, v in enumerate(variants)]
        for slug, where in episodes or [(loaded.slug, ())]:
            if slug in owners and owners[slug][0] is not loaded:
                other, other_where = owners[slug]
                line = _doc(other.path).where(other_where)[0]
                problems.append(_doc(loaded.path).problem(
                    where, f"publishes the episode slug {slug!r}, as {other.path.name} does"
                    + (f" (line {line})" if line else ""),
                    "rename one routine file, or change one of the variants"))
            owners.setdefault(slug, (loaded, where))
    return problems


def _doc(path: Path) -> YamlDoc:
    try:
        return read_yaml(path)
    except YamlProblems:
        return YamlDoc(path, None)


def composed_problems(path: Path, entries: list[dict[str, Any]]) -> list[Problem]:
    """What ``build --all`` would refuse in library.yaml's composed entries: an --avoid word
    that is neither an area, a condition nor a pose of the library, a focus area no held pose
    targets, or a class that cannot be composed. Nothing is said when the poses themselves do
    not load (their own files report that)."""
    from matcast.build.composed import composed_wishes
    from matcast.compose import compose, load_catalog

    try:
        catalog = load_catalog(path.parent)
    except (RoutineError, UsageError):
        return []
    doc = _doc(path)
    problems: list[Problem] = []
    areas, targets = catalog.focus_areas(), catalog.vocabulary()
    for i, entry in enumerate(entries):
        found = len(problems)
        for j, word in enumerate(entry.get("avoid") or ()):
            try:
                catalog.resolve_avoid((word,))
            except UsageError as exc:
                problems.append(_located(doc, ("composed", i, "avoid", j), exc))
        for j, word in enumerate(entry.get("focus") or ()):
            if word in targets and word not in areas:
                problems.append(doc.problem(
                    ("composed", i, "focus", j), f"{word!r} cannot be a focus: only the "
                    "library's relaxation poses target it", f"one of {', '.join(areas)}"))
        if len(problems) > found:
            continue
        try:
            compose(catalog, composed_wishes(entry))
        except UsageError as exc:
            problems.append(_located(doc, ("composed", i), exc))
    return problems


def _located(doc: YamlDoc, key: tuple[str | int, ...], exc: UsageError) -> Problem:
    message, _, hint = str(exc).partition("\n    hint: ")
    if key[-2:-1] == ("avoid",):
        message = message.replace("--avoid ", "", 1)
    return doc.problem(key, message, hint or None)
