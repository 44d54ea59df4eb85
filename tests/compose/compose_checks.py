"""Random wishes over the whole option space, and every check a composed class must pass:
shared by the seeded sweep tests and ``scripts/bench.py compose``."""

from __future__ import annotations

import itertools
import random
from collections import Counter
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import yaml

from matcast.compiler import CompileOptions, compile_routine
from matcast.compose import Catalog, Composition, Wishes, compose, focus_share, library_ref
from matcast.compose.catalog import TIER, _value
from matcast.compose.wishes import Purpose
from matcast.cues import SAMPLE_RATE
from matcast.errors import UsageError
from matcast.lint.sessions import lint_built
from matcast.routine.enums import Level, Style
from matcast.routine.facts import span
from matcast.routine.loader import LoadedRoutine, load_routine
from matcast.routine.model import Routine

REFUSALS = ("no pose of", "only ", "no class could be composed")
"""How a refusal the wishes earned starts (every pose of a focus area ruled out, say)."""


def random_wishes(rng: random.Random, catalog: Catalog) -> Wishes:
    """Wishes drawn from the whole option space."""
    vocabulary = catalog.focus_areas()
    conditions = catalog.conditions()
    minutes = rng.choice([5, 7.5, 10, 12, 15, 20, 25, 30, 40, 45, 60, 75, 90,
                          round(rng.uniform(5, 90), 1)])
    focus = tuple(rng.sample(vocabulary, rng.choice([0, 1, 1, 2, 2, 3])))
    avoid: list[str] = rng.sample(conditions, min(len(conditions), rng.choice([0, 0, 1, 2])))
    if rng.random() < 0.15:
        avoid.append(rng.choice(sorted(catalog.cards)))
    return Wishes(minutes=minutes, focus=focus, level=rng.choice(list(Level)),
                  purpose=rng.choice(list(Purpose)), avoid=tuple(avoid),
                  style=rng.choice([None, Style.hold, Style.flow]),
                  seed=rng.randrange(1_000_000))


@dataclass
class Figures:
    """What a sweep saw."""

    composed: int = 0
    refused: Counter[str] = field(default_factory=Counter)
    worst_error: float = 0.0
    """Largest |length - target| / target."""
    least_focus: float = 1.0
    least_relaxation: float = 1.0
    failures: list[str] = field(default_factory=list)

    def line(self) -> str:
        return (f"{self.composed} composed, {sum(self.refused.values())} refused "
                f"({dict(self.refused)}), worst length error {self.worst_error:.3%}, least "
                f"focus share {self.least_focus:.1%}, least relaxation share "
                f"{self.least_relaxation:.1%}, {len(self.failures)} failures")


def loaded_from_text(text: str, catalog: Catalog, slug: str) -> LoadedRoutine:
    """The routine file's text, validated by the model, without a trip to the disk."""
    # libyaml's loader when PyYAML has it: the sweep parses a thousand files.
    loader = getattr(yaml, "CSafeLoader", yaml.SafeLoader)
    routine = Routine.model_validate(yaml.load(text, Loader=loader))
    poses = {ref.pose: catalog.poses[ref.pose] for ref in routine.sequence}
    paths = {pid: catalog.paths[pid] for pid in poses}
    return LoadedRoutine(slug, catalog.library / f"{slug}.yaml", routine, poses, paths)


