"""Where the body is: the lines that move a listener from one position to another.

The compiler follows the listener through the session. When a pose starts somewhere else than
where the last one left them, it says how to get there; when they are already there, it leaves
out the entry steps that would put them there again. Every line here is our own.
"""

from __future__ import annotations

from matcast.routine.enums import Position

P = Position

START: dict[Position, str] = {
    P.standing: "Begin standing at the top of your mat, feet hip width apart.",
    P.kneeling: "Begin kneeling on your mat, knees hip width apart.",
    P.all_fours: "Begin on your hands and knees, hands under your shoulders, knees under "
                 "your hips.",
    P.seated: "Begin sitting comfortably on your mat.",
    P.supine: "Begin lying on your back on the mat.",
    P.prone: "Begin lying on your front on the mat.",
}
"""The starting position, said before the first pose of a flow (where entry steps are not
spoken)."""

TRANSITIONS: dict[tuple[Position, Position], str] = {
    (P.standing, P.kneeling): "Bend your knees, and lower yourself down to kneel on the mat.",
    (P.standing, P.all_fours): "Bend your knees, plant your hands on the mat, and come down "
                               "onto your hands and knees.",
    (P.standing, P.seated): "Bend your knees, lower yourself down, and come to sit on the mat.",
    (P.standing, P.supine): "Bend your knees, sit down on the mat, and roll slowly down onto "
                            "your back.",
    (P.standing, P.prone): "Come down onto your hands and knees, then lower yourself onto "
                           "your front.",
    (P.kneeling, P.standing): "Tuck your toes under, and come up to stand at the top of "
                              "your mat.",
    (P.kneeling, P.all_fours): "Lean forward, and place your hands under your shoulders, so "
                               "you're on your hands and knees.",
    (P.kneeling, P.seated): "Shift your hips off to one side, and come to sit on the mat.",
    (P.kneeling, P.supine): "Sit down to one side, then lower yourself slowly onto your back.",
    (P.kneeling, P.prone): "Walk your hands forward, and lower yourself onto your front.",
    (P.all_fours, P.standing): "Walk your hands back toward your feet, and roll slowly up to "
                               "stand.",
    (P.all_fours, P.kneeling): "Sit back toward your heels, and lift your chest to kneel.",
    (P.all_fours, P.seated): "Swing your legs around to one side, and come to sit on the mat.",
    (P.all_fours, P.supine): "Swing your legs around to one side, sit down, and roll slowly "
                             "onto your back.",
    (P.all_fours, P.prone): "Slide your legs back, and lower yourself onto your front.",
    (P.seated, P.standing): "Roll forward onto your hands and knees, walk your hands back to "
                            "your feet, and rise slowly to stand.",
    (P.seated, P.kneeling): "Fold your legs beneath you, and come up to kneel.",
    (P.seated, P.all_fours): "Roll forward onto your hands and knees.",
    (P.seated, P.supine): "Lean back onto your elbows, and lower yourself slowly onto your "
                          "back.",
    (P.seated, P.prone): "Roll forward onto your hands and knees, then lower yourself onto "
                         "your front.",
    (P.supine, P.standing): "Roll onto one side, press up onto your hands and knees, and rise "
                            "slowly to stand.",
    (P.supine, P.kneeling): "Roll onto one side, and press yourself up to kneel.",
    (P.supine, P.all_fours): "Roll onto one side, and press yourself up onto your hands and "
                             "knees.",
    (P.supine, P.seated): "Roll onto one side, and press yourself slowly up to sit.",
    (P.supine, P.prone): "Roll over onto your front.",
    (P.prone, P.standing): "Press up onto your hands and knees, walk your hands back to your "
                           "feet, and rise slowly to stand.",
    (P.prone, P.kneeling): "Press back onto your hands and knees, then sit up to kneel.",
    (P.prone, P.all_fours): "Press yourself up onto your hands and knees.",
    (P.prone, P.seated): "Press up onto your hands and knees, then swing your legs around to "
                         "sit.",
    (P.prone, P.supine): "Roll over onto your back.",
}
"""How to get from one position to another, for every pair of positions."""


def transition(where: Position | None, to: Position) -> str | None:
    """The line that takes the listener from ``where`` to ``to``: the starting position when
    ``where`` is unknown, nothing when they are already there."""
    if where is None:
        return START[to]
    if where is to:
        return None
    return TRANSITIONS[(where, to)]
