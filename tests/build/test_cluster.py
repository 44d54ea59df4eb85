"""build --all --cluster: a library built on a Dask LocalCluster of two worker processes, into
an output folder given as an fsspec URL, is the library a local build makes; a worker killed
mid-build is survived; caches at fsspec URLs; a bad or unreachable scheduler is a clear
error."""

from __future__ import annotations

import json
import os
import signal
import subprocess
import sys
import time
from collections.abc import Iterator
from pathlib import Path

import numpy as np
import pytest

from library_builds import build_all, make_library
from matcast.audio.ffmpeg import decode_pcm

distributed = pytest.importorskip("distributed")

EPISODES = ["knees", "rest", "rest-flow"]


@pytest.fixture(scope="module")
def cluster() -> Iterator[object]:
    """One LocalCluster for the module: two worker processes of one thread each."""
    local = distributed.LocalCluster(n_workers=2, threads_per_worker=1, processes=True,
                                     dashboard_address=":0", silence_logs=50)
    try:
        yield local
    finally:
        local.close()


@pytest.fixture(scope="module")
def builds(tmp_path_factory: pytest.TempPathFactory, cluster: object
           ) -> tuple[Path, Path, Path, subprocess.CompletedProcess[str],
                      subprocess.CompletedProcess[str]]:
    """The small library built locally from an empty cache, then on the cluster with the cache
    it filled, at a file:// URL, into ``local://.../cluster-out``: fsspec's local file system
    as a store (a file:// URL is a plain path), so the workers build each episode in a temp
    folder of theirs and upload it themselves, as they would to s3://.

    eSpeak does not speak a line to the same sample twice (a few samples of length differ
    between runs), and two worker processes may speak a line two episodes share at once, each
    keeping its own take: so the local build runs one worker process, and every clip it used is
    the one the cache keeps for the cluster's workers.
    """
    root = tmp_path_factory.mktemp("cluster")
    library = make_library(root)
    cache = root / "cache"
    local = build_all(library, root / "local-out", cache, "--jobs", "1")
    on_cluster = build_all(library, f"local://{root / 'cluster-out'}", cache, "--cluster",
                           cluster.scheduler_address,  # type: ignore[attr-defined]
                           "--cache-dir", cache.as_uri())
    return library, root / "cluster-out", root / "local-out", on_cluster, local


def test_cluster_build_matches_the_local_build(builds: tuple) -> None:  # type: ignore[type-arg]
    _, cluster_out, local_out, on_cluster, local = builds
    assert on_cluster.returncode == 0, on_cluster.stderr + on_cluster.stdout
    assert local.returncode == 0, local.stderr + local.stdout
    for slug in EPISODES:
        assert (json.loads((cluster_out / f"{slug}.cues.json").read_text())
                == json.loads((local_out / f"{slug}.cues.json").read_text())), slug
        from_cluster, from_local = (decode_pcm(out / f"{slug}.mp3")
                                    for out in (cluster_out, local_out))
        assert from_cluster.size > 44_100 * 20
        assert np.array_equal(from_cluster, from_local), slug
    # The client wrote the manifest, the feed and the page once every episode was back.
    manifest = json.loads((cluster_out / "manifest.json").read_text())
    assert sorted(manifest["episodes"]) == EPISODES
    assert (cluster_out / "feed.xml").is_file() and (cluster_out / "index.html").is_file()
    # The same summary table; the cluster's workers found every line in the cache at the URL.
    for slug in EPISODES:
        assert any(line.split()[:3] == [slug, line.split()[1], "built"]
                   and "0 lines spoken" in line
                   for line in on_cluster.stdout.splitlines()), on_cluster.stdout
    table = [line.split()[:3] for line in local.stdout.splitlines()[:4]]
    assert [line.split()[:3] for line in on_cluster.stdout.splitlines()[:4]] == table
    assert not [p for p in cluster_out.iterdir() if p.name.endswith(".matcast-tmp")]
    assert not (cluster_out / ".matcast-lock").exists()  # the build's lease is gone
    assert f"published feed.xml, index.html in local://{cluster_out}" in on_cluster.stdout


