"""A routine's variants: each one a different episode the routine can really be built as."""

from __future__ import annotations

from typing import Any

from matcast.errors import Problem
from matcast.routine.enums import Level, Pace
from matcast.routine.model import Routine, Variant
from matcast.routine.yamlsrc import YamlDoc


def episode_of(routine: Routine, variant: Variant) -> tuple[Any, ...]:
    """What a variant builds, its defaults filled in: two variants with the same episode are
    the same session published twice under two names."""
    minutes = variant.minutes
    if minutes is None and routine.duration is not None:
        minutes = routine.duration.default
    return (minutes, variant.style or routine.styles[0], variant.level or Level.all,
            variant.pace or Pace.medium)


def length_range(routine: Routine) -> tuple[float, float] | None:
    """The minutes a routine's ``duration`` allows, or None when it declares none."""
    d = routine.duration
    return None if d is None else d.span()


def variant_problems(routine: Routine, doc: YamlDoc) -> list[Problem]:
    """Variants in a style the routine does not offer, at a length outside its range, or
    publishing the same slug or the same episode as an earlier one."""
    problems = []
    slugs: dict[str, int] = {}
    episodes: dict[tuple[Any, ...], int] = {}
    allowed = length_range(routine)
    offered = ", ".join(s.value for s in routine.styles)
    for i, variant in enumerate(routine.variants):
        where = ("variants", i)
        if variant.style is not None and variant.style not in routine.styles:
            problems.append(doc.problem(
                (*where, "style"), f"style {variant.style.value!r} is not offered by this "
                f"routine (styles: {offered})", "add it to 'styles', or drop it here"))
        if (variant.minutes is not None and allowed is not None
                and not allowed[0] <= variant.minutes <= allowed[1]):
            problems.append(doc.problem(
                (*where, "minutes"), f"{variant.minutes:g} minutes is outside the routine's "
                f"length range, {allowed[0]:g} to {allowed[1]:g} minutes (duration)",
                "change the variant's minutes, or the routine's duration"))
        suffix = variant.suffix()
        episode = episode_of(routine, variant)
        if suffix in slugs:
            first = slugs[suffix]
            problems.append(doc.problem(
                where, f"variant {i + 1} publishes the same episode slug as variant {first + 1}"
                f" (line {doc.where(('variants', first))[0]}): "
                f"'{suffix.lstrip('-') or 'as written'}'", "remove one of them"))
        elif episode in episodes:
            first = episodes[episode]
            problems.append(doc.problem(
                where, f"variant {i + 1} builds the same session as variant {first + 1} "
                f"(line {doc.where(('variants', first))[0]}), under another name",
                "remove one of them: an option equal to its default changes nothing"))
        slugs.setdefault(suffix, i)
        episodes.setdefault(episode, i)
    return problems
