"""Reading a YAML file into plain data plus the position of every key and value.

PyYAML's safe loader is used only to compose the node graph; this module turns nodes into plain
Python values itself so that it can (1) remember where each key and value is, for error messages,
(2) refuse every tag that is not a plain scalar, list or mapping (``!!python/...`` and friends are
never constructed), and (3) bound what a small file can cost: size, nesting depth and the number of
nodes visited when aliases are expanded (a "billion laughs" file stops at the budget).
"""

from __future__ import annotations

import copy
import math
import os
import re
import unicodedata
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import yaml
from yaml.events import AliasEvent
from yaml.nodes import MappingNode, Node, ScalarNode, SequenceNode

from matcast.errors import Problem
from matcast.fs.regular import NotRegular, TooLarge, read_regular

KeyPath = tuple[str | int, ...]

def _limit(name: str, default: int) -> int:
    """A limit, raised (or lowered) by the environment variable ``name`` when it is set."""
    value = os.environ.get(name, "")
    return int(value) if value.isdigit() and int(value) > 0 else default


MAX_BYTES_ENV = "MATCAST_MAX_FILE_BYTES"
MAX_NODES_ENV = "MATCAST_MAX_YAML_VALUES"
MAX_BYTES = 1_000_000
"""Largest routine or pose file read, in bytes (lift with $MATCAST_MAX_FILE_BYTES)."""
MAX_DEPTH = 40
"""Deepest nesting of lists and mappings (routines are a few levels deep; not liftable)."""
MAX_NODES = 20_000
"""Most values built, aliases expanded: bounds YAML bombs; real routines have a few hundred
(lift with $MATCAST_MAX_YAML_VALUES)."""

_PLAIN_SCALARS = {
    "tag:yaml.org,2002:str",
    "tag:yaml.org,2002:int",
    "tag:yaml.org,2002:float",
    "tag:yaml.org,2002:bool",
    "tag:yaml.org,2002:null",
}
_SEQ = "tag:yaml.org,2002:seq"
_MAP = "tag:yaml.org,2002:map"
_TAG_MEANS = {
    "tag:yaml.org,2002:int": "a whole number",
    "tag:yaml.org,2002:float": "a number",
    "tag:yaml.org,2002:bool": "true or false",
    "tag:yaml.org,2002:null": "nothing (null)",
    "tag:yaml.org,2002:str": "text",
}

_BIDI_CONTROLS = frozenset("\u202a\u202b\u202c\u202d\u202e\u2066\u2067\u2068\u2069")
"""Characters that reorder the text around them when shown: a title could read differently on
the page than in the file."""


def bad_character(text: str) -> tuple[int, str] | None:
    """The first character no text may hold, with its position: control characters (other than
    tab and line break), lone surrogates and bidirectional overrides. None if there is none."""
    for i, ch in enumerate(text):
        if ch in "\t\n":
            continue
        category = unicodedata.category(ch)
        if category == "Cc":
            return i, f"the control character U+{ord(ch):04X}"
        if category == "Cs":
            return i, f"the lone surrogate U+{ord(ch):04X}"
        if ch in _BIDI_CONTROLS:
            return i, f"the bidirectional control U+{ord(ch):04X}"
    return None


class _Loader(yaml.SafeLoader):
    """PyYAML's safe loader, composing only, with three changes.

    - An alias becomes a copy of its anchor's node placed where the alias is written, so a bad
      value reached through ``*name`` is reported where it is used (its parts stay where the
      anchor wrote them).
    - Nesting deeper than :data:`MAX_DEPTH` stops composing with the position of the first value
      too deep (instead of running out of Python stack with no position at all).
    - ``1e308`` and ``2.5e3`` read as numbers, as in YAML 1.2 and JSON; YAML 1.1 wants a dot and
      a signed exponent (``1.0e+308``) and would read them as text.
    """

    def __init__(self, stream: str) -> None:
        super().__init__(stream)
        self.depth = 0

    def compose_node(self, parent: Node | None, index: Any) -> Node:
        if self.check_event(AliasEvent):
            mark = self.peek_event().start_mark
            node = copy.copy(super().compose_node(parent, index))
            node.start_mark = mark
            return node
        self.depth += 1
        try:
            if self.depth > MAX_DEPTH + 1:
                raise _TooDeep(self.peek_event().start_mark)
            return super().compose_node(parent, index)
        finally:
            self.depth -= 1


