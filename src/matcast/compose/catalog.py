"""The pose library as the composer sees it: every pose file of a library, with the facts that
decide where a pose may go in a class (where the body is, family, intensity, targets, what it is
hard on).

Loading reads every file of ``poses/`` once; composing many classes from one catalogue reads
nothing more.
"""

from __future__ import annotations

import difflib
from collections.abc import Mapping
from dataclasses import dataclass
from pathlib import Path

from matcast.errors import Problem, RoutineError, UsageError
from matcast.routine.enums import Position
from matcast.routine.facts import Span, is_relaxation, span
from matcast.routine.loader import POSES_DIR, load_pose
from matcast.routine.model import Caution, Pose

TIER: dict[Position, int] = {
    Position.standing: 0, Position.kneeling: 1, Position.all_fours: 1, Position.prone: 2,
    Position.seated: 3, Position.supine: 4}
"""How far down the body is: a class only ever moves down these tiers (standing, then kneeling
and hands and knees, lying on the front, sitting, lying on the back)."""

COUNTERS: dict[str, frozenset[str]] = {
    "twist": frozenset({"forward-fold", "restorative", "centering"}),
    "backbend": frozenset({"forward-fold", "restorative"}),
}
"""What follows a twist or a deep backbend (intensity 3 or more): the families that counter it
(a neutral, symmetrical shape; after a backbend, one that rounds the spine)."""


@dataclass(frozen=True)
class Card:
    """What the composer knows of one pose."""

    id: str
    name: str
    family: str
    """The pose family's value (forward-fold, twist, ...), or "" when the file names none."""
    intensity: int
    """1 (restful) to 5 (strong)."""
    targets: frozenset[str]
    contraindications: frozenset[str]
    span: Span
    two_sided: bool
    relaxation: bool
    inversion: bool
    has_alternative: bool
    """A caution of this pose points to a gentler pose (a version for some listeners)."""
    min_breaths: int | None
    max_breaths: int | None
    by_clock: bool
    """Held by the clock rather than by breaths (a relaxation, legs up the wall)."""
    lead_names_side: bool = True
    """Whether what leads on each side (said in flow) names the side itself."""
    names_undeclared_prop: bool = False
    """Whether its words ask for a prop its file does not declare (the intro could not name
    it up front, as the coaching lint wants)."""

    @property
    def tiers(self) -> tuple[int, int, int]:
        return TIER[self.span.start], TIER[self.span.held], TIER[self.span.end]

    @property
    def rises(self) -> bool:
        """Whether the pose climbs at some point (starts on the floor and stands up, say)."""
        start, held, end = self.tiers
        return held < start or end < held

    @property
    def needs_counter(self) -> bool:
        return self.family == "twist" or (self.family == "backbend" and self.intensity >= 3)

    def counters(self, other: Card) -> bool:
        """Whether ``other`` is a counter-pose for this one."""
        return other.family in COUNTERS.get(self.family, frozenset())


def _value(item: object) -> str:
    """An enum member or a word, as the vocabulary writes it (lower case, dashes)."""
    text = str(getattr(item, "value", item))
    return text.strip().lower().replace(" ", "-")


def card(pose_id: str, pose: Pose) -> Card:
    """The composer's facts of one pose (a pose without a position cannot be placed: None)."""
    where = span(pose)
    if where is None:
        raise ValueError(pose_id)
    min_b = getattr(pose, "min_breaths", None)
    max_b = getattr(pose, "max_breaths", None)
    return Card(
        id=pose_id, name=pose.name, family=_value(getattr(pose, "family", "") or ""),
        intensity=int(getattr(pose, "intensity", 2) or 2),
        targets=frozenset(_value(t) for t in pose.targets),
        contraindications=frozenset(_value(c) for c in getattr(pose, "contraindications", ())),
        span=where, two_sided=pose.sides == "both", relaxation=is_relaxation(pose),
        inversion=pose.inversion,
        has_alternative=any(isinstance(c, Caution) and c.alternative for c in pose.cautions),
        min_breaths=min_b, max_breaths=max_b,
        by_clock=pose.hold is not None and pose.hold.breaths is None,
        lead_names_side=pose.lead is None or "{side}" in pose.lead.lower(),
        names_undeclared_prop=_undeclared_prop(pose))


PROP_WORDS: dict[str, tuple[str, ...]] = {
    "blanket": ("blanket", "towel"), "bolster": ("bolster", "pillow", "cushion"),
    "block": ("block",), "strap": ("strap", "belt"), "chair": ("chair",), "wall": ("wall",)}