def check(catalog: Catalog, wishes: Wishes, folder: Path | None, figures: Figures) -> None:
    """Compose ``wishes`` and check the class; ``folder`` saves it and loads it back with the
    real loader (else the text is validated in memory)."""
    try:
        composition = compose(catalog, wishes)
    except UsageError as exc:
        kind = next((r for r in REFUSALS if str(exc).startswith(r)), None)
        if kind is None:
            figures.failures.append(f"{wishes}: refused: {exc}")
        figures.refused[(kind or "other").strip()] += 1
        return
    figures.composed += 1
    slug = wishes.slug()
    if folder is not None:
        path = folder / f"{slug}.yaml"
        text = composition.text(catalog, library_ref(path, catalog.library), path.name, "lib")
        path.write_text(text, encoding="utf-8")
        loaded = load_routine(path)
    else:
        text = composition.text(catalog, None, f"{slug}.yaml", "lib")
        loaded = loaded_from_text(text, catalog, slug)
    problems = problems_of(composition, loaded, wishes, catalog, figures)
    figures.failures += [f"{' '.join(wishes.options())}: {p}" for p in problems]


def problems_of(composition: Composition, loaded: LoadedRoutine, wishes: Wishes,
                catalog: Catalog, figures: Figures) -> list[str]:
    problems: list[str] = []
    script = compile_routine(loaded, CompileOptions(level=wishes.level))
    target = wishes.minutes * 60 * SAMPLE_RATE
    error = abs(script.duration - target) / target
    figures.worst_error = max(figures.worst_error, error)
    if error > 0.01:
        problems.append(f"lasts {script.duration_seconds / 60:.2f} min")
    findings = lint_built(loaded, script)
    if findings:
        problems.append(f"lint: {[f.rule + ' ' + f.message for f in findings]}")
    conditions, avoided = catalog.resolve_avoid(wishes.avoid)
    ids = [ref.pose for ref in loaded.routine.sequence]
    for pose_id in ids:
        card = catalog.cards[pose_id]
        if pose_id in avoided or card.contraindications & conditions:
            problems.append(f"uses {pose_id}, which --avoid rules out")
    relax = ids[-1]
    if wishes.focus:
        focus_ids = {i for i in ids if catalog.cards[i].targets & set(wishes.focus)}
        share = focus_share(script, focus_ids, relax)
        figures.least_focus = min(figures.least_focus, share)
        if share < 0.5:
            problems.append(f"focus share {share:.1%}")
    held = sum(e.length for e in script.events if e.hold and e.pose == relax)
    figures.least_relaxation = min(figures.least_relaxation, held / script.duration)
    if not catalog.cards[relax].relaxation or held < 0.1 * script.duration:
        problems.append(f"final relaxation {held / script.duration:.1%}")
    problems += order_problems(loaded, ids, wishes)
    return problems


def order_problems(loaded: LoadedRoutine, ids: list[str], wishes: Wishes) -> list[str]:
    """The body never climbs back up between poses; no pose twice in a hold class but a focus
    pose's next round."""
    problems = []
    spans = [span(loaded.poses[i]) for i in ids]
    for (a, x), (b, y) in itertools.pairwise(zip(ids, spans, strict=True)):
        assert x is not None and y is not None
        if TIER[y.start] < TIER[x.end]:
            problems.append(f"climbs from {a} ({x.end}) to {b} ({y.start})")
    twice = {i for i in ids if ids.count(i) > 1}
    if wishes.chosen_style is Style.hold and any(
            not loaded.poses[i].targets or not {_value(t) for t in loaded.poses[i].targets}
            & set(wishes.focus) for i in twice):
        problems.append(f"repeats a pose that targets no focus area: {ids}")
    return problems


def sweep(catalog: Catalog, count: int, seed: int = 13, folder: Path | None = None,
          on_disk_every: int = 10) -> Figures:
    """``count`` random compositions, every ``on_disk_every``-th saved and loaded back."""
    rng = random.Random(seed)
    figures = Figures()
    for i in range(count):
        wishes = random_wishes(rng, catalog)
        check(catalog, wishes, folder if folder is not None and i % on_disk_every == 0
              else None, figures)
    return figures


def as_data(figures: Figures) -> dict[str, Any]:
    return {"composed": figures.composed, "refused": dict(figures.refused),
            "worst_error": figures.worst_error, "least_focus": figures.least_focus,
            "failures": figures.failures[:5]}