def test_each_worker_kept_one_builder_and_engine(builds: tuple,  # type: ignore[type-arg]
                                                 cluster: object) -> None:
    """The three episodes went to two workers, and each worker built its share with the one
    Builder (so the one speech engine process) its plugin kept between tasks."""
    def kept(dask_worker: object) -> list[int]:  # nested: sent to the workers by value
        plugin = dask_worker.plugins["matcast"]  # type: ignore[attr-defined]
        return [len(builder._engines) for builder in plugin.builders.values()]

    with distributed.Client(cluster, set_as_default=False) as client:
        per_worker = client.run(kept)
    assert len(per_worker) == 2
    assert all(engines in ([], [1]) for engines in per_worker.values()), per_worker
    assert [1] in per_worker.values()


def test_noop_rebuild_on_the_cluster_builds_nothing(builds: tuple,  # type: ignore[type-arg]
                                                   cluster: object) -> None:
    """Rebuilt with -o file://...: the same folder as a plain path finds what the store's
    build recorded up to date."""
    library, cluster_out, _, _, _ = builds
    before = {p.name: p.stat().st_mtime_ns for p in cluster_out.glob("*.mp3")}
    again = build_all(library, cluster_out.as_uri(), cluster_out.parent / "cache", "--cluster",
                      cluster.scheduler_address)  # type: ignore[attr-defined]
    assert again.returncode == 0, again.stderr
    assert again.stdout.count("up to date") == len(EPISODES), again.stdout
    assert {p.name: p.stat().st_mtime_ns for p in cluster_out.glob("*.mp3")} == before


def run_cli(*args: str, cwd: Path | None = None) -> subprocess.CompletedProcess[str]:
    return subprocess.run([sys.executable, "-m", "matcast.cli", *args], capture_output=True,
                          text=True, check=False, timeout=120, cwd=cwd)


@pytest.mark.parametrize(("url", "expected"), [
    ("http://example.org:8786", "not a scheduler address"),
    ("tcp://", "not a scheduler address"),
    ("tcp://host:99999", "Port out of range"),
    ("tcp://host:8786/path", "no path"),
])
def test_bad_cluster_address_is_refused(tmp_path: Path, url: str, expected: str) -> None:
    result = run_cli("build", "--all", "-o", str(tmp_path / "out"), "--cluster", url)
    assert result.returncode == 2, result.stderr
    assert expected in result.stderr and "tcp://10.0.0.5:8786" in result.stderr
    assert "Traceback" not in result.stderr
    assert not (tmp_path / "out").exists()


def test_unreachable_scheduler_is_a_clear_error(tmp_path: Path) -> None:
    library = make_library(tmp_path)
    started = time.monotonic()
    result = run_cli("build", "--all", str(library), "-o", str(tmp_path / "out"),
                     "--cache-dir", str(tmp_path / "cache"), "--cluster", "tcp://127.0.0.1:9")
    assert result.returncode == 1, result.stderr
    assert "cannot reach the Dask scheduler at tcp://127.0.0.1:9" in result.stderr
    assert "hint: start a scheduler with `dask scheduler`" in result.stderr
    assert "Traceback" not in result.stderr
    assert time.monotonic() - started < 30
    assert not list((tmp_path / "out").glob("*.mp3"))


def test_cluster_needs_all_and_no_jobs(tmp_path: Path) -> None:
    single = run_cli("build", "post-run", "--cluster", "tcp://127.0.0.1:8786")
    assert single.returncode == 2 and "use it with --all" in single.stderr
    both = run_cli("build", "--all", "--cluster", "tcp://127.0.0.1:8786", "--jobs", "2",
                   "-o", str(tmp_path / "out"))
    assert both.returncode == 2 and "--jobs" in both.stderr and "Traceback" not in both.stderr


def test_cache_at_a_memory_url(tmp_path: Path) -> None:
    """The fsspec path of the cache: entries written atomically, read back, damage detected."""
    from matcast.voice.cache import UtteranceCache

    cache = UtteranceCache("memory://matcast-test-cache")
    key = UtteranceCache.key("pyttsx3", "1", "en", 160, "Breathe in.")
    assert cache.get(key) is None
    samples = (np.sin(np.arange(4410) / 7) * 9000).astype(np.int16)
    cache.put(key, samples)
    assert np.array_equal(cache.get(key), samples)
    assert cache.store is not None
    name = cache.store.path(UtteranceCache.name(key))
    assert not [p for p in cache.store.fs.find(cache.store.root) if "matcast-tmp" in p]
    cache.store.fs.pipe_file(name, cache.store.fs.cat_file(name)[:-10])  # truncated
    assert cache.get(key) is None and not cache.store.fs.exists(name)


