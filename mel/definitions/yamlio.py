"""Loading YAML with a location for every value, and without the YAML 1.1 traps.

PyYAML composes the file into nodes that carry their line and column; this module turns those
nodes into plain Python values itself instead of letting PyYAML construct them, so that:

* ``NO``, ``yes``, ``on``, ``off`` stay text (YAML 1.1 would read them as booleans); only
  ``true`` and ``false`` are booleans;
* ``010`` stays the text ``"010"`` (YAML 1.1 would read octal 8); only plain decimal integers and
  floats are numbers;
* ``2024-01-01`` stays text; the models parse dates where a date is expected;
* a duplicate key is an error (PyYAML keeps the last one silently);
* anchors, aliases, merge keys and tags are errors (no alias bombs, no object construction);
* tabs, empty files and several documents in one file get a plain-language message.

Every problem found is a :class:`~mel.errors.Finding` with file, line and column; all of a file's
problems are collected rather than stopping at the first.
"""

from __future__ import annotations

import re
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import yaml

from mel.errors import Finding, make

Path_ = tuple[str | int, ...]

_NULL = {"", "~", "null", "Null", "NULL"}
_TRUE = {"true", "True", "TRUE"}
_FALSE = {"false", "False", "FALSE"}
_INT = re.compile(r"^[-+]?(0|[1-9][0-9]*)$")
_FLOAT = re.compile(r"^[-+]?(\d+\.\d*|\.\d+|\d+(\.\d*)?[eE][-+]?\d+|\.\d+[eE][-+]?\d+)$")
_MAX_NESTING = 100


@dataclass(frozen=True)
class Mark:
    line: int  # 1-based
    column: int  # 1-based


@dataclass(frozen=True)
class ValueInfo:
    """Where a value starts, where its key starts (for mapping entries) and how it was written."""

    value: Mark
    key: Mark | None = None
    style: str | None = None  # None for plain scalars, '"' or "'" for quoted, '|' '>' for blocks
    raw: str | None = None  # the scalar's text as written, for scalars


@dataclass
class Document:
    """A loaded YAML file: its data, and the location of every value by path."""

    file: str
    data: Any
    info: dict[Path_, ValueInfo] = field(default_factory=dict)

    def mark(self, path: Path_, *, prefer_key: bool = False) -> Mark | None:
        """The location of the value at ``path``, or of its nearest located ancestor."""
        path = tuple(path)
        while True:
            vi = self.info.get(path)
            if vi is not None:
                if prefer_key and vi.key is not None:
                    return vi.key
                return vi.value
            if not path:
                return None
            path = path[:-1]

    def finding(
        self, code: str, message: str, path: Path_, *, prefer_key: bool = False, **kw: Any
    ) -> Finding:
        m = self.mark(path, prefer_key=prefer_key)
        return Finding(
            code,
            message,
            file=self.file,
            line=m.line if m else None,
            column=m.column if m else None,
            path=dotted(path),
            **kw,
        )

    def string_offset_mark(self, path: Path_, offset: int) -> Mark | None:
        """The location of character ``offset`` inside the single-line string at ``path``."""
        vi = self.info.get(tuple(path))
        if vi is None:
            return None
        if vi.raw is not None and "\n" not in vi.raw and vi.style in (None, '"', "'"):
            shift = 1 if vi.style in ('"', "'") else 0
            return Mark(vi.value.line, vi.value.column + shift + offset)
        return vi.value


def dotted(path: Path_) -> str:
    out = ""
    for p in path:
        if isinstance(p, int):
            out += f"[{p}]"
        else:
            out += ("." if out else "") + str(p)
    return out


def _mark(m: yaml.Mark) -> Mark:
    return Mark(m.line + 1, m.column + 1)


def _scalar(node: yaml.ScalarNode) -> Any:
    text = node.value
    if node.style:  # quoted or block scalars are always text (libyaml: '' for plain ones)
        return text
    if text in _NULL:
        return None
    if text in _TRUE:
        return True
    if text in _FALSE:
        return False
    if _INT.match(text):
        return int(text)
    if _FLOAT.match(text):
        return float(text)
    return text


_STANDARD_TAGS = {
    "tag:yaml.org,2002:str",
    "tag:yaml.org,2002:map",
    "tag:yaml.org,2002:seq",
}


