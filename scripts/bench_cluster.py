"""``python scripts/bench.py cluster [N]``: the cluster path against the local one.

N short variant sessions (default 20: two shipped routines, ten 6- to 8-minute variants each,
levels and paces) are built four times, each into its own output folder:

1. locally with ``--jobs 2``, cold (an empty cache);
2. on a LocalCluster of two single-threaded worker processes, cold (another empty cache);
3. and 4. the same two, forced, from the warm cache.

It prints each wall time, the cluster path's overhead (cluster / local - 1; target <= 10 %), the
lines spoken and taken from the cache in each cold build (the workers share one cache folder, so
a line one worker spoke is a hit for the other), the throughput per core, and what 10,000
20-minute sessions a day would take on N machines, scaled from the cold local build.
"""

from __future__ import annotations

import json
import re
import shutil
import subprocess
import sys
import tempfile
import time
from pathlib import Path

import yaml

ROOT = Path(__file__).resolve().parents[1]
ROUTINES = ("ragdoll-back", "downward-dog-back")
VARIANTS = ([{"minutes": m, "level": level} for m in (6, 7)
             for level in ("gentle", "beginner", "all", "advanced")]
            + [{"minutes": 8, "pace": "slow"}, {"minutes": 8, "pace": "fast"}])
SPOKEN = re.compile(r"(\d+) lines? spoken, (\d+) from cache")
DAILY_SESSIONS = 10_000
SESSION_MINUTES = 20


def make_library(root: Path, count: int) -> Path:
    """A library of ``count`` variant sessions of the shipped short routines."""
    library = root / "library"
    shutil.copytree(ROOT / "routines" / "poses", library / "poses")
    per = -(-count // len(ROUTINES))
    left = count
    for name in ROUTINES:
        doc = yaml.safe_load((ROOT / "routines" / f"{name}.yaml").read_text(encoding="utf-8"))
        take = min(per, left, len(VARIANTS))
        doc["variants"] = VARIANTS[:take]
        left -= take
        (library / f"{name}.yaml").write_text(yaml.safe_dump(doc, sort_keys=False),
                                              encoding="utf-8")
    return library


def build(library: Path, out: Path, cache: Path, *extra: str) -> tuple[float, int, int]:
    """Wall seconds of one ``build --all``, and the lines spoken and taken from the cache."""
    t0 = time.perf_counter()
    result = subprocess.run([sys.executable, "-m", "matcast.cli", "build", "--all", str(library),
                             "-o", str(out), "--cache-dir", str(cache), *extra],
                            capture_output=True, text=True, check=False, cwd=ROOT)
    wall = time.perf_counter() - t0
    if result.returncode != 0:
        raise SystemExit(f"build failed ({result.returncode}):\n{result.stdout}{result.stderr}")
    pairs = [tuple(map(int, m)) for m in SPOKEN.findall(result.stdout)]
    return wall, sum(p[0] for p in pairs), sum(p[1] for p in pairs)


def main(count: int) -> None:
    from distributed import LocalCluster

    with tempfile.TemporaryDirectory() as tmp:
        root = Path(tmp)
        library = make_library(root, count)
        t0 = time.perf_counter()
        cluster = LocalCluster(n_workers=2, threads_per_worker=1, processes=True,
                               dashboard_address=":0", silence_logs=50)
        start = time.perf_counter() - t0
        address = cluster.scheduler_address
        try:
            local_cold = build(library, root / "local", root / "cache-local", "--jobs", "2")
            dask_cold = build(library, root / "dask", root / "cache-dask", "--cluster", address)
            local_warm = build(library, root / "local", root / "cache-local", "--jobs", "2",
                               "--force")
            dask_warm = build(library, root / "dask", root / "cache-dask", "--cluster", address,
                              "--force")
        finally:
            cluster.close()
        episodes = json.loads((root / "local" / "manifest.json").read_text())["episodes"]
    audio_min = sum(e["duration"] for e in episodes.values()) / 60
    cores = 2
    print(f"library            {len(episodes)} sessions, {audio_min:.1f} min of audio "
          f"({', '.join(ROUTINES)}; 6-8 min variants)")
    print(f"LocalCluster start {start:.2f} s (two worker processes; not in the times below)")
    for label, local, dask in (("cold", local_cold, dask_cold), ("warm", local_warm, dask_warm)):
        print(f"{label}  --jobs 2     {local[0]:7.2f} s   {local[1]:5d} lines spoken, "
              f"{local[2]:5d} from cache")
        print(f"{label}  cluster x2   {dask[0]:7.2f} s   {dask[1]:5d} lines spoken, "
              f"{dask[2]:5d} from cache")
        overhead = dask[0] / local[0] - 1
        print(f"{label}  overhead     {overhead * 100:+6.1f} %  (target <= 10 %: "
              f"{'meets' if overhead <= 0.10 else 'MISSES'} it)")
    hits = dask_cold[2] / max(1, dask_cold[1] + dask_cold[2])
    print(f"shared cache       the cold cluster build took {hits * 100:.0f} % of its lines from "
          "the cache its two workers filled together")
    core_s = local_cold[0] * cores / audio_min
    print(f"throughput         {audio_min * 60 / (local_cold[0] * cores):.1f} s of audio per "
          f"core-second cold, {audio_min * 60 / (local_warm[0] * cores):.1f} warm "
          f"({core_s:.2f} core-s per minute of audio cold)")
    needed = DAILY_SESSIONS * SESSION_MINUTES * core_s
    for machine_cores in (2, 8, 32):
        machines = needed / (86_400 * machine_cores)
        print(f"10,000 x {SESSION_MINUTES} min/day  {needed / 3600:,.0f} core-hours cold: "
              f"{machines:.1f} machines of {machine_cores} cores busy all day")


if __name__ == "__main__":
    main(int(sys.argv[1]) if len(sys.argv) > 1 else 20)
