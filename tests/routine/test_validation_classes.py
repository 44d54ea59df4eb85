"""Every class of format-level bad input is refused by ``matcast validate``: exit code 2, the file
and the line named, nothing written.

Each test builds a small library, breaks one thing, and runs the real command line in-process
(``matcast.cli.main``), so the whole class costs milliseconds rather than a process start.
"""

from __future__ import annotations

import io
import os
import re
import sys
from collections.abc import Callable, Iterator
from pathlib import Path

import pytest
from PIL import Image

from matcast.cli import main

FACTS = "family: forward-fold\nintensity: 2\ntargets: [hamstrings]\nposition: standing\n"
POSE = "name: Fold\nenter: [Fold forward.]\nhold: {breaths: 3}\n" + FACTS + "flow: Fold.\n"
TWO_SIDED = ("name: Lunge\nsides: both\nenter: ['Step your {side} foot forward.']\n"
             "hold: {breaths: 3}\n" + FACTS + "flow: Lunge.\n")
ROUTINE = "title: Rest\nsequence:\n  - pose: fold\n  - pose: lunge\n"


def png(width: int, height: int | None = None) -> bytes:
    out = io.BytesIO()
    Image.new("RGB", (width, height or width), (40, 90, 120)).save(out, "PNG")
    return out.getvalue()


class Library:
    """A scratch library: a routine r.yaml, two poses, optionally library.yaml."""

    def __init__(self, root: Path) -> None:
        self.root = root
        self.write("poses/fold.yaml", POSE)
        self.write("poses/lunge.yaml", TWO_SIDED)
        self.write("r.yaml", ROUTINE)

    def write(self, name: str, data: str | bytes) -> Path:
        path = self.root / name
        path.parent.mkdir(parents=True, exist_ok=True)
        if isinstance(data, bytes):
            path.write_bytes(data)
        else:
            path.write_text(data, encoding="utf-8")
        return path


def snapshot(*folders: Path) -> dict[str, tuple[int, int]]:
    """Every file under ``folders`` with its size and modification time."""
    seen = {}
    for folder in folders:
        for dirpath, _dirs, files in os.walk(folder):
            for name in files:
                path = Path(dirpath, name)
                stat = path.lstat()
                seen[str(path)] = (stat.st_size, stat.st_mtime_ns)
    return seen


@pytest.fixture
def lib(tmp_path: Path) -> Library:
    return Library(tmp_path / "lib")


