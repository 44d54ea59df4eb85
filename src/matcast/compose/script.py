"""A composed class as a routine file: the words it says around the poses (in our own words),
the sequence with its holds, and a comment header that says how it was composed."""

from __future__ import annotations

from typing import Any

from matcast.compose.arc import Slot
from matcast.compose.catalog import Card
from matcast.compose.wishes import Purpose, Wishes
from matcast.routine.enums import Level, Style

TITLES: dict[Purpose, str] = {
    Purpose.after_run: "After-run yoga", Purpose.before_run: "Before-run warm-up",
    Purpose.recovery: "Recovery yoga", Purpose.bedtime: "Bedtime yoga"}

WELCOME: dict[Purpose, str] = {
    Purpose.after_run: "Welcome. Your run is done, so let's give your legs the stretch they "
                       "have earned.",
    Purpose.before_run: "Welcome. Let's wake your body up before you head out the door.",
    Purpose.recovery: "Welcome to your recovery session. Today is for resting, so move slowly "
                      "and never push.",
    Purpose.bedtime: "Welcome. This is a slow practice to help you wind down before you sleep.",
}
FAREWELL: dict[Purpose, str] = {
    Purpose.after_run: "That's the end of your class. Drink some water, and enjoy the rest of "
                       "your day.",
    Purpose.before_run: "You're warmed up and ready to go. Have a good run.",
    Purpose.recovery: "That's the end of your recovery session. Go easy on yourself for the rest "
                      "of the day.",
    Purpose.bedtime: "That's the end of your practice. Keep your breath slow and soft as you get "
                     "ready for sleep.",
}
PHASES = {
    "warm-up": "Let's start by warming up gently.",
    "main": "Now for the main part of the class.",
    "cool-down": "Now we begin to cool down.",
    "relaxation": "Time for the final relaxation.",
}
"""Said before the first pose of each part of the class, so the listener hears its shape."""
ROUND_WORDS = ("two", "three", "four", "five", "six", "seven", "eight", "nine", "ten")
ORDINALS = ("second", "third", "fourth", "fifth", "sixth", "seventh")

SHORT_CLASS = 10.0
"""Classes shorter than this (minutes) say less around the poses."""
QUICK_REST_ENTER: list[Any] = [
    {"say": "Lie down on your back, let your arms rest by your sides, and close your eyes.",
     "position": "supine", "pause": 2}]
QUICK_REST_EXIT: list[Any] = [
    {"say": "Take a deeper breath, and stretch a little.", "pause": 2},
    {"say": "Roll onto one side, and press slowly up to sit.", "pause": 2}]

def spoken(word: str) -> str:
    """A vocabulary word as the voice says it: ``hip-flexors`` -> ``hip flexors``."""
    from matcast.routine.enums import Contraindication, Target

    for kind in (Target, Contraindication):
        if word in kind._value2member_map_:
            member = kind(word)
            return str(getattr(member, "spoken", word.replace("-", " ")))
    return word.replace("-", " ")


def listed(words: list[str]) -> str:
    return words[0] if len(words) == 1 else f"{', '.join(words[:-1])} and {words[-1]}"


def phases(count: int) -> list[str]:
    """The part of the class each of ``count`` poses belongs to: the first pose is the arrival,
    then warm-up, main work and cool-down."""
    if count <= 2:
        return ["arrive", *["main"] * (count - 1)]
    warm = max(1, round(count * 0.2))
    cool = max(1, round(count * 0.2)) if count >= 4 else 0
    main = count - 1 - warm - cool
    return ["arrive", *["warm-up"] * warm, *["main"] * main, *["cool-down"] * cool]


def title(wishes: Wishes) -> str:
    base = TITLES[wishes.purpose]
    if wishes.focus:
        base += f" for {listed([spoken(f) for f in wishes.focus])}"
    return f"{base} ({wishes.minutes:g} min)"


def intro(wishes: Wishes, conditions: list[str]) -> list[str]:
    lines = [WELCOME[wishes.purpose]]
    if wishes.focus:
        areas = listed([spoken(f) for f in wishes.focus])
        lines.append(f"Most of today's time goes to your {areas}.")
    if conditions:
        lines.append(f"Every pose was chosen with your {listed([spoken(c) for c in conditions])} "
                     "in mind.")
    lines.append(f"The class lasts {wishes.minutes:g} minutes, and ends with a rest lying down.")
    if wishes.minutes >= SHORT_CLASS:
        lines.append("Stay within what feels comfortable, and back off from any sharp feeling.")
    return lines


def again_line(slots: list[Slot], i: int, focus: tuple[str, ...], flow: bool) -> str | None:
    """What is said before a focus pose's next round: the round, at the first pose of each
    round; in flow, which side goes first (a pose said again is named without its lead)."""
    slot = slots[i]
    lines = []
    if i == 0 or not slots[i - 1].again or slots[i - 1].repeat != slot.repeat:
        word = ORDINALS[min(slot.repeat, len(ORDINALS)) - 1]
        areas = listed([spoken(f) for f in focus]) if focus else "focus"
        lines.append(f"Once more for your {areas}: a {word} round.")
    if flow and slot.card.two_sided:
        lines.append(f"{slot.card.name} again, right side first.")
    return " ".join(lines) or None