class _Builder:
    def __init__(self, file: str):
        self.file = file
        self.findings: list[Finding] = []
        self.info: dict[Path_, ValueInfo] = {}
        self._seen: set[int] = set()

    def error(self, code: str, message: str, mark: Mark, hint: str | None = None, **kw) -> None:
        self.findings.append(
            Finding(
                code, message, file=self.file, line=mark.line, column=mark.column, hint=hint, **kw
            )
        )

    def build(self, node: yaml.Node, path: Path_, key_mark: Mark | None, depth: int = 0) -> Any:
        start = _mark(node.start_mark)
        if id(node) in self._seen:
            # an alias resolves to the node it names; it was reported where it is used (see
            # _alias_findings) and is not expanded again (no alias bombs)
            return None
        self._seen.add(id(node))
        if depth > _MAX_NESTING:
            self.error("yaml-syntax", make("yaml-syntax", problem="nesting is too deep"), start)
            return None
        explicit_tag = self._explicit_tag(node)
        if explicit_tag:
            shown = explicit_tag.replace("tag:yaml.org,2002:", "!!")
            self.error(
                "yaml-tag",
                make("yaml-tag", tag=shown),
                start,
                hint="remove the tag; quote the value if it should be text",
            )
        if isinstance(node, yaml.ScalarNode):
            self.info[path] = ValueInfo(start, key_mark, node.style or None, node.value)
            return node.value if explicit_tag else _scalar(node)
        self.info[path] = ValueInfo(start, key_mark, None, None)
        if isinstance(node, yaml.SequenceNode):
            return [
                self.build(child, (*path, i), None, depth + 1) for i, child in enumerate(node.value)
            ]
        assert isinstance(node, yaml.MappingNode)
        out: dict[str, Any] = {}
        first_seen: dict[str, Mark] = {}
        for key_node, value_node in node.value:
            kmark = _mark(key_node.start_mark)
            if not isinstance(key_node, yaml.ScalarNode):
                self.error("yaml-key-type", make("yaml-key-type", kind="a list or mapping"), kmark)
                continue
            if key_node.tag == "tag:yaml.org,2002:merge" and not key_node.style:
                self.error(
                    "yaml-alias",
                    "YAML merge keys (<<) are not supported",
                    kmark,
                    hint="write the keys out in full",
                )
                continue
            key = key_node.value
            if key in first_seen:
                self.error(
                    "yaml-duplicate-key",
                    make("yaml-duplicate-key", key=key, first=first_seen[key].line),
                    kmark,
                    hint="keep one of the two; YAML would silently keep only the last",
                    scope="key",
                )
                continue
            first_seen[key] = kmark
            out[key] = self.build(value_node, (*path, key), kmark, depth + 1)
        return out

    @staticmethod
    def _explicit_tag(node: yaml.Node) -> str | None:
        """A tag written in the file (``!!python/object``, ``!foo``), as opposed to one resolved."""
        tag = node.tag or ""
        if isinstance(node, yaml.ScalarNode):
            if not node.style and not tag.startswith("tag:yaml.org,2002:"):
                return tag
            if node.style and tag != "tag:yaml.org,2002:str":
                return tag
            return None
        if tag in _STANDARD_TAGS:
            return None
        return tag


_TAB_PROBLEMS = ("found character '\\t'", "found character \t")


def _syntax_finding(file: str, exc: yaml.MarkedYAMLError, text: str) -> Finding:
    mark = exc.problem_mark or exc.context_mark
    line = mark.line + 1 if mark else None
    column = mark.column + 1 if mark else None
    problem = (exc.problem or exc.context or "invalid YAML").strip()
    hint = None
    code = "yaml-syntax"
    lines = text.splitlines()
    if (
        "\t" in problem
        or "'\\t'" in problem
        or (line is not None and line <= len(lines) and "\t" in lines[line - 1][: (column or 1)])
    ):
        code = "yaml-tab"
        problem = make("yaml-tab")
        hint = "YAML does not allow tabs for indentation; indent with spaces"
        # point at the first tab of the line
        if line is not None and line <= len(lines) and "\t" in lines[line - 1]:
            column = lines[line - 1].index("\t") + 1
    elif "mapping values are not allowed" in problem:
        hint = "a value containing ': ' must be quoted"
    elif "could not find expected ':'" in problem:
        hint = "each line of a mapping needs 'key: value'"
    elif "expected a single document" in problem or "but found another document" in problem:
        code = "yaml-multi-document"
        problem = make("yaml-multi-document")
        hint = "keep one document per file (remove the extra '---')"
    return Finding(code, problem, file=file, line=line, column=column, hint=hint, scope="file")


def display_path(path: Path, base: Path | None = None) -> str:
    """A path as the user should see it: relative to ``base`` or the working directory."""
    path = Path(path)
    for root in (base, Path.cwd()):
        if root is None:
            continue
        try:
            return path.resolve().relative_to(Path(root).resolve()).as_posix()
        except ValueError:
            continue
    return path.as_posix()


