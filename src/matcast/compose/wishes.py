"""What a listener asks a composed class for: length, focus, level, purpose, what to avoid, style
and seed, each checked and bounded before any pose is read.

Kept free of pydantic and of the pose files, so that the command line can check its options
before it loads anything.
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from enum import StrEnum

from matcast.errors import UsageError
from matcast.routine.enums import Level, Style

MIN_MINUTES = 5.0
"""Shortest composed class: an arrival, two or three poses and a short relaxation."""
MAX_MINUTES = 90.0
"""Longest composed class."""
SEED_MAX = 2**31 - 1
"""Largest --seed."""
MAX_WORDS = 20
"""Most focus areas, or things to avoid, one option takes."""


class Purpose(StrEnum):
    """What the class is for: it picks the poses, the holds and where the class goes."""

    after_run = "after-run"
    """Long, easy holds for the muscles running shortens, ending on the floor."""
    before_run = "before-run"
    """Dynamic and mostly standing: short holds that wake the legs up, no long stretches."""
    recovery = "recovery"
    """A rest day: gentle, mostly on the floor, long supported holds."""
    bedtime = "bedtime"
    """Calming: seated and lying poses, slow long holds, a long final relaxation."""


DEFAULT_STYLE: dict[Purpose, Style] = {
    Purpose.after_run: Style.hold, Purpose.before_run: Style.flow,
    Purpose.recovery: Style.hold, Purpose.bedtime: Style.hold}
"""The style a purpose is composed in when --style is not given."""

AVOID_WORDS: dict[str, str] = {
    "knee": "knees", "back": "lower-back", "low-back": "lower-back", "lumbar": "lower-back",
    "wrist": "wrists", "shoulder": "shoulders", "hip": "hips", "ankle": "ankles",
    "pregnant": "pregnancy", "blood-pressure": "high-blood-pressure",
    "hypertension": "high-blood-pressure", "high-bp": "high-blood-pressure",
    "dizziness": "balance", "vertigo": "balance",
}
"""Everyday words for a contraindication (what --avoid also accepts)."""


@dataclass(frozen=True)
class Wishes:
    """One request for a composed class: everything that decides which class it is."""

    minutes: float
    """Length to fit, MIN_MINUTES to MAX_MINUTES."""
    focus: tuple[str, ...] = ()
    """Target areas (the pose library's vocabulary) that get most of the hold time."""
    level: Level = Level.all
    purpose: Purpose = Purpose.after_run
    avoid: tuple[str, ...] = ()
    """Contraindications, pose ids or pose names to leave out (read against the library)."""
    style: Style | None = None
    """hold or flow; None takes the purpose's usual style."""
    seed: int = 1
    """Picks among the poses that fit the wishes: the same seed and library give the same
    class."""

    def __post_init__(self) -> None:
        object.__setattr__(self, "minutes", float(self.minutes))
        check_minutes(self.minutes)
        check_seed(self.seed)

    @property
    def chosen_style(self) -> Style:
        return self.style or DEFAULT_STYLE[self.purpose]

    def slug(self) -> str:
        """A file name for the class, e.g. ``after-run-15min-hips-hamstrings-seed7``."""
        parts = [self.purpose.value, f"{self.minutes:g}min".replace(".", "_"), *self.focus]
        if self.level is not Level.all:
            parts.append(self.level.value)
        if self.style is not None and self.style is not DEFAULT_STYLE[self.purpose]:
            parts.append(self.style.value)
        if self.avoid:
            parts.append("no-" + "-".join(self.avoid))
        parts.append(f"seed{self.seed}")
        slug = re.sub(r"[^a-z0-9]+", "-", "-".join(parts).lower()).strip("-")
        if len(slug) > 63:
            slug = slug[:63 - len(f"-seed{self.seed}")].rstrip("-") + f"-seed{self.seed}"
        return slug

    def options(self) -> list[str]:
        """The command-line options that ask for this class again."""
        out = [f"--minutes {self.minutes:g}"]
        if self.focus:
            out.append(f"--focus {','.join(self.focus)}")
        out += [f"--level {self.level.value}", f"--for {self.purpose.value}"]
        if self.avoid:
            out.append(f"--avoid {','.join(self.avoid)}")
        out += [f"--style {self.chosen_style.value}", f"--seed {self.seed}"]
        return out


def check_minutes(value: float) -> float:
    if not MIN_MINUTES <= value <= MAX_MINUTES:
        raise UsageError(f"--minutes must be from {MIN_MINUTES:g} to {MAX_MINUTES:g} minutes for "
                         f"a composed class; got {value:g}")
    return value


def check_seed(value: int) -> int:
    if isinstance(value, bool) or not 0 <= value <= SEED_MAX:
        raise UsageError(f"--seed must be a whole number from 0 to {SEED_MAX}; got {value}")
    return value


def split_words(option: str, raw: str) -> tuple[str, ...]:
    """``hips, Hamstrings`` -> ("hips", "hamstrings"): comma-separated, trimmed, lower case,
    spaces and underscores as dashes, each once."""
    words = [re.sub(r"[\s_]+", "-", w.strip().casefold()) for w in str(raw).split(",")]
    words = [w for w in words if w]
    if not words:
        raise UsageError(f"{option} needs at least one word, separated by commas; got "
                         f"{str(raw)!r}")
    if len(words) > MAX_WORDS:
        raise UsageError(f"{option} takes at most {MAX_WORDS} words; got {len(words)}")
    return tuple(dict.fromkeys(words))


def check_focus(words: tuple[str, ...], vocabulary: list[str],
                targets: list[str] | None = None) -> tuple[str, ...]:
    """Focus areas, each one of ``vocabulary`` (the areas a class can focus on); ``targets``,
    every target area the library names, tells an area no held pose targets from a typo."""
    import difflib

    for word in words:
        if targets is not None and word in targets and word not in vocabulary:
            raise UsageError(f"--focus {word!r} cannot be a focus: only the library's "
                             "relaxation poses target it, and a class's focus takes most of "
                             f"its hold time\n    hint: one or more of {', '.join(vocabulary)},"
                             " separated by commas")
        if word not in vocabulary:
            close = difflib.get_close_matches(word, vocabulary, n=1, cutoff=0.6)
            hint = f"; did you mean {close[0]}?" if close else ""
            raise UsageError(f"--focus {word!r} is not a target area of the pose library{hint}"
                             f"\n    hint: one or more of {', '.join(vocabulary)}, separated "
                             "by commas")
    return words