"""How each prop may be named when spoken (as the coaching lint hears them)."""


def _undeclared_prop(pose: Pose) -> bool:
    import re

    declared = {p.value for p in pose.props}
    for notes in pose.levels.values():
        declared |= {p.value for p in notes.props}
    text = " ".join(str(v) for v in pose.model_dump(
        include={"enter", "hold_cues", "tips", "checkins", "cautions", "switch", "exit", "flow",
                 "release", "levels"}).values())
    return any(re.search(rf"\b{word}s?\b", text, re.IGNORECASE)
               for prop, words in PROP_WORDS.items() if prop not in declared for word in words)


@dataclass(frozen=True)
class Catalog:
    """Every pose of one library, loaded and described."""

    library: Path
    poses: Mapping[str, Pose]
    paths: Mapping[str, Path]
    cards: Mapping[str, Card]
    """The poses that declare where the body is (the only ones a class can place)."""

    def vocabulary(self) -> list[str]:
        """The target areas the library's poses name, sorted."""
        return sorted({t for c in self.cards.values() for t in c.targets})

    def focus_areas(self) -> list[str]:
        """The target areas a class can focus on: those of poses held in the main part of a
        class (an area only a relaxation names, like whole-body, cannot take most of the
        time), sorted."""
        return sorted({t for c in self.cards.values() if not c.relaxation and not c.by_clock
                       for t in c.targets})

    def conditions(self) -> list[str]:
        """The contraindications the library's poses name, sorted."""
        from matcast.routine import enums

        return sorted({m.value for m in enums.Contraindication}
                      | {t for c in self.cards.values() for t in c.contraindications})

    def resolve_avoid(self, words: tuple[str, ...]) -> tuple[frozenset[str], frozenset[str]]:
        """--avoid's words as (contraindications, pose ids). A word is a contraindication (or an
        everyday word for one), a pose id, or a pose's name."""
        from matcast.compose.wishes import AVOID_WORDS
        from matcast.routine.enums import VOCABULARY_ALIASES

        conditions = set(self.conditions())
        names = {_value(c.name): c.id for c in self.cards.values()}
        names.update({_value(c.name).removesuffix("-pose"): c.id for c in self.cards.values()})
        found_conditions: set[str] = set()
        found_poses: set[str] = set()
        for word in words:
            alias = VOCABULARY_ALIASES.get(word.replace("-", " "))
            word = AVOID_WORDS.get(word, alias if alias in conditions else word)
            if word in conditions:
                found_conditions.add(word)
            elif word in self.poses:
                found_poses.add(word)
            elif word in names:
                found_poses.add(names[word])
            else:
                every = sorted(conditions) + sorted(self.cards)
                close = difflib.get_close_matches(word, every, n=1, cutoff=0.6)
                hint = f"; did you mean {close[0]}?" if close else ""
                raise UsageError(
                    f"--avoid {word!r} is neither a body area or condition nor a pose of "
                    f"{self.library}{hint}\n    hint: areas and conditions: "
                    f"{', '.join(sorted(conditions))}; or a pose id, e.g. "
                    f"{', '.join(sorted(self.cards)[:3])} (see {self.library / POSES_DIR})")
        return frozenset(found_conditions), frozenset(found_poses)


def load_catalog(library: Path) -> Catalog:
    """Every pose file of ``library``; RoutineError listing the problems of any that are
    invalid (a class is never composed from a library that does not validate)."""
    folder = library / POSES_DIR
    if not folder.is_dir():
        raise UsageError(f"the routine library {library} has no {POSES_DIR}/ folder to compose "
                         "from\n    hint: choose a library with --library DIR")
    poses: dict[str, Pose] = {}
    paths: dict[str, Path] = {}
    problems: list[Problem] = []
    for path in sorted(folder.glob("*.yaml")):
        try:
            poses[path.stem] = load_pose(path)
        except RoutineError as exc:
            problems.extend(exc.problems)
            continue
        paths[path.stem] = path
    if problems:
        raise RoutineError(problems)
    cards = {}
    for pose_id, pose in poses.items():
        if pose.position is not None:
            cards[pose_id] = card(pose_id, pose)
    if not cards:
        raise UsageError(f"the pose library {folder} has no poses that say where the body is "
                         "(position), so none can be placed in a class")
    return Catalog(library, poses, paths, cards)
