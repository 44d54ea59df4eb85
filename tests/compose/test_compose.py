"""matcast compose: seeded random compositions over the option space, the command line, and
determinism. Every composed class must validate, last its length within 1%, pass the coaching
lint, never use a pose --avoid rules out, and give the focus areas half of its hold time."""

from __future__ import annotations

import itertools
from pathlib import Path

import pytest
from compose_checks import loaded_from_text, sweep

from cli_main import run_main
from matcast.compiler import CompileOptions, compile_routine
from matcast.compose import Catalog, Wishes, compose, focus_share, load_catalog
from matcast.compose.wishes import Purpose
from matcast.cues import SAMPLE_RATE
from matcast.routine.enums import Level, Style
from matcast.routine.loader import load_routine
from matcast.validate import validate_paths

ROOT = Path(__file__).resolve().parents[2]
LIBRARY = ROOT / "routines"
RUNNER = ["--minutes", "15", "--focus", "hips,hamstrings", "--level", "beginner", "--for",
          "after-run", "--avoid", "knees", "--style", "hold", "--seed", "7"]
"""The request of issue 13: fifteen minutes after a run, hips and hamstrings, gentle on a knee."""


@pytest.fixture(scope="module")
def catalog() -> Catalog:
    return load_catalog(LIBRARY)




def test_seeded_compositions_pass_every_check(catalog: Catalog, tmp_path: Path) -> None:
    figures = sweep(catalog, 60, seed=5, folder=tmp_path)
    assert figures.failures == []
    assert sum(figures.refused.values()) <= 9, figures.line()
    assert figures.worst_error <= 0.01


@pytest.mark.slow
def test_a_thousand_seeded_compositions(catalog: Catalog, tmp_path: Path) -> None:
    # Every 50th class saved and loaded back by the real loader; the others checked in memory.
    figures = sweep(catalog, 1000, seed=13, folder=tmp_path, on_disk_every=50)
    print(figures.line())
    assert figures.failures == []
    # 176 of these 1,000 were refused before focus poses could be done in rounds; 78 now.
    assert sum(figures.refused.values()) <= 100, figures.line()


def test_the_runners_request(catalog: Catalog, capsys: pytest.CaptureFixture[str],
                             monkeypatch: pytest.MonkeyPatch, tmp_path: Path) -> None:
    monkeypatch.chdir(tmp_path)
    code, out, err = run_main(["compose", *RUNNER, "--library", str(LIBRARY)], capsys,
                              monkeypatch)
    assert code == 0, err
    files = list(tmp_path.glob("*.yaml"))
    name = "after-run-15min-hips-hamstrings-beginner-no-knees-seed7.yaml"
    assert [f.name for f in files] == [name]
    text = files[0].read_text(encoding="utf-8")
    assert text.startswith("# Composed by matcast")
    assert "matcast compose --minutes 15 --focus hips,hamstrings --level beginner" in text
    assert f"wrote {files[0].name}: 15 min" in out
    assert validate_paths([files[0]]).problems == []
    loaded = load_routine(files[0])
    assert loaded.routine.library is not None
    script = compile_routine(loaded, CompileOptions(level=Level.beginner))
    assert abs(script.duration - 15 * 60 * SAMPLE_RATE) <= 0.01 * 15 * 60 * SAMPLE_RATE
    for pose_id in loaded.poses:
        assert "knees" not in {c.value for c in loaded.poses[pose_id].contraindications}
    ids = [ref.pose for ref in loaded.routine.sequence]
    focus = {i for i in ids if catalog.cards[i].targets & {"hips", "hamstrings"}}
    assert focus_share(script, focus, ids[-1]) >= 0.5
    # Asking again gives the same file, left as it is.
    code, out, _ = run_main(["compose", *RUNNER, "--library", str(LIBRARY)], capsys,
                            monkeypatch)
    assert code == 0 and out.startswith("unchanged ")


