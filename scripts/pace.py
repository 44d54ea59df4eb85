"""The real pace of a routine's session: words per minute while speaking (matcast.voice.pace).

Compiles the routine as written, speaks its distinct lines (through the library's lexicon) and
divides the words of every spoken line, repeats included, by their clips' sounding time.

    python scripts/pace.py post-run --engine piper               # at the default rate
    python scripts/pace.py post-run --engine pyttsx3 --rate 110
    python scripts/pace.py post-run --engine piper --setting 1.3875   # the engine's own setting
"""

from __future__ import annotations

import argparse
import sys
import time
from contextlib import closing
from pathlib import Path

from matcast.compiler import compile_routine
from matcast.cues import EventKind
from matcast.routine.lexicon import lexicon_for
from matcast.routine.loader import load_routine
from matcast.routine.paths import default_library, resolve_routine
from matcast.voice.pace import words_per_minute
from matcast.voice.registry import get_engine


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("routine")
    parser.add_argument("--engine", help="piper or pyttsx3 (default: $MATCAST_ENGINE, else piper)")
    parser.add_argument("--rate", type=int, help="words per minute asked (default: 135)")
    parser.add_argument("--setting", type=float,
                        help="the engine's own setting instead (eSpeak rate, Piper length scale)")
    args = parser.parse_args()
    library = default_library()
    loaded = load_routine(resolve_routine(args.routine, library))
    script = compile_routine(loaded)
    spoken = [e.text for e in script.events if e.kind is EventKind.speech and e.text]
    respell = lexicon_for(loaded.path.parent)
    start = time.perf_counter()
    with closing(get_engine(args.engine)) as engine:
        voice, rate = engine.check(None, args.rate)
        given = {text: respell.apply(text, engine.name) for text in spoken}
        lines = list(dict.fromkeys(given.values()))
        if args.setting is not None:
            clips = engine.render_setting(lines, voice, args.setting)
            asked = f"{engine.name} setting {args.setting:g}"
        else:
            clips = engine.render(lines, voice, rate)
            asked = f"{engine.name} --rate {rate}"
    wpm = words_per_minute((text, clips[given[text]]) for text in spoken)
    took = time.perf_counter() - start
    print(f"{loaded.slug}: {asked} ({voice}): {wpm:.1f} words per minute while speaking, over "
          f"{len(spoken)} spoken lines ({len(lines)} distinct; {took:.0f} s)")
    return 0


if __name__ == "__main__":
    sys.path.insert(0, str(Path(__file__).resolve().parents[1] / "src"))
    sys.exit(main())
