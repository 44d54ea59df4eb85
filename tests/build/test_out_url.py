"""-o at an fsspec URL: an episode built into a store is the episode a folder gets; a build that
fails leaves nothing in the store; the store's lease refuses a second build and is taken over
when stale; a library in a store rebuilds only what changed (-m slow)."""

from __future__ import annotations

import json
import os
import sys
import time
import uuid
from pathlib import Path

import numpy as np
import pytest

from cli_main import run_main
from library_builds import make_library
from matcast.audio.ffmpeg import decode_pcm
from matcast.errors import OutputError

pytest.importorskip("fsspec")

from matcast.build.lease import LEASE, STALE_SECONDS, read_lease, store_lock
from matcast.fs.store import Store

SLUG = "rest-flow"
SIDECARS = [f"{SLUG}.chapters.json", f"{SLUG}.cues.json", f"{SLUG}.vtt"]




@pytest.fixture(scope="module")
def library(tmp_path_factory: pytest.TempPathFactory) -> Path:
    return make_library(tmp_path_factory.mktemp("url"))


@pytest.fixture(scope="module")
def cache(tmp_path_factory: pytest.TempPathFactory) -> Path:
    return tmp_path_factory.mktemp("url-cache")


def memory_url() -> str:
    """A memory:// folder of this test's own (the memory file system is one per process)."""
    return f"memory://matcast-test-{uuid.uuid4().hex[:12]}"


def single(library: Path, out: str, cache: Path) -> list[str]:
    return ["build", str(library / "rest.yaml"), "--style", "flow", "-o", out,
            "--cache-dir", str(cache)]


def objects(url: str) -> dict[str, bytes]:
    store = Store(url)
    if not store.fs.exists(store.root):
        return {}
    return {path.rpartition("/")[2]: store.fs.cat_file(path)
            for path in store.fs.find(store.root, withdirs=False)}


def test_a_single_build_into_memory_is_the_build_into_a_folder(
        library: Path, cache: Path, tmp_path: Path, capsys: pytest.CaptureFixture[str],
        monkeypatch: pytest.MonkeyPatch) -> None:
    folder = tmp_path / "out"
    code, out, err = run_main(single(library, str(folder), cache), capsys, monkeypatch)
    assert code == 0, err
    url = memory_url()
    code, out, err = run_main(single(library, url, cache), capsys, monkeypatch)
    assert code == 0, err
    assert out.startswith(f"{url}/{SLUG}.mp3  "), out
    stored = objects(url)
    # The same files, and nothing else: no lease, probe or temp object is left.
    assert sorted(stored) == sorted(p.name for p in folder.iterdir()) == sorted(
        [*SIDECARS, f"{SLUG}.mp3"])
    for name in SIDECARS:
        assert stored[name] == (folder / name).read_bytes(), name
    mp3 = tmp_path / "from-store.mp3"
    mp3.write_bytes(stored[f"{SLUG}.mp3"])
    from_store, from_folder = decode_pcm(mp3), decode_pcm(folder / f"{SLUG}.mp3")
    assert from_store.size > 44_100 * 20
    assert np.array_equal(from_store, from_folder)


def test_a_build_that_fails_mid_episode_leaves_nothing_in_the_store(
        library: Path, cache: Path, capsys: pytest.CaptureFixture[str],
        monkeypatch: pytest.MonkeyPatch) -> None:
    """The encoder fails after the sidecars are written (in the private temp folder)."""
    from matcast.publish.mp3 import Mp3Writer

    def failing(self: Mp3Writer, episode: object, path: Path) -> None:
        path.write_bytes(b"half an mp3")
        raise OutputError("disk full while writing the test's MP3")

    monkeypatch.setattr(Mp3Writer, "write", failing)
    url = memory_url()
    code, _, err = run_main(single(library, url, cache), capsys, monkeypatch)
    assert code == 1 and "disk full while writing the test's MP3" in err, err
    assert "Traceback" not in err
    assert objects(url) == {}


def test_an_upload_that_fails_at_the_mp3_takes_back_the_new_sidecars(
        library: Path, cache: Path, capsys: pytest.CaptureFixture[str],
        monkeypatch: pytest.MonkeyPatch) -> None:
    from matcast.fs.store import Store as StoreClass

    real = StoreClass.upload

    def upload(self: StoreClass, local: Path, name: str) -> None:
        if name.endswith(".mp3"):
            raise OutputError(f"cannot write {self.shown(name)}: the test's network is down")
        real(self, local, name)

    monkeypatch.setattr(StoreClass, "upload", upload)
    url = memory_url()
    code, _, err = run_main(single(library, url, cache), capsys, monkeypatch)
    assert code == 1 and "the test's network is down" in err and "Traceback" not in err, err
    assert objects(url) == {}


def foreign_lease(store: Store, age: float) -> None:
    renewed = time.time() - age
    store.write(LEASE, json.dumps({"host": "studio-7", "pid": 4242, "token": "f" * 16,
                                   "since": renewed - 30, "renewed": renewed}).encode())


def test_a_fresh_lease_of_another_build_refuses_the_build(
        library: Path, cache: Path, capsys: pytest.CaptureFixture[str],
        monkeypatch: pytest.MonkeyPatch) -> None:
    url = memory_url()
    store = Store(url)
    foreign_lease(store, age=20)
    code, _, err = run_main(single(library, url, cache), capsys, monkeypatch)
    assert code == 1, err
    assert f"{url} is being built by process 4242 on studio-7 since " in err, err
    assert f"delete {url}/{LEASE} to build now" in err and "Traceback" not in err
    assert sorted(objects(url)) == [LEASE]  # nothing built, the other build's lease kept
    assert read_lease(store)["token"] == "f" * 16  # type: ignore[index]