@pytest.mark.slow
def test_single_build_with_a_memory_url_cache(tmp_path: Path) -> None:
    """A routine built with its cache at memory:// (one process: the build's own store)."""
    work = tmp_path / "work"
    work.mkdir()
    result = run_cli("build", str(make_library(tmp_path) / "knees.yaml"), "-o",
                     str(tmp_path / "out"), "--cache-dir", "memory://speech", cwd=work)
    assert result.returncode == 0, result.stderr
    assert "lines spoken" in result.stdout and (tmp_path / "out" / "knees.mp3").is_file()
    # The URL stays a URL: typer once turned it into the path memory:/speech, in the cwd.
    assert list(work.iterdir()) == []


@pytest.mark.slow
def test_a_worker_killed_mid_build_is_survived(tmp_path: Path, cluster: object) -> None:
    """From an empty cache, which the two workers fill together; one is killed (SIGKILL) while
    it builds an episode, which the other then builds."""
    library = make_library(tmp_path)
    out = tmp_path / "out"
    process = subprocess.Popen(
        [sys.executable, "-m", "matcast.cli", "build", "--all", str(library), "-o", str(out),
         "--cache-dir", str(tmp_path / "cache"), "--cluster",
         cluster.scheduler_address],  # type: ignore[attr-defined]
        stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True)
    with distributed.Client(cluster, set_as_default=False) as client:
        pids = client.run(os.getpid)
        deadline = time.monotonic() + 120
        victim = None
        while victim is None and time.monotonic() < deadline and process.poll() is None:
            busy = {w: keys for w, keys in client.processing().items()
                    if any(str(k).startswith("matcast-") for k in keys)}
            if busy:
                victim = sorted(busy)[0]
            else:
                time.sleep(0.05)
        assert victim is not None, "no episode ever ran on the cluster"
        time.sleep(0.5)  # into the episode's work
        os.kill(pids[victim], signal.SIGKILL)
        stdout, stderr = process.communicate(timeout=300)
    assert process.returncode == 0, stderr + stdout
    manifest = json.loads((out / "manifest.json").read_text())
    assert sorted(manifest["episodes"]) == EPISODES
    for slug in EPISODES:
        assert len(decode_pcm(out / f"{slug}.mp3")) > 44_100 * 20


@pytest.mark.slow
@pytest.mark.parametrize("as_url", [False, True], ids=["folder", "store"])
def test_a_killed_client_leaves_the_output_folder_alone(tmp_path: Path, cluster: object,
                                                        as_url: bool) -> None:
    """The client is SIGKILLed while a worker builds: the scheduler drops its tasks, and the
    worker's guard keeps the episode it was building out of the folder (or, for an output
    folder at a URL, checked before the upload, out of the store)."""
    def executing(dask_worker: object) -> int:  # nested: sent to the workers by value
        return int(dask_worker.state.executing_count)  # type: ignore[attr-defined]

    library = make_library(tmp_path)
    out = tmp_path / "out"
    process = subprocess.Popen(
        [sys.executable, "-m", "matcast.cli", "build", "--all", str(library), "-o",
         f"local://{out}" if as_url else str(out), "--cache-dir", str(tmp_path / "cache"),
         "--cluster", cluster.scheduler_address],  # type: ignore[attr-defined]
        stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
    with distributed.Client(cluster, set_as_default=False) as client:
        deadline = time.monotonic() + 120
        while time.monotonic() < deadline and process.poll() is None and not any(
                str(k).startswith("matcast-")
                for keys in client.processing().values() for k in keys):
            time.sleep(0.05)
        assert process.poll() is None, "the build ended before any episode ran"
        process.kill()
        process.wait()
        # Until the workers are idle again: a cancelled task's thread runs to its end.
        while time.monotonic() < deadline and any(client.run(executing).values()):
            time.sleep(0.2)
        assert not any(client.run(executing).values())
    assert not list(out.glob("*.mp3")), sorted(p.name for p in out.iterdir())
