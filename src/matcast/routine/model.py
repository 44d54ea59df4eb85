"""The routine and pose file formats, as typed models.

These models are the single source of truth for what a routine file may say: the loader validates
against them, the JSON Schema in ``schema/`` is generated from them, and the compiler reads them.
Every field carries a docstring, which becomes its description in the schema (and so the tooltip in
an editor).
"""

from __future__ import annotations

from typing import Annotated, Any, Literal

from pydantic import (
    AfterValidator,
    BaseModel,
    Discriminator,
    Field,
    Tag,
    model_validator,
)

from matcast.bounds import (
    BED_LEVEL_MAX,
    BED_LEVEL_MIN,
    LONG_MAX_MINUTES,
    MIN_MINUTES,
    RATE_MAX,
    RATE_MIN,
)
from matcast.routine.enums import BreathCues, Level, Style
from matcast.routine.enums import Guidance as Guidance  # re-exported: its users
from matcast.routine.enums import Pace as Pace  # re-exported: its users
from matcast.routine.fields import (
    BreathCuesName,
    ContraindicationName,
    CueSoundsName,
    FamilyName,
    InvalidValue,
    LevelName,
    PoseId,
    PositionName,
    PropName,
    Seconds,
    StrictModel,
    StyleName,
    TargetName,
    Text,
    check_spoken,
    unique,
)
from matcast.routine.text import PLACEHOLDER as PLACEHOLDER  # re-exported: the loader
from matcast.routine.variant import Variant as Variant  # re-exported: its users


class Breath(StrictModel):
    """The length of one breath at medium pace."""

    inhale: float = Field(4.0, gt=0, le=30)
    """Seconds of the in-breath."""
    exhale: float = Field(5.0, gt=0, le=30)
    """Seconds of the out-breath."""


class Hold(StrictModel):
    """How long a pose is held: give exactly one of breaths, seconds or minutes."""

    breaths: int | None = Field(None, ge=1, le=500)
    """Number of full breaths (in and out)."""
    seconds: float | None = Field(None, gt=0, le=3600)
    """Clock seconds."""
    minutes: float | None = Field(None, gt=0, le=120)
    """Clock minutes."""

    @model_validator(mode="after")
    def _exactly_one(self) -> Hold:
        given = [k for k in ("breaths", "seconds", "minutes") if getattr(self, k) is not None]
        if len(given) != 1:
            raise ValueError(
                "give exactly one of 'breaths', 'seconds' or 'minutes'"
                + (f" (got {', '.join(given)})" if given else "")
            )
        return self


class StepSpec(StrictModel):
    """A spoken step with its own pause after it."""

    say: Text
    """What the voice says. In a two-sided pose, {side} and {other} become right/left."""
    pause: Seconds | None = None
    """Seconds of quiet after the step, at medium pace (default: the routine's step_pause)."""
    position: PositionName | None = None
    """The position this step puts the listener in (e.g. 'Lie on your back.' is 'supine'): the
    step is left out when the listener is already there."""


def _text_or_mapping(value: Any) -> str:
    return "mapping" if isinstance(value, dict | BaseModel) else "text"


UNION_TAGS = frozenset({"text", "mapping"})
"""Names the loader drops from error locations: they label a branch, not a key."""

Step = Annotated[
    Annotated[Text, Tag("text")] | Annotated[StepSpec, Tag("mapping")],
    Discriminator(_text_or_mapping),
]
"""A step: plain text, or ``{say, pause}``."""


class Caution(StrictModel):
    """A safety note, spoken before the pose, with an optional gentler pose to do instead."""

    say: Text
    """What the voice says, e.g. who should not do this pose and what to do instead."""
    alternative: PoseId | None = None
    """A gentler pose used instead of this one when the session is built at level 'gentle'."""


CautionItem = Annotated[
    Annotated[Text, Tag("text")] | Annotated[Caution, Tag("mapping")],
    Discriminator(_text_or_mapping),
]
"""A caution: plain text, or ``{say, alternative}``."""


class PositionSpan(StrictModel):
    """Where a pose starts, where it is held, and where its exit steps leave the listener."""

    start: PositionName
    """Where the entry steps begin (and where a switch between sides returns to)."""
    held: PositionName | None = None
    """Where the body is while the pose is held (default: start)."""
    end: PositionName | None = None
    """Where the exit steps leave the listener (default: held)."""


PoseSpanItem = Annotated[
    Annotated[PositionName, Tag("text")] | Annotated[PositionSpan, Tag("mapping")],
    Discriminator(_text_or_mapping),
]
"""A position: one name when the pose starts, is held and ends there, or ``{start, held, end}``."""


