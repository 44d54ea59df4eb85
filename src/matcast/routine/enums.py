"""The choices a routine and the command line share: level, style, pace, breath cues, sounds.

Kept apart from the models so that the command line can offer them without loading pydantic.
"""

from __future__ import annotations

from enum import StrEnum


class Level(StrEnum):
    """Who a routine is for, and which variation of a pose the compiler picks."""

    gentle = "gentle"
    beginner = "beginner"
    all = "all"
    advanced = "advanced"


class Style(StrEnum):
    """How the session moves: long holds, or one breath per movement."""

    hold = "hold"
    flow = "flow"


class Pace(StrEnum):
    """How fast breaths and pauses go."""

    slow = "slow"
    medium = "medium"
    fast = "fast"


class BreathCues(StrEnum):
    """What the voice says about the breath during a hold."""

    count = "count"
    """Guide every breath: "inhale" at each in-breath, "exhale, two" at each out-breath."""
    none = "none"
    """Say nothing about the breath: only the hold cues, tips and check-ins, else silence."""


class CueSounds(StrEnum):
    """What marks the session: voice and chimes, or fewer sounds for those who want quiet."""

    voice_and_chimes = "voice-and-chimes"
    """Everything: chimes between poses and sides, and the voice guiding every hold."""
    chimes_in_holds = "chimes-in-holds"
    """Holds have no words: a soft chime starts and ends each one; the way in is still spoken."""
    no_chimes = "no-chimes"
    """The voice alone: no bells at all."""


class Guidance(StrEnum):
    """How much the voice says (like an "instruction amount" setting)."""

    full = "full"
    """Everything: entry steps, hold cues, tips, targets, breath counts and prompts, check-ins."""
    light = "light"
    """No tips or targets, and no "Inhale." prompt on every breath: the counts stay."""
    quiet = "quiet"
    """Names, cautions, transitions and side switches only: holds are silent."""


class Position(StrEnum):
    """Where the body is on the mat: the compiler tracks it from pose to pose."""

    standing = "standing"
    kneeling = "kneeling"
    """Upright or sitting back on the heels, knees on the mat (also a kneeling lunge)."""
    all_fours = "all-fours"
    """Hands and knees (or hands and feet, as in downward dog)."""
    seated = "seated"
    """Sitting on the mat (also hips on the floor, as in pigeon)."""
    supine = "supine"
    """Lying on the back."""
    prone = "prone"
    """Lying on the front."""


class Prop(StrEnum):
    """Things a pose may ask the listener to have within reach."""

    blanket = "blanket"
    """A folded blanket or towel."""
    bolster = "bolster"
    """A bolster, a firm pillow or a cushion."""
    block = "block"
    """A yoga block or a thick book."""
    strap = "strap"
    """A strap or a belt."""
    chair = "chair"
    """A sturdy chair."""
    wall = "wall"
    """A clear stretch of wall."""
BED_NAMES = ("rain", "ocean", "none")
"""Generated beds, and 'none' to switch a bed off."""

AUDIO_SUFFIXES = (".wav", ".mp3", ".flac", ".ogg", ".m4a")
"""Sound-bed files matcast decodes with ffmpeg."""


class Family(StrEnum):
    """What kind of pose it is: the composer builds a class's arc from families."""

    centering = "centering"
    """Arriving: standing or sitting tall and still, finding the breath (mountain, thunderbolt)."""
    warm_up = "warm-up"
    """Gentle movement that wakes the joints and spine (cat-cow, rocking, circles)."""
    standing = "standing"
    """A standing pose that builds strength and stability in the legs (the warriors)."""
    lunge = "lunge"
    """One leg forward, one back: the hip flexors and quads of the back leg lengthen."""
    forward_fold = "forward-fold"
    """Folding over the legs: the hamstrings, calves and back lengthen."""
    hip_opener = "hip-opener"
    """The outer hips, glutes and inner thighs open (pigeon, happy baby)."""
    twist = "twist"
    """The spine rotates; follow a deep twist with a neutral or folding pose."""
    side_bend = "side-bend"
    """The side of the body lengthens from hip to armpit."""
    backbend = "backbend"
    """The front of the body opens; follow a deep backbend with a counter-pose."""
    balance = "balance"
    """Standing on one foot, or balancing on the hands and knees."""
    core = "core"
    """Strength in the belly and the muscles around the spine."""
    inversion = "inversion"
    """Hips above the heart, head low (downward dog)."""
    restorative = "restorative"
    """Long, supported, passive holds (legs up the wall)."""
    relaxation = "relaxation"
    """Lying still at the end of a class."""


class Target(StrEnum):
    """Where a pose works: the controlled vocabulary of focus areas (``--focus`` takes these).

    :attr:`spoken` is how a session and its show notes name the area."""

    feet = "feet"
    ankles = "ankles"
    shins = "shins"
    calves = "calves"
    hamstrings = "hamstrings"
    quads = "quads"
    hip_flexors = "hip-flexors"
    glutes = "glutes"
    it_band = "it-band"
    """The outer thigh, from hip to knee (the iliotibial band and the muscles beside it)."""
    inner_thighs = "inner-thighs"
    hips = "hips"
    lower_back = "lower-back"
    upper_back = "upper-back"
    spine = "spine"
    side_body = "side-body"
    core = "core"
    chest = "chest"
    shoulders = "shoulders"
    neck = "neck"
    balance = "balance"
    posture = "posture"
    whole_body = "whole-body"
    mind = "mind"

    @property
    def spoken(self) -> str:
        """The area as a session says it and show notes print it, e.g. 'hip flexors'."""
        return _TARGET_SPOKEN.get(self.value, self.value.replace("-", " "))


_TARGET_SPOKEN = {"it-band": "outer thighs"}


class Contraindication(StrEnum):
    """A body area or condition for which a pose needs care or a gentler alternative
    (``--avoid`` takes these)."""

    feet = "feet"
    ankles = "ankles"
    knees = "knees"
    hamstrings = "hamstrings"
    """A strained or torn hamstring."""
    hips = "hips"
    lower_back = "lower-back"
    neck = "neck"
    shoulders = "shoulders"
    wrists = "wrists"
    balance = "balance"
    """Unsteady on one foot, or prone to dizziness."""
    pregnancy = "pregnancy"
    high_blood_pressure = "high-blood-pressure"
    glaucoma = "glaucoma"


VOCABULARY_ALIASES: dict[str, str] = {
    "outer thighs": "it-band", "outer thigh": "it-band", "outer hips": "hips",
    "it band": "it-band", "iliotibial band": "it-band", "psoas": "hip-flexors",
    "groin": "inner-thighs", "adductors": "inner-thighs", "hamstring": "hamstrings",
    "quadriceps": "quads", "calf": "calves", "toes": "feet", "soles of the feet": "feet",
    "back": "lower-back", "low back": "lower-back", "whole back": "spine",
    "back muscles": "spine", "obliques": "side-body", "abs": "core", "belly": "core",
    "legs": "hamstrings", "nervous system": "mind", "knee": "knees", "wrist": "wrists",
    "hip": "hips", "shoulder": "shoulders", "ankle": "ankles", "foot": "feet",
    "forward fold": "forward-fold", "hip opener": "hip-opener", "side bend": "side-bend",
    "blood pressure": "high-blood-pressure", "warmup": "warm-up",
}
"""Free-text words people write for a vocabulary value: the error's hint suggests the value."""