_Loader.add_implicit_resolver(
    "tag:yaml.org,2002:float",
    re.compile(r"^(?:[-+]?[0-9][0-9_]*(?:\.[0-9_]*)?[eE][-+]?[0-9]+"
               r"|[-+]?\.[0-9][0-9_]*[eE][-+]?[0-9]+)$"),
    list("-+0123456789."))


class _TooDeep(Exception):
    def __init__(self, mark: Any) -> None:
        super().__init__(mark)
        self.mark = mark


def format_key_path(path: KeyPath) -> str:
    """``('sequence', 2, 'hold')`` -> ``sequence[2].hold``."""
    out = ""
    for part in path:
        if isinstance(part, int):
            out += f"[{part}]"
        else:
            out += f".{part}" if out else str(part)
    return out


@dataclass
class YamlDoc:
    """A parsed YAML document: its data and where each piece of it was written."""

    path: Path
    data: Any
    values: dict[KeyPath, tuple[int, int]] = field(default_factory=dict)
    """1-based (line, column) of the value at each key path."""
    keys: dict[KeyPath, tuple[int, int]] = field(default_factory=dict)
    """1-based (line, column) of the mapping key that leads to each key path."""
    quoted: set[KeyPath] = field(default_factory=set)
    """Key paths whose value was written in quotes."""

    def where(self, path: KeyPath, *, key: bool = False) -> tuple[int | None, int | None]:
        """The position of ``path``, or of its nearest written ancestor."""
        probe = tuple(path)
        while True:
            table = self.keys if key and probe in self.keys else self.values
            if probe in table:
                return table[probe]
            if not probe:
                return None, None
            probe = probe[:-1]

    def problem(self, path: KeyPath, message: str, hint: str | None = None, *,
                key: bool = False) -> Problem:
        line, column = self.where(path, key=key)
        return Problem(self.path, line, column, format_key_path(path), message, hint)


class YamlProblems(Exception):
    """Raised with every problem found while reading one file."""

    def __init__(self, problems: list[Problem]) -> None:
        super().__init__(problems)
        self.problems = problems


def _mark(node: Node) -> tuple[int, int]:
    return node.start_mark.line + 1, node.start_mark.column + 1


def read_yaml(path: Path, *, max_bytes: int | None = None) -> YamlDoc:
    """Read and parse ``path``; raise :class:`YamlProblems` if it is not a usable document."""
    max_bytes = max_bytes or _limit(MAX_BYTES_ENV, MAX_BYTES)
    try:
        size = path.stat().st_size
        if size > max_bytes:
            raise YamlProblems([Problem(path, None, None, "",
                                        f"file is {size:,} bytes; the limit is {max_bytes:,}",
                                        "check this is the right file, or raise the limit "
                                        f"with ${MAX_BYTES_ENV}")])
        # A regular file only (a FIFO or /dev/zero has st_size 0 and never ends), read with
        # the same bound in case it grows.
        raw = read_regular(path, max_bytes)
    except FileNotFoundError:
        raise YamlProblems([Problem(path, None, None, "", "file not found")]) from None
    except IsADirectoryError:
        raise YamlProblems([Problem(path, None, None, "", "is a folder, not a file")]) from None
    except NotRegular as exc:
        kind = str(exc).removeprefix(f"{path} is ").removesuffix(", not a regular file")
        raise YamlProblems([Problem(path, None, None, "", f"is {kind}, not a regular file",
                                    "matcast reads only regular files; remove it or move it "
                                    "out of the library")]) from None
    except TooLarge:
        raise YamlProblems([Problem(path, None, None, "",
                                    f"file grew past the limit of {max_bytes:,} bytes while "
                                    "being read")]) from None
    except OSError as exc:
        message = f"cannot read: {exc.strerror}"
        raise YamlProblems([Problem(path, None, None, "", message)]) from None
    return parse_yaml(raw, path)