class LevelNotes(StrictModel):
    """What a pose adds at one level (see the README's table of levels)."""

    say: list[Text] = Field(default_factory=list, max_length=20)
    """Extra guidance spoken in the hold at this level, on every side (e.g. a block under the
    hand for beginners, a deeper option for advanced)."""
    props: list[PropName] = Field(default_factory=list, max_length=10)
    """Props this level of the pose uses; the intro names them."""


class Pose(StrictModel):
    """A pose file under ``routines/poses/``: written once, used by many routines."""

    name: Text
    """The pose's English name, spoken when it starts."""
    sanskrit: Annotated[str, Field(min_length=1, max_length=200),
                        AfterValidator(check_spoken)] | None = None
    """Its Sanskrit name, spoken after the English one in hold style."""
    family: FamilyName
    """What kind of pose it is: centering, warm-up, standing, lunge, forward-fold, hip-opener,
    twist, side-bend, backbend, balance, core, inversion, restorative or relaxation."""
    intensity: int = Field(ge=1, le=5)
    """How demanding it is: 1 restful, 2 gentle, 3 moderate, 4 strong, 5 peak."""
    targets: Annotated[list[TargetName], AfterValidator(unique)] = Field(
        min_length=1, max_length=12)
    """Where it works, from the vocabulary of focus areas (e.g. hamstrings, hip-flexors,
    it-band): said once in a session and listed in show notes."""
    contraindications: Annotated[list[ContraindicationName], AfterValidator(unique)] = Field(
        default_factory=list, max_length=14)
    """Body areas and conditions it asks care of (e.g. knees, lower-back, high-blood-pressure):
    a composed class that avoids one leaves the pose out."""
    min_breaths: int | None = Field(None, ge=1, le=60)
    """Fewest breaths per hold when a session is fitted (absent: the fitter's default)."""
    max_breaths: int | None = Field(None, ge=1, le=60)
    """Most breaths per hold when a session is fitted (absent: the fitter's default)."""
    sides: Literal["none", "both"] = "none"
    """'both' for a two-sided pose: right side, a switch cue, then the left side, equal holds."""
    enter: list[Step] = Field(min_length=1, max_length=40)
    """How to get into the pose, step by step."""
    hold: Hold | None = None
    """How long to hold it (default: the routine's default hold)."""
    breath_cues: BreathCuesName | None = None
    """What is said about the breath during the hold (default: the routine's choice)."""
    hold_cues: list[Text] = Field(default_factory=list, max_length=40)
    """Guidance spoken during the hold, in order, on every side."""
    tips: list[Text] = Field(default_factory=list, max_length=20)
    """Tips, spoken during the first side's hold in hold style and listed in show notes."""
    checkins: list[Text] = Field(default_factory=list, max_length=40)
    """Gentle check-ins through a long hold, every `checkin_every` seconds, each once in turn; the
    last (the settling line) comes back if the hold outlasts them, twice as far apart."""
    checkin_every: float | None = Field(None, ge=10, le=1800)
    """Seconds between check-ins (default: the routine's default)."""
    cautions: list[CautionItem] = Field(default_factory=list, max_length=20)
    """Safety notes, spoken before the pose (in every style)."""
    switch: Text | None = None
    """Spoken between the two sides (default: a short "switch sides" cue naming {side})."""
    exit: list[Step] = Field(default_factory=list, max_length=20)
    """How to come out of the pose (spoken after the last side)."""
    flow: Text
    """The single cue spoken in flow style."""
    description: str | None = Field(None, max_length=2000)
    """A line for show notes; never spoken."""
    position: PoseSpanItem
    """Where the pose starts, is held and ends: standing, kneeling, all-fours, seated, supine or
    prone. The compiler drops entry steps marked with the position the listener is already in,
    and speaks a transition when the position changes."""
    props: list[PropName] = Field(default_factory=list, max_length=10)
    """Props the pose uses (blanket, bolster, block, strap, chair, wall), named in the intro."""
    relaxation: bool | None = None
    """Whether the pose is a relaxation: a final relaxation keeps at least 10% of a session of
    15 minutes or more, and never less than two minutes (default: true for a pose held by the
    clock with breath_cues none)."""
    inversion: bool = False
    """Whether the head goes below the heart with the hips high (downward dog, legs up the
    wall): at level 'gentle' such a pose must have a gentler alternative."""
    lead: Text | None = None
    """What leads on each side, said with the name in flow style, e.g. '{side} foot forward'
    (default for a two-sided pose: '{side} side')."""
    release: Text | None = None
    """One line out of the pose into its end position, said in flow style when the next pose
    starts elsewhere or on the other side (default: the switch cue, or a generic transition)."""
    levels: dict[LevelName, LevelNotes] = Field(default_factory=dict)
    """Extra guidance and props per level, e.g. ``{beginner: {say: [...], props: [block]}}``."""
    @model_validator(mode="after")
    def _consistent(self) -> Pose:
        if (self.min_breaths is not None and self.max_breaths is not None
                and self.min_breaths > self.max_breaths):
            raise InvalidValue("need min_breaths <= max_breaths",
                               f"min_breaths is {self.min_breaths}, max_breaths "
                               f"{self.max_breaths}")
        breaths = self.hold.breaths if self.hold is not None else None
        low, high = self.min_breaths or 1, self.max_breaths or 500
        if breaths is not None and not low <= breaths <= high:
            raise InvalidValue(f"hold: {breaths} breaths is outside min_breaths..max_breaths "
                               f"({low} to {high})", "widen the range, or change the hold")
        return self