@pytest.fixture
def cwd(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Path:
    work = tmp_path / "cwd"
    work.mkdir()
    monkeypatch.chdir(work)
    return work


Run = Callable[..., tuple[int, str]]


@pytest.fixture
def run(capsys: pytest.CaptureFixture[str], monkeypatch: pytest.MonkeyPatch, cwd: Path,
        tmp_path: Path) -> Iterator[Run]:
    """``run("validate", path)``: the exit code and stderr of the real command line."""

    def call(*args: str) -> tuple[int, str]:
        before = snapshot(tmp_path)
        monkeypatch.setattr(sys, "argv", ["matcast", *args])
        with pytest.raises(SystemExit) as info:
            main()
        err = capsys.readouterr().err
        assert "Traceback" not in err
        assert snapshot(tmp_path) == before, "the command wrote or changed a file"
        code = info.value.code
        return (code if isinstance(code, int) else 1 if code else 0), err

    yield call


def refused(run: Run, target: Path, where: str, message: str) -> str:
    """``matcast validate target`` exits 2 and names ``where`` (file:line) and ``message``."""
    code, err = run("validate", str(target))
    assert code == 2, err
    assert re.search(where, err), err
    assert re.search(message, err), err
    return err


def test_the_shipped_library_is_valid(run: Run) -> None:
    code, err = run("validate", str(Path(__file__).resolve().parents[2] / "routines"))
    assert code == 0, err


# --- YAML tags on values that do not fit them (the fuzzer's crashes) -------------------------

@pytest.mark.parametrize(("name", "text", "where", "message"), [
    ("poses/fold.yaml", "name: !!int Tree pose\nenter: [Fold.]\n", r"poses/fold\.yaml:1:7: name:",
     r"the tag !!int wants a whole number, got the text 'Tree pose'"),
    ("poses/fold.yaml", "name: Fold\nenter: [Fold.]\nbreath_cues: !!int count\n",
     r"poses/fold\.yaml:3:14: breath_cues:", r"the tag !!int wants a whole number"),
    ("r.yaml", ROUTINE + "    say: !!float lie down beside the wall\n",
     r"r\.yaml:5:10: sequence\[1\]\.say:", r"the tag !!float wants a number"),
    ("r.yaml", "title: !!bool maybe\nsequence: [{pose: fold}]\n", r"r\.yaml:1:8: title:",
     r"the tag !!bool wants true or false"),
    ("r.yaml", "title: Rest\nsequence:\n  - pose: fold\n    hold: {breaths: " + "9" * 5000
     + "}\n", r"r\.yaml:4:21: sequence\[0\]\.hold\.breaths:", r"has 5,000 characters"),
], ids=["int-name", "int-breath-cues", "float-say", "bool-title", "5000-digits"])
def test_a_tag_that_does_not_fit_its_value_is_located(run: Run, lib: Library, name: str,
                                                      text: str, where: str, message: str
                                                      ) -> None:
    lib.write(name, text)
    refused(run, lib.root, where, message)
    code, err = run("compile", str(lib.root / "r.yaml"))
    assert code == 2 and re.search(where, err), err


# --- paths -----------------------------------------------------------------------------------

def test_a_library_folder_that_links_outside_is_refused(run: Run, lib: Library,
                                                        tmp_path: Path) -> None:
    project = tmp_path / "project"
    project.mkdir()
    (project / "routines").symlink_to(lib.root)
    err = refused(run, project / "routines", r"project/routines: the library folder is a link",
                  re.escape(str(lib.root)))
    assert "r.yaml" not in err  # nothing in it was read
    code, err = run("compile", str(project / "routines" / "r.yaml"))
    assert code == 2 and "the library folder is a link" in err, err


def test_a_poses_folder_that_links_outside_is_refused(run: Run, lib: Library,
                                                      tmp_path: Path) -> None:
    elsewhere = tmp_path / "elsewhere"
    (lib.root / "poses").rename(elsewhere)
    (lib.root / "poses").symlink_to(elsewhere)
    err = refused(run, lib.root, r"r\.yaml:3:11: sequence\[0\]\.pose: pose 'fold' is in .*poses, "
                  r"a link to .*elsewhere, outside the routine library",
                  r"lib/poses: the poses folder is a link to .*elsewhere")
    assert "poses/fold.yaml" not in err


def test_a_show_image_outside_the_library_is_refused(run: Run, lib: Library,
                                                     tmp_path: Path) -> None:
    (tmp_path / "show.png").write_bytes(png(1400))
    lib.write("library.yaml", "title: Show\nimage: ../show.png\n")
    refused(run, lib.root, r"library\.yaml:2:8: image:", r"'\.\./show\.png' is outside the "
            "routine library")
    (lib.root / "art").mkdir()
    (lib.root / "art" / "show.png").symlink_to(tmp_path / "show.png")
    lib.write("library.yaml", "title: Show\nimage: art/show.png\n")
    refused(run, lib.root, r"library\.yaml:2:8: image:", r"is outside the routine library")


# --- links -----------------------------------------------------------------------------------

@pytest.mark.parametrize(("line", "where", "message"), [
    ("base_url: 'javascript:alert(1)'", r"library\.yaml:2:11: base_url:",
     r"has javascript:; a link must start with https:// or http://"),
    ("website: https://example.org/my yoga/", r"library\.yaml:2:10: website:",
     r"holds a space, which a URL cannot hold"),
    ("base_url: https://example.org/yoga/?page=2", r"library\.yaml:2:11: base_url:",
     r"has a query or a fragment"),
    ("email: owner at example.org", r"library\.yaml:2:8: email:",
     r"'owner at example\.org' is not an e-mail address like owner@example\.org"),
], ids=["javascript-base-url", "website-with-space", "base-url-query", "email"])
def test_bad_links_in_library_yaml_are_refused(run: Run, lib: Library, line: str, where: str,
                                               message: str) -> None:
    lib.write("library.yaml", f"title: Show\n{line}\n")
    err = refused(run, lib.root, where, message)
    assert "\n    hint: " in err


@pytest.mark.parametrize("url", ["javascript:alert(1)", "https://example.org/my yoga/"])
def test_a_bad_base_url_on_the_command_line_is_refused(run: Run, lib: Library, tmp_path: Path,
                                                       url: str) -> None:
    code, err = run("build", "--all", str(lib.root), "-o", str(tmp_path / "out"),
                    "--base-url", url)
    assert code == 2 and err.startswith("error: --base-url: "), err
    assert not (tmp_path / "out").exists()


# --- covers ----------------------------------------------------------------------------------

@pytest.mark.parametrize(("image", "message"), [
    (b"\x89PNG\r\n\x1a\n" + b"\0" * 64, r"is not a whole PNG or JPEG image"),
    (b"GIF89a" + b"\0" * 64, r"is not a PNG or JPEG image"),
    (png(1400, 700), r"is 1400x700 pixels; a cover must be square"),
    (png(3600), r"is 3600x3600 pixels; a cover is 300 to 3000 pixels square"),
    (png(1400)[:-40], r"is not a whole PNG or JPEG image"),
], ids=["fake-png", "gif", "not-square", "huge", "cut-short"])
def test_a_cover_that_is_not_a_usable_image_is_refused(run: Run, lib: Library, image: bytes,
                                                       message: str) -> None:
    lib.write("cover.png", image)
    lib.write("r.yaml", "title: Rest\ncover: cover.png\nsequence:\n  - pose: fold\n")
    refused(run, lib.root, r"r\.yaml:2:8: cover: cover image 'cover\.png'", message)
    lib.write("r.yaml", ROUTINE)
    lib.write("library.yaml", "title: Show\nimage: cover.png\n")
    refused(run, lib.root, r"library\.yaml:2:8: image: show image 'cover\.png'", message)


def test_a_square_cover_is_accepted(run: Run, lib: Library) -> None:
    lib.write("cover.png", png(1400))
    lib.write("r.yaml", "title: Rest\ncover: cover.png\nsequence:\n  - pose: fold\n")
    lib.write("library.yaml", "title: Show\nimage: cover.png\nemail: owner@example.org\n"
              "base_url: https://example.org/yoga/\nwebsite: https://example.org/\n")
    code, err = run("validate", str(lib.root))
    assert code == 0, err


# --- text ------------------------------------------------------------------------------------

@pytest.mark.parametrize(("text", "where", "message"), [
    ('title: "Rest\\0now"\nsequence: [{pose: fold}]\n', r"r\.yaml:1:8: title:",
     r"the control character U\+0000 \(character 5\)"),
    ('title: Rest\nintro: ["Breathe\\ain."]\nsequence: [{pose: fold}]\n', r"r\.yaml:2:9: intro"
     r"\[0\]:", r"the control character U\+0007"),
    ('title: Rest\nintro: ["Breathe \\u202Ein"]\nsequence: [{pose: fold}]\n',
     r"r\.yaml:2:9: intro\[0\]:", r"the bidirectional control U\+202E"),
    ('title: Rest\nsequence:\n  - pose: fold\n    say: "   "\n',
     r"r\.yaml:4:10: sequence\[0\]\.say:", r"a spoken line needs words; this one has only "
     "whitespace"),
    ('title: Rest\nsequence:\n  - pose: fold\n    say: "\\u200b\\u2060"\n',
     r"r\.yaml:4:10: sequence\[0\]\.say:", r"invisible characters such as U\+200B"),
    ("title: Rest\nsequence:\n  - pose: lunge\n    transition: Now the {side foot.\n",
     r"r\.yaml:4:17: sequence\[0\]\.transition:", r"a lone '\{' \(character 9\)"),
], ids=["nul-in-title", "bell-in-caption", "bidi-override", "whitespace-line",
        "invisible-line", "lone-brace"])
def test_text_that_cannot_be_spoken_or_shown_is_refused(run: Run, lib: Library, text: str,
                                                        where: str, message: str) -> None:
    lib.write("r.yaml", text)
    err = refused(run, lib.root, where, message)
    assert "\n    hint: " in err


# --- numbers ---------------------------------------------------------------------------------

def test_a_huge_hold_is_reported_where_it_is_written(run: Run, lib: Library) -> None:
    lib.write("r.yaml", "title: Rest\nsequence:\n  - pose: fold\n  - pose: fold\n"
              "    hold: {seconds: 1e308}\n")
    refused(run, lib.root, r"r\.yaml:5:21: sequence\[1\]\.hold\.seconds:",
            r"expected a number at most 3600, got the number 1e\+308")
    # Through an alias: at the line that uses it, not where the anchor was written.
    lib.write("r.yaml", "title: Rest\nintro: [Breathe.]\nsequence:\n"
              "  - pose: fold\n    hold: &long {breaths: 3}\n"
              "  - pose: lunge\n    hold: {seconds: 30}\n"
              "  - pose: fold\n    checkin_every: &big 1.0e+308\n    hold: *long\n")
    refused(run, lib.root, r"r\.yaml:9:20: sequence\[2\]\.checkin_every:", r"at most 1800")


def test_a_length_range_that_cannot_be_met_is_refused(run: Run, lib: Library) -> None:
    lib.write("r.yaml", "title: Rest\nstyles: [hold]\nduration: {default: 2, min: 1, max: 90}\n"
              + ROUTINE.split("\n", 1)[1])
    refused(run, lib.root, r"r\.yaml:3:37: duration\.max:",
            r"cannot be fitted to 90 minute\(s\): it can be built from [\d.]+ to [\d.]+ minutes")



@pytest.mark.parametrize(("entry", "column", "message"), [
    ("    optional: true\n", 15, r"the final relaxation is never left out"),
    ("    priority: 0\n", 15, r"at least 1"),
])
def test_fitting_fields_are_checked(run: Run, lib: Library, entry: str, column: int,
                                    message: str) -> None:
    lib.write("poses/rest.yaml", "name: Rest\nenter: [Lie down.]\nhold: {minutes: 2}\n"
              "breath_cues: none\nfamily: relaxation\nintensity: 1\ntargets: [mind]\n"
              "position: supine\nrelaxation: true\nflow: Lie down.\n")
    lib.write("r.yaml", ROUTINE + "  - pose: rest\n" + entry)
    key = "optional" if "optional" in entry else "priority"
    refused(run, lib.root, rf"r\.yaml:6:{column}: sequence\[2\]\.{key}:", message)


def test_a_pose_breath_range_must_be_ordered(run: Run, lib: Library) -> None:
    lib.write("poses/fold.yaml", POSE + "min_breaths: 6\nmax_breaths: 4\n")
    refused(run, lib.root, r"poses/fold\.yaml", r"need min_breaths <= max_breaths")

# --- variants --------------------------------------------------------------------------------

@pytest.mark.parametrize(("variants", "where", "message"), [
    ("  - {minutes: 2}\n  - {minutes: 2}\n", r"r\.yaml:\d+:5: variants\[1\]:",
     r"variant 2 publishes the same episode slug as variant 1"),
    ("  - {}\n  - {style: hold}\n", r"r\.yaml:\d+:5: variants\[1\]:",
     r"variant 2 builds the same session as variant 1 \(line \d+\), under another name"),
    ("  - {style: flow}\n", r"r\.yaml:\d+:13: variants\[0\]\.style:",
     r"style 'flow' is not offered by this routine \(styles: hold\)"),
    ("  - {minutes: 30}\n", r"r\.yaml:\d+:15: variants\[0\]\.minutes:",
     r"30 minutes is outside the routine's length range, 1 to 3 minutes"),
], ids=["duplicate", "same-session", "style-not-offered", "outside-range"])
def test_variants_that_cannot_be_published_are_refused(run: Run, lib: Library, variants: str,
                                                       where: str, message: str) -> None:
    lib.write("r.yaml", "title: Rest\nstyles: [hold]\nduration: {default: 2, min: 1, max: 3}\n"
              "sequence:\n  - pose: fold\nvariants:\n" + variants)
    refused(run, lib.root, where, message)


def test_two_routines_publishing_one_slug_are_refused(run: Run, lib: Library) -> None:
    lib.write("r.yaml", ROUTINE + "variants:\n  - {}\n  - {style: flow}\n")
    lib.write("r-flow.yaml", "title: Flow\nsequence:\n  - pose: fold\n")
    refused(run, lib.root, r"r\.yaml:7:5: variants\[1\]:",
            r"publishes the episode slug 'r-flow', as r-flow\.yaml does")


# --- library ---------------------------------------------------------------------------------

def test_a_deeply_nested_document_is_located(run: Run, lib: Library) -> None:
    lib.write("r.yaml", "title: Rest\nsequence:\n  - pose: fold\n    say: " + "[" * 500
              + "]" * 500 + "\n")
    refused(run, lib.root, r"r\.yaml:4:48:", r"nested more than 40 levels deep")
    lib.write("r.yaml", "title: Rest\nsequence:\n" + "".join(
        "  " * i + "- \n" for i in range(1, 60)) + "\n")
    refused(run, lib.root, r"r\.yaml:\d+:\d+:", r"nested more than 40 levels deep")