def parse_yaml(raw: bytes, path: Path) -> YamlDoc:
    """Parse YAML bytes named ``path`` (the name is only used in messages)."""
    try:
        text = raw.decode("utf-8")
    except UnicodeDecodeError as exc:
        line = raw[: exc.start].count(b"\n") + 1
        column = exc.start - (raw.rfind(b"\n", 0, exc.start) + 1) + 1
        raise YamlProblems([Problem(path, line, column, "",
                                    f"not valid UTF-8 (byte 0x{raw[exc.start]:02x})",
                                    "save the file as UTF-8")]) from None
    text = text.removeprefix("\ufeff")
    if not text.strip() or all(not ln.strip() or ln.lstrip().startswith("#")
                               for ln in text.splitlines()):
        raise YamlProblems([Problem(path, None, None, "", "file is empty",
                                    "a routine or pose file is a YAML mapping of keys to values")])
    try:
        loader = _Loader(text)
    except yaml.reader.ReaderError as exc:
        raise YamlProblems([_reader_problem(path, text, exc)]) from None
    try:
        node = loader.get_single_node()
    except yaml.reader.ReaderError as exc:
        raise YamlProblems([_reader_problem(path, text, exc)]) from None
    except _TooDeep as exc:
        raise YamlProblems([Problem(path, exc.mark.line + 1, exc.mark.column + 1, "",
                                    f"nested more than {MAX_DEPTH} levels deep",
                                    "a routine is a few levels deep; check the brackets and "
                                    "the indentation")]) from None
    except yaml.MarkedYAMLError as exc:
        mark = exc.problem_mark or exc.context_mark
        line = mark.line + 1 if mark else None
        column = mark.column + 1 if mark else None
        what = exc.problem or "invalid YAML"
        if exc.context:
            what = f"{exc.context}: {what}"
        raise YamlProblems([Problem(path, line, column, "", f"invalid YAML: {what}",
                                    "check the indentation and quoting near this line")]) from None
    except yaml.YAMLError as exc:
        raise YamlProblems([Problem(path, None, None, "", f"invalid YAML: {exc}")]) from None
    finally:
        loader.dispose()
    doc = YamlDoc(path, None)
    builder = _Builder(doc, loader)
    doc.data = builder.build(node, (), 0)
    if builder.problems:
        raise YamlProblems(builder.problems)
    return doc


def _reader_problem(path: Path, text: str, exc: yaml.reader.ReaderError) -> Problem:
    """A character YAML does not allow (NUL, other control characters), located."""
    before = text[: exc.position]
    line = before.count("\n") + 1
    column = exc.position - (before.rfind("\n") + 1) + 1
    return Problem(path, line, column, "",
                   f"the character U+{exc.character:04X} is not allowed in a YAML file",
                   "remove it (control characters cannot be spoken anyway)")