@pytest.mark.slow
def test_the_runners_request_builds(tmp_path: Path, capsys: pytest.CaptureFixture[str],
                                    monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.chdir(tmp_path)
    code, out, err = run_main(["compose", *RUNNER, "-o", "my-session.yaml", "--build",
                               "--out-dir", "out", "--library", str(LIBRARY)], capsys,
                              monkeypatch)
    assert code == 0, err
    # Built at its level, the session is named as a variant at that level is.
    mp3 = tmp_path / "out" / "my-session-beginner.mp3"
    assert mp3.stat().st_size > 100_000
    assert (tmp_path / "out" / "my-session-beginner.cues.json").is_file()
    assert "15:0" in out or "14:5" in out, out


def test_same_seed_same_class_other_seeds_other_classes(catalog: Catalog) -> None:
    wishes = Wishes(minutes=30, focus=("hamstrings",), seed=3)
    first = compose(catalog, wishes).text(catalog, None, "x.yaml", "lib")
    assert compose(catalog, wishes).text(catalog, None, "x.yaml", "lib") == first
    classes = {tuple(s.card.id for s in compose(catalog, Wishes(
        minutes=30, focus=("hamstrings",), seed=seed)).slots) for seed in range(8)}
    assert len(classes) >= 6


def test_the_class_has_its_arc(catalog: Catalog) -> None:
    composition = compose(catalog, Wishes(minutes=30, purpose=Purpose.after_run, seed=11))
    loaded = loaded_from_text(composition.text(catalog, None, "x.yaml", "lib"), catalog, "x")
    says = [ref.say for ref in loaded.routine.sequence if ref.say]
    assert says == ["Let's start by warming up gently.", "Now for the main part of the class.",
                    "Now we begin to cool down.", "Time for the final relaxation."]
    assert catalog.cards[loaded.routine.sequence[0].pose].family == "centering"
    assert catalog.cards[loaded.routine.sequence[-1].pose].relaxation


def test_twists_and_deep_backbends_are_countered(catalog: Catalog) -> None:
    seen = 0
    for seed in range(30):
        composition = compose(catalog, Wishes(minutes=45, focus=("spine",), seed=seed))
        ids = [s.card.id for s in composition.slots] + [composition.relax.id]
        for here, after in itertools.pairwise(ids):
            card = catalog.cards[here]
            if card.needs_counter:
                seen += 1
                assert card.counters(catalog.cards[after]) or (
                    card.family == "twist" and after == composition.relax.id), ids
    assert seen > 0


def test_before_run_stays_on_its_feet(catalog: Catalog) -> None:
    composition = compose(catalog, Wishes(minutes=10, purpose=Purpose.before_run, seed=2))
    assert composition.wishes.chosen_style is Style.flow
    assert all(s.card.tiers[1] <= 1 for s in composition.slots)


@pytest.mark.parametrize(("args", "phrases"), [
    (["--minutes", "4"], ["--minutes must be from 5 to 90 minutes; got 4"]),
    (["--minutes", "91"], ["--minutes must be from 5 to 90 minutes; got 91"]),
    (["--minutes", "soon"], ["--minutes must be from 5 to 90 minutes; got 'soon'"]),
    (["--focus", "hammies"], ["--focus 'hammies' is not a target area", "hamstrings"]),
    (["--focus", ","], ["--focus needs at least one word"]),
    (["--focus", "whole-body"], ["--focus 'whole-body' cannot be a focus", "hamstrings"]),
    (["--for", "marathon"], ["--for must be one of after-run, before-run, recovery, bedtime"]),
    (["--avoid", "elbows"], ["--avoid 'elbows' is neither", "knees", "lower-back"]),
    (["--level", "expert"], ["--level must be one of gentle, beginner, all, advanced"]),
    (["--style", "yin"], ["--style must be hold or flow"]),
    (["--seed", "-1"], ["--seed must be a whole number from 0 to 2147483647"]),
    (["-o", "class.txt"], ["a routine file ends in .yaml"]),
    (["-o", "nowhere/class.yaml"], ["the folder nowhere does not exist"]),
])
def test_bad_options(args: list[str], phrases: list[str], tmp_path: Path,
                     capsys: pytest.CaptureFixture[str],
                     monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.chdir(tmp_path)
    code, _out, err = run_main(["compose", "--seed", "1", *args, "--library", str(LIBRARY)],
                              capsys, monkeypatch)
    assert code == 2
    assert err.startswith("error: ")
    for phrase in phrases:
        assert phrase in err
    assert "Traceback" not in err
    assert list(tmp_path.iterdir()) == []


def test_never_over_another_file(tmp_path: Path, capsys: pytest.CaptureFixture[str],
                                 monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.chdir(tmp_path)
    mine = tmp_path / "mine.yaml"
    mine.write_text("title: my own routine\n", encoding="utf-8")
    args = ["compose", "--minutes", "10", "--seed", "4", "-o", "mine.yaml", "--library",
            str(LIBRARY)]
    code, _, err = run_main(args, capsys, monkeypatch)
    assert code == 2 and "mine.yaml exists with other content" in err and "--force" in err
    assert mine.read_text(encoding="utf-8") == "title: my own routine\n"
    code, _out, err = run_main([*args, "--force"], capsys, monkeypatch)
    assert code == 0, err
    assert mine.read_text(encoding="utf-8").startswith("# Composed by matcast")


def test_a_focus_nothing_allows_is_refused(catalog: Catalog,
                                           capsys: pytest.CaptureFixture[str],
                                           monkeypatch: pytest.MonkeyPatch,
                                           tmp_path: Path) -> None:
    monkeypatch.chdir(tmp_path)
    neck = ",".join(sorted(c.id for c in catalog.cards.values() if "neck" in c.targets))
    code, _, err = run_main(["compose", "--focus", "neck", "--avoid", neck, "--seed", "1",
                             "--library", str(LIBRARY)], capsys, monkeypatch)
    assert code == 2
    assert f"targets neck once --avoid {neck} is applied" in err
    assert "hint:" in err
