"""Measure each engine's real speaking pace and store the calibration matcast speaks by.

For each engine (and its default voice, or the voices given), renders the fixed paragraph below
line by line at several of the engine's own settings (eSpeak's rate, Piper's length scale),
measures the words per minute while speaking (matcast.voice.pace: words ÷ the clips' sounding
time, silence trimmed by an energy threshold) and writes the points to
src/matcast/voice/calibration.json, which the engines interpolate to turn ``--rate`` into their
setting. Then it checks the result: renders the paragraph at 110, 135 and 160 wpm through the
calibrated engines and prints what was really spoken.

    python scripts/calibrate.py                      # both engines, their default voices
    python scripts/calibrate.py --engine piper       # one engine (the other's points are kept)
    python scripts/calibrate.py --check              # only the check, against the stored file
"""

from __future__ import annotations

import argparse
import json
import sys
import time
from contextlib import closing
from pathlib import Path

from matcast.voice.calibration import CALIBRATION_FILE, calibration
from matcast.voice.pace import words_per_minute
from matcast.voice.registry import get_engine

PARAGRAPH = [
    "Come onto your hands and knees.",
    "Spread your fingers wide, and press the floor away.",
    "Inhale.",
    "Exhale, two.",
    "Inhale, and lift your chest.",
    "Exhale, and round your back.",
    "Let your head hang, heavy and loose.",
    "Stay here, and breathe slowly.",
    "When you are ready, step your right foot forward between your hands.",
    "Bend your knees a little, and fold forward from the hips.",
    "Relax your shoulders away from your ears, and soften your jaw.",
]
"""Guidance in matcast's own words, mixed as a session is: breath cues of one or two words and
steps of up to a dozen, with the commas and full stops whose pauses a listener hears as part of
the pace. (A paragraph of long sentences alone measures about 15% faster than a session.)"""

SETTINGS = {
    "pyttsx3": [80.0, 95.0, 110.0, 125.0, 140.0, 160.0, 180.0, 200.0],
    "piper": [0.95, 1.1, 1.3, 1.5, 1.75, 2.05, 2.45, 2.9],
}
"""The settings measured: wide enough that every rate matcast accepts lies between two points."""

KIND = {"pyttsx3": "eSpeak NG rate setting", "piper": "Piper length_scale"}


def measure(engine_name: str, voice: str | None) -> tuple[str, list[list[float]]]:
    points: list[list[float]] = []
    with closing(get_engine(engine_name)) as engine:
        voice_id, _ = engine.check(voice, None)
        for setting in SETTINGS[engine_name]:
            clips = engine.render_setting(PARAGRAPH, voice_id, setting)  # type: ignore[attr-defined]
            wpm = words_per_minute((t, clips[t]) for t in PARAGRAPH)
            print(f"  {engine_name} {voice_id} {KIND[engine_name]} {setting:g}: {wpm:.1f} wpm",
                  flush=True)
            points.append([setting, round(wpm, 2)])
    return voice_id, points


def check(engine_name: str, voice: str | None) -> None:
    with closing(get_engine(engine_name)) as engine:
        voice_id, _ = engine.check(voice, None)
        for rate in (110, 135, 160):
            clips = engine.render(PARAGRAPH, voice_id, rate)
            wpm = words_per_minute((t, clips[t]) for t in PARAGRAPH)
            print(f"  {engine_name} {voice_id} --rate {rate}: {wpm:.1f} wpm "
                  f"({100 * (wpm / rate - 1):+.1f}%)", flush=True)


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--engine", choices=sorted(SETTINGS), action="append")
    parser.add_argument("--voice", help="a voice of the one --engine given (default: its own)")
    parser.add_argument("--check", action="store_true", help="only check the stored calibration")
    args = parser.parse_args()
    engines = args.engine or sorted(SETTINGS)
    if args.voice and len(engines) != 1:
        parser.error("--voice needs exactly one --engine")
    if not args.check:
        data = (json.loads(CALIBRATION_FILE.read_text(encoding="utf-8"))
                if CALIBRATION_FILE.exists() else {"engines": {}})
        data["definition"] = (
            "words per minute while speaking: words (runs of letters or digits) of the lines, "
            "divided by the lines' clips' duration with leading and trailing silence trimmed "
            "(mean power over 5 ms windows above -50 dBFS); see matcast.voice.pace")
        data["paragraph"] = PARAGRAPH
        for name in engines:
            start = time.perf_counter()
            voice_id, points = measure(name, args.voice)
            entry = data["engines"].setdefault(name, {"default_voice": voice_id, "voices": {}})
            entry["setting"] = KIND[name]
            if not args.voice:
                entry["default_voice"] = voice_id
            entry["voices"][voice_id] = {"points": points}
            print(f"  ({time.perf_counter() - start:.0f} s)", flush=True)
        tmp = CALIBRATION_FILE.with_suffix(".tmp")
        tmp.write_text(json.dumps(data, indent=2, ensure_ascii=False) + "\n", encoding="utf-8")
        tmp.replace(CALIBRATION_FILE)
        calibration.cache_clear()
        print(f"wrote {CALIBRATION_FILE}")
    for name in engines:
        check(name, args.voice)
    return 0


if __name__ == "__main__":
    sys.path.insert(0, str(Path(__file__).resolve().parents[1] / "src"))
    sys.exit(main())