class PoseRef(StrictModel):
    """One entry of a routine's sequence: a pose from the library, with overrides."""

    pose: PoseId
    """The pose file to use (``routines/poses/<pose>.yaml``)."""
    variations: dict[LevelName, PoseId] = Field(default_factory=dict)
    """Another pose to use at a given level, e.g. ``{advanced: advanced-high-lunge}``."""
    say: Text | None = None
    """Spoken before the pose starts, e.g. a link from the previous pose."""
    hold: Hold | None = None
    """Overrides the pose's hold."""
    breath_cues: BreathCuesName | None = None
    """Overrides the pose's breath cues."""
    enter: list[Step] | None = Field(None, min_length=1, max_length=40)
    """Overrides the pose's entry steps."""
    hold_cues: list[Text] | None = Field(None, max_length=40)
    """Overrides the pose's hold cues."""
    tips: list[Text] | None = Field(None, max_length=20)
    """Overrides the pose's tips."""
    checkins: list[Text] | None = Field(None, max_length=40)
    """Overrides the pose's check-ins."""
    checkin_every: float | None = Field(None, ge=10, le=1800)
    """Overrides the seconds between check-ins."""
    exit: list[Step] | None = Field(None, max_length=20)
    """Overrides the pose's exit steps."""
    flow: Text | None = None
    """Overrides the pose's flow cue."""
    transition: Text | None = None
    """Spoken after the pose, leading into the next one."""
    ends_in: PositionName | None = None
    """Where this entry's exit steps leave the listener, when they differ from the pose's own
    (an overridden exit that ends on hands and knees, say)."""
    optional: bool = False
    """Whether a session fitted to fewer minutes may leave this entry out (after holds and
    tips have given what they can); see ``priority`` for the order."""
    priority: int | None = Field(None, ge=1, le=9)
    """Makes the entry optional, and orders the leaving out: 9 goes first, 1 last (an optional
    entry without one counts as 9; among equals, the later entry goes first)."""


class Defaults(StrictModel):
    """Settings every pose of the routine uses unless it says otherwise."""

    breath: Breath = Field(default_factory=Breath)
    """Breath length at medium pace."""
    hold: Hold = Field(default_factory=lambda: Hold(breaths=5))
    """Hold of a pose that names none."""
    breath_cues: BreathCuesName = BreathCues.count
    """What is said about the breath during holds."""
    step_pause: Seconds = 1.0
    """Seconds of quiet after each entry or exit step."""
    rest: Seconds = 3.0
    """Seconds of quiet between two poses (stretched or shrunk a little to fit --minutes)."""
    checkin_every: float = Field(60.0, ge=10, le=1800)
    """Seconds between check-ins during long holds."""