def test_a_stale_lease_is_taken_over_its_litter_cleared_and_removed_at_the_end() -> None:
    store = Store(memory_url())
    foreign_lease(store, age=STALE_SECONDS + 60)
    # What a build killed inside Store.write leaves on a store written by temp name and rename.
    store.fs.pipe_file(store.path(".knees.mp3.4242.0a1b2c3d.matcast-tmp"), b"half")
    with store_lock(store):
        assert LEASE in objects(store.url) and len(objects(store.url)) == 1
        lease = read_lease(store)
        assert lease is not None and lease["pid"] == os.getpid() and lease["token"] != "f" * 16
    assert read_lease(store) is None and objects(store.url) == {}


def test_a_lease_left_by_a_dead_process_of_this_machine_is_taken_over() -> None:
    """Fresh, but its process is gone (a build killed with SIGKILL): no need to wait."""
    import socket
    import subprocess

    gone = subprocess.run([sys.executable, "-c", "import os; print(os.getpid())"],
                          capture_output=True, text=True, check=True)
    store = Store(memory_url())
    store.write(LEASE, json.dumps({"host": socket.gethostname(), "pid": int(gone.stdout),
                                   "token": "0" * 16, "since": time.time(),
                                   "renewed": time.time()}).encode())
    with store_lock(store):
        assert read_lease(store)["pid"] == os.getpid()  # type: ignore[index]
    foreign_lease(store, age=5)
    with pytest.raises(OutputError, match="studio-7"), store_lock(store):
        pass


@pytest.mark.slow
def test_a_library_in_memory_rebuilds_only_what_changed(
        cache: Path, tmp_path: Path, capsys: pytest.CaptureFixture[str],
        monkeypatch: pytest.MonkeyPatch) -> None:
    """build --all into memory:// (the worker processes build into a temp folder, this process
    uploads): then a no-op; then, with one MP3 deleted from the store, only that episode; then,
    with a routine gone from the library, its episode's objects are deleted."""
    library = make_library(tmp_path)
    url = memory_url()
    args = ["build", "--all", str(library), "-o", url, "--cache-dir", str(cache), "--jobs", "2"]
    code, out, err = run_main(args, capsys, monkeypatch)
    assert code == 0, err + out
    stored = objects(url)
    for slug in ("knees", "rest", "rest-flow"):
        assert {f"{slug}{suffix}" for suffix in (".mp3", ".cues.json", ".vtt",
                                                   ".chapters.json", ".html")} <= set(stored)
    assert {"manifest.json", "feed.xml", "index.html", "cover.png"} <= set(stored)
    assert LEASE not in stored and not [n for n in stored if "matcast-tmp" in n]
    assert f"published feed.xml, index.html in {url}" in out
    manifest = json.loads(stored["manifest.json"])
    assert sorted(manifest["episodes"]) == ["knees", "rest", "rest-flow"]

    code, out, err = run_main(args, capsys, monkeypatch)
    assert code == 0, err
    assert out.count("up to date") == 3 and " built " not in out, out
    assert objects(url) == stored  # nothing rewritten, the feed and page included

    Store(url).remove("rest.mp3")
    code, out, err = run_main(args, capsys, monkeypatch)
    assert code == 0, err
    rows = {line.split()[0]: line for line in out.splitlines()[1:4]}
    assert "built" in rows["rest"] and "rest.mp3 is missing" in rows["rest"], out
    assert "up to date" in rows["knees"] and "up to date" in rows["rest-flow"], out
    again = objects(url)
    assert len(decode_bytes(again["rest.mp3"])) > 44_100 * 20
    # The other episodes' objects, and the cover, are the ones the first build put there.
    untouched = [n for n in stored if n.startswith(("knees.", "rest-flow.", "cover."))]
    assert untouched and all(again[n] == stored[n] for n in untouched)

    (library / "knees.yaml").unlink()
    code, out, err = run_main(args, capsys, monkeypatch)
    assert code == 0, err
    assert any(line.split()[:3] == ["knees", "removed", "no"] for line in out.splitlines()), out
    left = objects(url)
    assert not [n for n in left if n.startswith("knees.") and n != "knees.html"], sorted(left)
    assert "knees" not in json.loads(left["manifest.json"])["episodes"]
    assert b"knees.mp3" not in left["feed.xml"] and b"rest.mp3" in left["feed.xml"]


def decode_bytes(data: bytes) -> np.ndarray:
    import tempfile

    with tempfile.TemporaryDirectory() as folder:
        path = Path(folder) / "x.mp3"
        path.write_bytes(data)
        return decode_pcm(path)


@pytest.mark.skipif(not Path("/proc/self").is_dir(), reason="needs Linux's /proc")
def test_a_store_that_cannot_be_written_is_refused_before_any_work(
        library: Path, cache: Path, capsys: pytest.CaptureFixture[str],
        monkeypatch: pytest.MonkeyPatch) -> None:
    """local://... is fsspec's local file system as a store; /proc takes no new folders."""
    for args in (single(library, "local:///proc/matcast-out", cache),
                 ["build", "--all", str(library), "-o", "local:///proc/matcast-out",
                  "--cache-dir", str(cache)]):
        code, out, err = run_main(args, capsys, monkeypatch)
        assert code == 1, err
        assert err.startswith("error: cannot write to the output folder "
                              "local:///proc/matcast-out: "), err
        assert "Traceback" not in err and "lines spoken" not in out