class _Builder:
    """Turns a node graph into plain data, recording positions and problems."""

    def __init__(self, doc: YamlDoc, loader: _Loader) -> None:
        self.doc = doc
        self.loader = loader
        self.problems: list[Problem] = []
        self.visited = 0
        self.budget_spent = False
        self.max_nodes = _limit(MAX_NODES_ENV, MAX_NODES)

    def _fail(self, node: Node, path: KeyPath, message: str, hint: str | None = None) -> None:
        line, column = _mark(node)
        self.problems.append(Problem(self.doc.path, line, column, format_key_path(path), message,
                                     hint))

    def build(self, node: Node | None, path: KeyPath, depth: int) -> Any:
        if node is None:
            return None
        self.visited += 1
        if self.visited > self.max_nodes:
            if not self.budget_spent:
                self.budget_spent = True
                self._fail(node, path, f"the document expands to more than "
                           f"{self.max_nodes:,} values (aliases repeated too often)",
                           f"use fewer aliases, or raise the limit with ${MAX_NODES_ENV}")
            return None
        if depth > MAX_DEPTH:
            self._fail(node, path, f"nested more than {MAX_DEPTH} levels deep",
                       "a routine is a few levels deep; check for a self-referencing alias")
            return None
        self.doc.values.setdefault(path, _mark(node))
        if isinstance(node, ScalarNode):
            return self._scalar(node, path)
        if isinstance(node, SequenceNode):
            if node.tag != _SEQ:
                self._bad_tag(node, path)
                return None
            return [self.build(item, (*path, i), depth + 1) for i, item in enumerate(node.value)]
        if isinstance(node, MappingNode):
            if node.tag != _MAP:
                self._bad_tag(node, path)
                return None
            return self._mapping(node, path, depth)
        self._fail(node, path, "unsupported YAML node")
        return None

    def _bad_tag(self, node: Node, path: KeyPath) -> None:
        tag = node.tag.replace("tag:yaml.org,2002:", "!!")
        self._fail(node, path, f"the tag {tag!r} is not allowed",
                   "routine files hold only text, numbers, true/false, lists and mappings")

    def _scalar(self, node: ScalarNode, path: KeyPath) -> Any:
        if node.tag not in _PLAIN_SCALARS:
            if node.tag == "tag:yaml.org,2002:timestamp":
                self._fail(node, path, f"{node.value!r} reads as a date, which no key takes",
                           "put the value in quotes to make it text")
            else:
                self._bad_tag(node, path)
            return None
        if node.style in ("'", '"'):
            self.doc.quoted.add(path)
        if self._bad_text(node, path, str(node.value)):
            return None
        try:
            value = self.loader.construct_object(node, deep=True)
        except (ValueError, TypeError, IndexError, KeyError, ArithmeticError, yaml.YAMLError):
            self._unreadable(node, path)
            return None
        if isinstance(value, float) and not math.isfinite(value):
            self._fail(node, path, f"expected a finite number, got {node.value!r}")
            return None
        return value

    def _unreadable(self, node: ScalarNode, path: KeyPath) -> None:
        """A value its tag cannot make: ``!!int Tree pose``, or a number of 5,000 digits."""
        shown = node.value if len(node.value) <= 60 else node.value[:57] + "..."
        means = _TAG_MEANS.get(node.tag, "a value")
        implicit = self.loader.resolve(ScalarNode, node.value, (node.style is None, False))
        if implicit == node.tag:  # no tag written: only a number too long to read gets here
            self._fail(node, path, f"the number {shown} has {len(node.value):,} characters; "
                       "no setting takes a number that long", "check the value")
            return
        tag = node.tag.replace("tag:yaml.org,2002:", "!!")
        self._fail(node, path, f"the tag {tag} wants {means}, got the text {shown!r}",
                   f"remove the tag {tag}: without it the value is read as what it looks like")

    def _bad_text(self, node: ScalarNode, path: KeyPath, text: str) -> bool:
        found = bad_character(text)
        if found is None:
            return False
        index, what = found
        self._fail(node, path, f"the text holds {what} (character {index + 1})",
                   "remove it: control characters cannot be spoken, shown or published")
        return True

    def _mapping(self, node: MappingNode, path: KeyPath, depth: int) -> dict[str, Any]:
        out: dict[str, Any] = {}
        for key_node, value_node in node.value:
            self.visited += 1
            if key_node.tag == "tag:yaml.org,2002:merge":
                self._fail(key_node, path, "merge keys ('<<') are not supported",
                           "write the keys out, or use an alias (*name) for a whole value")
                continue
            if not isinstance(key_node, ScalarNode) or key_node.tag != "tag:yaml.org,2002:str":
                shown = key_node.value if isinstance(key_node, ScalarNode) else "a collection"
                self._fail(key_node, path, f"keys must be text, got {shown!r}")
                continue
            key = str(key_node.value)
            child = (*path, key)
            if self._bad_text(key_node, path, key):
                continue
            if key in out:
                first = self.doc.keys.get(child)
                self._fail(key_node, child, f"key {key!r} appears twice"
                           + (f" (first on line {first[0]})" if first else ""),
                           "remove one of them")
                continue
            self.doc.keys[child] = _mark(key_node)
            out[key] = self.build(value_node, child, depth + 1)
        return out