def sequence(slots: list[Slot], relax: Card, relax_minutes: float, short: bool = False,
             focus: tuple[str, ...] = (), flow: bool = False) -> list[dict[str, Any]]:
    """The routine's sequence: each pose with its hold, a line at each part of the arc."""
    parts = phases(sum(1 for s in slots if s.repeat == 0))
    out: list[dict[str, Any]] = []
    first_of_round: set[int] = set()
    index = 0
    for i, slot in enumerate(slots):
        item: dict[str, Any] = {"pose": slot.card.id}
        if slot.again:
            line = again_line(slots, i, focus, flow)
            if line:
                item["say"] = line
        elif slot.repeat:
            word = ROUND_WORDS[min(slot.repeat, len(ROUND_WORDS)) - 1]
            lines = []
            if slot.repeat not in first_of_round:
                first_of_round.add(slot.repeat)
                lines.append(f"Once more from the top of the flow: round {word}.")
            if slot.card.two_sided:
                # A pose said again is named without its lead: say which side goes first.
                lines.append(f"Round {word} of {slot.card.name.lower()}, right side first.")
            if lines:
                item["say"] = " ".join(lines)
        else:
            part = parts[index]
            if part in PHASES and (index == 0 or parts[index - 1] != part):
                item["say"] = PHASES[part]
            index += 1
        if slot.breaths is not None:
            item["hold"] = {"breaths": slot.breaths}
        out.append(item)
    last: dict[str, Any] = {"pose": relax.id, "say": PHASES["relaxation"],
                            "hold": {"minutes": round(relax_minutes, 2)}}
    if short and relax.id == "final-relaxation":
        # A short class cannot spend a minute lying down and getting up again.
        last["enter"] = QUICK_REST_ENTER
        last["exit"] = QUICK_REST_EXIT
        last["ends_in"] = "seated"
    out.append(last)
    return out


def routine_data(wishes: Wishes, slots: list[Slot], relax: Card, relax_minutes: float,
                 conditions: list[str], library: str | None, with_length: bool = True
                 ) -> dict[str, Any]:
    """The routine file's content, as YAML writes it."""
    data: dict[str, Any] = {
        "title": title(wishes),
        "description": description(wishes, slots, relax),
        "author": "matcast compose",
        "level": wishes.level.value,
        "focus": list(wishes.focus),
        "styles": [wishes.chosen_style.value],
    }
    if with_length:
        minutes = wishes.minutes
        data["duration"] = {"default": int(minutes) if minutes.is_integer() else minutes}
    if library is not None:
        data["library"] = library
    data["intro"] = intro(wishes, conditions)
    data["outro"] = ["Notice how your body feels now, compared with when you began.",
                     FAREWELL[wishes.purpose]]
    data["sequence"] = sequence(slots, relax, relax_minutes, wishes.minutes < SHORT_CLASS,
                                wishes.focus, wishes.chosen_style is Style.flow)
    if wishes.level is not Level.all:
        # The level picks what each pose says: the episode a library publishes is built at it.
        data["variants"] = [{"level": wishes.level.value}]
    return data


def description(wishes: Wishes, slots: list[Slot], relax: Card) -> str:
    names = list(dict.fromkeys(s.card.name for s in slots))
    style = "in flowing movement" if wishes.chosen_style is Style.flow else "with held stretches"
    level = "" if wishes.level is Level.all else f" for {wishes.level.value} level"
    return (f"A {wishes.minutes:g}-minute {TITLES[wishes.purpose].lower()} class{level}, "
            f"{style}: {', '.join(names)}, then {relax.name.lower()}.")


def header(wishes: Wishes, slots: list[Slot], relax: Card, left_out: list[str],
           library_shown: str, pose_count: int, version: str, file_shown: str,
           episode: str | None = None) -> str:
    """Comment lines for the top of the file: how it was composed and how to rebuild it."""
    parts = phases(sum(1 for s in slots if s.repeat == 0))
    by_part: dict[str, list[str]] = {}
    for slot, part in zip([s for s in slots if s.repeat == 0], parts, strict=True):
        by_part.setdefault(part, []).append(slot.card.id)
    arc = "; ".join(f"{p} {', '.join(ids)}" for p, ids in by_part.items())
    focus = [s.card.id for s in slots if s.focus and s.repeat == 0]
    build = f"matcast build {file_shown}"
    if wishes.level is not Level.all:
        build += f" --level {wishes.level.value}"
    lines = [
        f"Composed by matcast {version} (matcast compose) from the pose library "
        f"{library_shown} ({pose_count} poses).",
        f"Asked for: matcast compose {' '.join(wishes.options())}",
        f"Build it:  {build}   (length and style are set below; composing again with the same "
        "options and library gives this same file)" if episode is None else
        f"Written by matcast build --all for {episode}: it rewrites this file whenever a pose "
        "changes the class, so edit library.yaml, not this file.",
        f"The arc:   {arc}; relaxation {relax.id}.",
    ]
    rounds = max((s.repeat for s in slots if not s.again), default=0)
    if rounds:
        lines.append(f"The flow's first poses are done {rounds + 1} times (rounds), to fill "
                     "the length.")
    again = max((s.repeat for s in slots if s.again), default=0)
    if again:
        lines.append(f"The focus poses are done {again + 1} times in all (rounds), where each "
                     "group of poses ends: alone, they could not hold half of the class.")
    if wishes.focus:
        lines.append(f"Focus ({', '.join(wishes.focus)}): {', '.join(focus) or 'none'}.")
    if left_out:
        lines.append(f"Left out for --avoid {','.join(wishes.avoid)}: {', '.join(left_out)}.")
    if episode is None:
        lines.append("This is an ordinary routine file: edit it freely, check it with matcast "
                     "validate.")
    return "".join(f"# {line}\n" for line in lines)