class Duration(StrictModel):
    """The session length a routine is meant for, in minutes, and the range --minutes may ask
    for (without one, what fitting can reach)."""

    default: float | None = Field(None, gt=0, le=720)
    """Length built when no --minutes is given (over 240 needs --allow-long; default: the
    length the holds as written give)."""
    min: float | None = Field(None, gt=0, le=720)
    """Shortest length allowed with --minutes."""
    max: float | None = Field(None, gt=0, le=720)
    """Longest length allowed with --minutes."""
    reason: Annotated[str, Field(min_length=1, max_length=300)] | None = None
    """Why the range is narrower than the usual 5 to 90 minutes, e.g. 'the pose itself wants
    10 to 20 minutes': said when --minutes is outside it."""

    def span(self) -> tuple[float, float]:
        """The lengths --minutes may ask for: min (else default) to max (else default), with
        the command line's own bounds where neither is given."""
        low = self.min if self.min is not None else self.default
        high = self.max if self.max is not None else self.default
        return (low if low is not None else MIN_MINUTES,
                high if high is not None else LONG_MAX_MINUTES)

    @model_validator(mode="after")
    def _ordered(self) -> Duration:
        if self.default is None and self.min is None and self.max is None:
            raise ValueError("give at least one of 'default', 'min' or 'max'")
        low, high = self.span()
        if not low <= (self.default if self.default is not None else low) <= high:
            raise ValueError("need min <= default <= max")
        if low > high:
            raise ValueError("need min <= max")
        return self


class VoiceChoice(StrictModel):
    """Which speech engine and voice speak the session (the command line overrides it)."""

    engine: Annotated[str, Field(pattern=r"^[a-z0-9][a-z0-9_-]{0,31}$")] | None = None
    """piper (the default: natural) or pyttsx3 (eSpeak NG: the fast draft voice)."""
    voice: Annotated[str, Field(min_length=1, max_length=300)] | None = None
    """A voice id of that engine (see `matcast voices --engine ...`)."""
    rate: int | None = Field(None, ge=RATE_MIN, le=RATE_MAX)
    """Real words per minute while speaking, 95 to 220 (default 135)."""


class Sound(StrictModel):
    """What the session sounds like besides the voice (the command line overrides it)."""

    bed: Annotated[str, Field(min_length=1, max_length=300)] | None = None
    """A background bed under the whole session: rain or ocean (generated), none, or a WAV or
    MP3 file inside the library, looped."""
    bed_level: float | None = Field(None, ge=BED_LEVEL_MIN, le=BED_LEVEL_MAX)
    """dB relative to the default bed level (0); the bed dips under every spoken line."""
    cues: CueSoundsName | None = None
    """voice-and-chimes (default), chimes-in-holds (no words during holds), or no-chimes."""


class Routine(StrictModel):
    """A routine file under ``routines/``: one guided session."""

    title: Text
    """The session's title (episode title)."""
    description: str | None = Field(None, max_length=4000)
    """A paragraph for listings and show notes; never spoken."""
    author: str | None = Field(None, max_length=200)
    """Who wrote the routine."""
    level: LevelName = Level.all
    """Who the routine is for."""
    focus: list[Annotated[str, Field(min_length=1, max_length=60)]] = Field(
        default_factory=list, max_length=30)
    """Focus areas, for listings and show notes."""
    styles: list[StyleName] = Field(default_factory=lambda: [Style.hold, Style.flow], min_length=1)
    """Styles this routine can be built in; the first is the default."""
    duration: Duration | None = None
    """Meant length in minutes; without it, the length follows from the holds."""
    defaults: Defaults = Field(default_factory=Defaults)
    """Settings for every pose."""
    voice: VoiceChoice | None = None
    """Speech engine, voice and rate for this routine."""
    sound: Sound | None = None
    """Background bed and cue sounds for this routine."""
    cover: str | None = Field(None, min_length=1, max_length=300)
    """A square PNG or JPEG of 300 to 3000 pixels for the episode, relative to this file and
    inside the library (default: a cover drawn with the title)."""
    intro: list[Text] = Field(default_factory=list, max_length=40)
    """Spoken at the start, one line after another."""
    outro: list[Text] = Field(default_factory=list, max_length=40)
    """Spoken at the end."""
    sequence: list[PoseRef] = Field(min_length=1, max_length=500)
    """The poses, in order."""
    library: Annotated[str, Field(min_length=1, max_length=300)] | None = None
    """The library whose poses and library.yaml this routine uses, relative to this file, e.g.
    ``../routines`` (default: this file's folder); `matcast compose` writes it."""
    rounds: int = Field(1, ge=1, le=4)
    """How many times the sequence (its final relaxation aside) may be done when a session is
    fitted longer than one round can last: 2 allows a second round, 3 a third, 4 a fourth."""
    variants: list[Variant] = Field(default_factory=list, max_length=50)
    """Episodes to publish with `matcast build --all`, e.g. ``[{minutes: 20}, {minutes: 10,
    style: flow}]``: each gets the slug ``<routine>-20min``, ``<routine>-10min-flow``. Without
    variants, the routine is one episode built as written."""
