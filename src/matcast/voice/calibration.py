"""From words per minute to each engine's own speed setting, by measurement.

``--rate`` is the pace a listener hears (see :mod:`matcast.voice.pace` for the definition). No
engine takes that directly: eSpeak NG's rate setting is nominal (at 160 it really speaks about
184 words a minute, because it does not count its own pauses the same way), and Piper takes a
``length_scale`` (phoneme durations multiplied; 1.0 is the voice's natural pace). The mapping is
measured by ``scripts/calibrate.py``, which renders a fixed paragraph line by line at several
settings per engine and voice and stores each (setting, measured words per minute) point in
``calibration.json`` beside this module. :func:`native_setting` interpolates between those points
(linearly in words per minute against the setting's speed: the rate setting for eSpeak, the
inverse of the length scale for Piper, both nearly straight lines). A voice without its own
points uses its engine's default voice's: close, not exact.
"""

from __future__ import annotations

import json
from functools import cache
from pathlib import Path
from typing import Any

import numpy as np

from matcast.errors import VoiceError

CALIBRATION_FILE = Path(__file__).with_name("calibration.json")


@cache
def calibration() -> dict[str, Any]:
    """The stored calibration (read once)."""
    try:
        data: dict[str, Any] = json.loads(CALIBRATION_FILE.read_text(encoding="utf-8"))
    except (OSError, ValueError) as exc:
        raise VoiceError(f"the speaking-rate calibration {CALIBRATION_FILE} is unreadable ({exc})"
                         "\n    hint: reinstall matcast, or run scripts/calibrate.py") from None
    return data


def points(engine: str, voice: str) -> list[tuple[float, float]]:
    """The measured ``(setting, words per minute)`` points for ``voice`` of ``engine``."""
    engines = calibration().get("engines", {})
    entry = engines.get(engine)
    if entry is None:
        raise VoiceError(f"speech engine {engine} has no speaking-rate calibration"
                         "\n    hint: run scripts/calibrate.py --engine " + engine)
    voices: dict[str, Any] = entry["voices"]
    chosen = voices.get(voice) or voices[entry["default_voice"]]
    return [(float(s), float(w)) for s, w in chosen["points"]]


def _speed(engine: str, setting: float) -> float:
    # Piper's length scale slows speech down as it grows: its inverse is the speed.
    return 1.0 / setting if engine == "piper" else setting


def native_setting(engine: str, voice: str, rate: int) -> float:
    """The engine's own setting that speaks ``rate`` words per minute with ``voice``.

    Interpolated between measured points, extrapolated along the nearest two beyond them.
    """
    measured = sorted(points(engine, voice), key=lambda p: p[1])
    wpm = np.array([w for _, w in measured])
    speed = np.array([_speed(engine, s) for s, _ in measured])
    if rate <= wpm[0] or rate >= wpm[-1]:
        i = 0 if rate <= wpm[0] else len(wpm) - 2
        slope = (speed[i + 1] - speed[i]) / (wpm[i + 1] - wpm[i])
        value = float(speed[i] + slope * (rate - wpm[i]))
    else:
        value = float(np.interp(rate, wpm, speed))
    setting = _speed(engine, value)
    return round(setting, 4)