def load_text(text: str, file: str) -> tuple[Document | None, list[Finding]]:
    """Parse YAML text. Returns the document (None if unusable) and every finding."""
    if text.startswith("\ufeff"):
        text = text[1:]
    if not text.strip() or all(
        not ln.strip() or ln.lstrip().startswith("#") for ln in text.splitlines()
    ):
        return None, [
            Finding(
                "file-empty",
                make("file-empty"),
                file=file,
                line=1,
                column=1,
                scope="file",
                hint="add the definition, or delete the file",
            )
        ]
    try:
        node, loader = _compose(text)
    except yaml.MarkedYAMLError as exc:
        return None, [_syntax_finding(file, exc, text)]
    except yaml.YAMLError as exc:  # e.g. reader errors for control characters
        return None, [Finding("yaml-syntax", str(exc), file=file, line=1, column=1, scope="file")]
    except RecursionError:  # PyYAML composes nested lists and mappings recursively
        return None, [
            Finding(
                "yaml-syntax",
                make("yaml-syntax", problem="nesting is too deep"),
                file=file,
                line=_deepest_line(text),
                column=1,
                scope="file",
                hint=f"lists and mappings may nest at most {_MAX_NESTING} levels; check the "
                "brackets",
            )
        ]
    if node is None:
        return None, [Finding("file-empty", make("file-empty"), file=file, line=1, column=1)]
    builder = _Builder(file)
    data = builder.build(node, (), None)
    findings = _alias_findings(text, file, loader) + builder.findings
    return Document(file, data, builder.info), findings


_FAST = bool(getattr(yaml, "__with_libyaml__", False))  # PyYAML built with libyaml's parser


def _compose(text: str) -> tuple[yaml.Node | None, type]:
    """The file's node tree and the loader that parsed it: libyaml (about six times faster),
    or PyYAML's own parser where libyaml is missing, finds the file invalid, nests it deeper
    than mel accepts, or where the file holds a tab (where the two parsers disagree), so that
    every problem is reported in PyYAML's words, as before. The two give the same tree for a
    valid file (tests/test_yamlio.py compares them on every YAML file here)."""
    if _FAST and "\t" not in text:
        node = _compose_fast(text)
        if node is None or (node is not _INVALID and _depth(node) <= _MAX_NESTING):
            return node, yaml.CSafeLoader
    return yaml.compose(text, Loader=yaml.SafeLoader), yaml.SafeLoader


_INVALID = yaml.Node("", "", None, None)  # what libyaml could not parse


def _compose_fast(text: str) -> yaml.Node | None:
    try:
        return yaml.compose(text, Loader=yaml.CSafeLoader)
    except Exception:  # reported by PyYAML's parser, in its words
        return _INVALID


def _depth(node: yaml.Node) -> int:
    """How deep lists and mappings nest in a node tree (each node visited once: an alias makes
    the tree a graph, and a billion laughs would otherwise be walked a billion times)."""
    deepest = 0
    stack = [(node, 0)]
    seen: set[int] = set()
    while stack:
        n, d = stack.pop()
        if id(n) in seen:
            continue
        seen.add(id(n))
        deepest = max(deepest, d)
        if isinstance(n, yaml.SequenceNode):
            stack.extend((c, d + 1) for c in n.value)
        elif isinstance(n, yaml.MappingNode):
            stack.extend((v, d + 1) for k, v in n.value)
            stack.extend((k, d + 1) for k, v in n.value)
    return deepest


def _deepest_line(text: str) -> int:
    """The line where brackets nest deepest (where a runaway nesting is)."""
    depth = best = 0
    line = best_line = 1
    for ch in text:
        if ch == "\n":
            line += 1
        elif ch in "[{":
            depth += 1
            if depth > best:
                best, best_line = depth, line
        elif ch in "]}":
            depth -= 1
    return best_line


def _alias_findings(text: str, file: str, loader: type = yaml.SafeLoader) -> list[Finding]:
    """Each use of an alias (``*name``), at the place it is used (``loader``: the parser that
    read the file)."""
    if "*" not in text:
        return []
    out = []
    for event in yaml.parse(text, Loader=loader):
        if isinstance(event, yaml.AliasEvent):
            m = _mark(event.start_mark)  # type: ignore[arg-type]  # events always carry marks
            out.append(
                Finding(
                    "yaml-alias",
                    make("yaml-alias"),
                    file=file,
                    line=m.line,
                    column=m.column,
                    hint="write the value out in full",
                )
            )
    return out


def load_file(path: Path, *, base: Path | None = None) -> tuple[Document | None, list[Finding]]:
    """Read and parse a YAML file; unreadable and non-UTF-8 files become findings too."""
    shown = display_path(path, base)
    try:
        raw = Path(path).read_bytes()
    except FileNotFoundError:
        return None, [Finding("file-missing", make("file-missing", path=shown), file=shown)]
    except OSError as exc:
        reason = exc.strerror or str(exc)
        return None, [
            Finding("file-unreadable", make("file-unreadable", reason=reason), file=shown)
        ]
    try:
        text = raw.decode("utf-8")
    except UnicodeDecodeError as exc:
        line = raw[: exc.start].count(b"\n") + 1
        return None, [
            Finding(
                "file-unreadable",
                make("file-unreadable", reason="it is not UTF-8 text"),
                file=shown,
                line=line,
                hint="save the file as UTF-8",
            )
        ]
    return load_text(text, shown)
