"""``python scripts/bench.py cluster [N]``: the cluster path against the local one.

N short variant sessions (default 20, up to 50: five shipped routines, up to ten 6- to 8-minute
variants each, levels and paces) are built four times, each into its own output folder:

1. locally with ``--jobs 2``, cold (an empty cache);
2. on a LocalCluster of two single-threaded worker processes, cold (another empty cache);
3. and 4. the same two, forced, from the warm cache.

It prints each build's wall time and CPU time (the command, its worker processes and their
children; for the cluster, the workers' processes and children read from /proc: the in-process
scheduler is left out), the cluster path's overhead (cluster / local - 1, in wall and in CPU
time; target <= 10 %), the lines spoken and taken from the cache in each cold build (the workers
share one cache folder, so a line one worker spoke is a hit for the other), and the throughput
per CPU-second, scaled to 10,000 20-minute sessions a day. CPU time is the measure to trust on
a machine that other work shares: wall time then depends on the neighbours.
"""

from __future__ import annotations

import json
import re
import resource
import shutil
import subprocess
import sys
import tempfile
import time
from pathlib import Path

import yaml

ROOT = Path(__file__).resolve().parents[1]
ROUTINES = ("ragdoll-back", "downward-dog-back", "thunderbolt", "happy-baby", "seated-twist")
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


def build(library: Path, out: Path, cache: Path, *extra: str, client: object = None
          ) -> tuple[float, int, int, float]:
    """One ``build --all``: wall seconds, lines spoken and taken from the cache, and CPU
    seconds (the command and its worker processes; with ``client``, the cluster's workers and
    their children too). CPU time holds still on a machine shared with other work; wall time
    does not."""
    before = resource.getrusage(resource.RUSAGE_CHILDREN)
    workers = _workers_cpu(client)
    t0 = time.perf_counter()
    result = subprocess.run([sys.executable, "-m", "matcast.cli", "build", "--all", str(library),
                             "-o", str(out), "--cache-dir", str(cache), *extra],
                            capture_output=True, text=True, check=False, cwd=ROOT)
    wall = time.perf_counter() - t0
    after = resource.getrusage(resource.RUSAGE_CHILDREN)
    cpu = (after.ru_utime - before.ru_utime) + (after.ru_stime - before.ru_stime)
    cpu += _workers_cpu(client) - workers
    if result.returncode != 0:
        raise SystemExit(f"build failed ({result.returncode}):\n{result.stdout}{result.stderr}")
    pairs = [tuple(map(int, m)) for m in SPOKEN.findall(result.stdout)]
    return wall, sum(p[0] for p in pairs), sum(p[1] for p in pairs), cpu


def _workers_cpu(client: object) -> float:
    """CPU seconds the cluster's worker processes and their children (speech engines,
    ffmpeg: running or ended) have used so far, from /proc."""
    if client is None:
        return 0.0

    def used() -> float:
        import contextlib
        import os

        def ticks(pid: int | str) -> int:
            with open(f"/proc/{pid}/stat") as handle:
                fields = handle.read().rsplit(")", 1)[1].split()
            return sum(int(x) for x in fields[11:15])  # utime stime cutime cstime

        pid = os.getpid()
        total = ticks(pid)
        for task in os.listdir(f"/proc/{pid}/task"):
            with open(f"/proc/{pid}/task/{task}/children") as handle:
                for child in handle.read().split():
                    with contextlib.suppress(OSError):  # it ended meanwhile
                        total += ticks(child)
        return total / os.sysconf("SC_CLK_TCK")

    return float(sum(client.run(used).values()))  # type: ignore[attr-defined]


def main(count: int) -> None:
    from distributed import Client, LocalCluster

    with tempfile.TemporaryDirectory() as tmp:
        root = Path(tmp)
        library = make_library(root, count)
        t0 = time.perf_counter()
        cluster = LocalCluster(n_workers=2, threads_per_worker=1, processes=True,
                               dashboard_address=":0", silence_logs=50)
        start = time.perf_counter() - t0
        address = cluster.scheduler_address
        client = Client(cluster, set_as_default=False)
        try:
            local_cold = build(library, root / "local", root / "cache-local", "--jobs", "2")
            dask_cold = build(library, root / "dask", root / "cache-dask", "--cluster", address,
                              client=client)
            local_warm = build(library, root / "local", root / "cache-local", "--jobs", "2",
                               "--force")
            dask_warm = build(library, root / "dask", root / "cache-dask", "--cluster", address,
                              "--force", client=client)
        finally:
            client.close()
            cluster.close()
        episodes = json.loads((root / "local" / "manifest.json").read_text())["episodes"]
    audio_min = sum(e["duration"] for e in episodes.values()) / 60
    print(f"library            {len(episodes)} sessions, {audio_min:.1f} min of audio "
          f"({', '.join(ROUTINES)}; 6-8 min variants)")
    print(f"LocalCluster start {start:.2f} s (two worker processes; not in the times below)")
    for label, local, dask in (("cold", local_cold, dask_cold), ("warm", local_warm, dask_warm)):
        for name, run in (("--jobs 2  ", local), ("cluster x2", dask)):
            print(f"{label}  {name}   {run[0]:7.2f} s wall {run[3]:7.2f} s CPU   "
                  f"{run[1]:5d} lines spoken, {run[2]:5d} from cache")
        wall, cpu = dask[0] / local[0] - 1, dask[3] / local[3] - 1
        print(f"{label}  overhead     {wall * 100:+6.1f} % wall, {cpu * 100:+6.1f} % CPU  "
              f"(target <= 10 %: {'meets' if max(wall, cpu) <= 0.10 else 'MISSES'} it)")
    hits = dask_cold[2] / max(1, dask_cold[1] + dask_cold[2])
    print(f"shared cache       the cold cluster build took {hits * 100:.0f} % of its lines from "
          "the cache its two workers filled together")
    for label, run in (("cold", local_cold), ("warm", local_warm)):
        core_s = run[3] / audio_min
        needed = DAILY_SESSIONS * SESSION_MINUTES * core_s / 3600
        print(f"throughput {label}    {audio_min * 60 / run[3]:6.1f} s of audio per CPU-second "
              f"({core_s:.2f} CPU-s per minute of audio): 10,000 x {SESSION_MINUTES} min a day "
              f"= {needed:,.0f} core-hours = {needed / 24:.1f} cores busy all day, "
              f"{needed / 24 / 8:.1f} machines of 8 cores")


if __name__ == "__main__":
    main(int(sys.argv[1]) if len(sys.argv) > 1 else 20)
