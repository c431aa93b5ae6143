"""Loading each kind of declarative file into typed models, collecting every located finding.

Each ``load_*`` function returns what it could load and the findings; nothing raises for a
user's mistake. :func:`mel.errors.raise_if_errors` turns findings into one exception.
"""

from __future__ import annotations

from collections.abc import Iterable, Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import Any, Generic, TypeVar

from pydantic import BaseModel, ValidationError

from mel import filters as flt
from mel.definitions.locate import findings_from_validation
from mel.definitions.models import (
    CodeList,
    Indicator,
    Project,
    Template,
)
from mel.definitions.yamlio import Document, Path_, display_path, dotted, load_file
from mel.errors import Finding, make

T = TypeVar("T", bound=BaseModel)


YAML_SUFFIXES = (".yaml", ".yml")


@dataclass
class Loaded(Generic[T]):
    """A model with the document it came from, for locating later (cross-reference) findings."""

    obj: T
    doc: Document
    path: Path_ = ()

    def finding(self, code: str, message: str, sub: Path_ = (), **kw: Any) -> Finding:
        return self.doc.finding(code, message, (*self.path, *sub), **kw)

    @property
    def where(self) -> str:
        m = self.doc.mark(self.path)
        return f"{self.doc.file}:{m.line}" if m else self.doc.file


def yaml_files(paths: Iterable[Path]) -> Iterator[Path]:
    """YAML files under each path (recursively, sorted), or the path itself if it is a file."""
    for p in paths:
        p = Path(p)
        if p.is_dir():
            yield from sorted(x for x in p.rglob("*") if x.suffix in YAML_SUFFIXES and x.is_file())
        else:
            yield p


def _not_already_reported(more: list[Finding], yaml_findings: list[Finding]) -> list[Finding]:
    """Model findings, less those at a place where the YAML itself was already reported wrong
    (a tagged or aliased value also fails the model; one message is enough)."""
    places = {(f.line, f.column) for f in yaml_findings}
    return [f for f in more if (f.line, f.column) not in places]


def _validate(
    model: type[T], doc: Document, path: Path_ = ()
) -> tuple[Loaded[T] | None, list[Finding]]:
    data = doc.data
    for p in path:
        data = data[p]
    if not isinstance(data, dict):
        return None, [
            doc.finding(
                "wrong-type",
                f"expected a mapping of keys to values for {model.__name__.lower()}, "
                f"found {type(data).__name__}",
                path,
            )
        ]
    try:
        obj = model.model_validate(data)
    except ValidationError as exc:
        return None, findings_from_validation(doc, exc, model, path)
    return Loaded(obj, doc, path), []


def _validate_many(
    model: type[T], doc: Document, key: str
) -> tuple[list[Loaded[T]], list[Finding]]:
    """A file that holds ``key: [ ... ]``: each item is validated on its own."""
    out: list[Loaded[T]] = []
    findings: list[Finding] = []
    extra = [k for k in doc.data if k != key]
    for k in extra:
        findings.append(
            doc.finding(
                "unknown-key",
                make("unknown-key", key=k),
                (k,),
                prefer_key=True,
                hint=f"a file of several items holds only '{key}:'",
                scope="key",
            )
        )
    items = doc.data[key]
    if not isinstance(items, list) or not items:
        findings.append(doc.finding("wrong-type", f"'{key}' must be a non-empty list", (key,)))
        return out, findings
    for i in range(len(items)):
        loaded, f = _validate(model, doc, (key, i))
        findings.extend(f)
        if loaded:
            out.append(loaded)
    return out, findings


def _one_or_many(
    model: type[T], doc: Document, key: str, *, single_key: str
) -> tuple[list[Loaded[T]], list[Finding]]:
    """A file holding one item, or ``key: [items]`` (recognised by ``key`` without
    ``single_key``)."""
    if isinstance(doc.data, dict) and key in doc.data and single_key not in doc.data:
        return _validate_many(model, doc, key)
    one, more = _validate(model, doc)
    return ([one] if one else []), more


def filters_of(ind: Indicator) -> list[tuple[Path_, str, str, str | None]]:
    """(path, expression, dataset, date column) for every filter of an indicator."""
    out: list[tuple[Path_, str, str, str | None]] = []
    if ind.where is not None:
        out.append((("where",), ind.where, ind.dataset, ind.date))
    for path, m in measures_of(ind):
        if m.where is not None:
            out.append(((*path, "where"), m.where, m.dataset or ind.dataset, m.date or ind.date))
    return out


def measures_of(ind: Indicator) -> list[tuple[Path_, Any]]:
    """Every measure of an indicator with its path: the measure, or numerator and denominator."""
    out: list[tuple[Path_, Any]] = []
    base: Path_ = ("measure", "of") if ind.measure.inner is not ind.measure else ("measure",)
    for role, m in ind.measure.parts():
        out.append(((*base, role) if role != "value" else base, m))
    return out


def filter_finding(doc: Document, path: Path_, err: flt.FilterError) -> Finding:
    """A filter error located at its character inside the YAML string at ``path``."""
    mark = doc.string_offset_mark(path, err.offset)
    return Finding(
        err.code,
        err.message,
        file=doc.file,
        line=mark.line if mark else None,
        column=mark.column if mark else None,
        hint=err.hint,
        path=dotted(path),
    )


def _raw_filters(data: Any, path: Path_) -> Iterator[tuple[Path_, str]]:
    """Every ``where:`` text under an indicator's raw data (fixtures excluded), with its path.

    Checked on the raw data so that filter syntax is reported even when the rest of the
    definition does not validate.
    """
    if isinstance(data, dict):
        for k, v in data.items():
            if k == "fixture":
                continue
            if k == "where" and isinstance(v, str):
                yield (*path, k), v
            else:
                yield from _raw_filters(v, (*path, k))
    elif isinstance(data, list):
        for i, v in enumerate(data):
            yield from _raw_filters(v, (*path, i))


def _filter_syntax(doc: Document, path: Path_) -> list[Finding]:
    data = doc.data
    for p in path:
        data = data[p]
    out = []
    for fpath, text in _raw_filters(data, path):
        try:
            flt.parse(text)
        except flt.FilterError as err:
            out.append(filter_finding(doc, fpath, err))
    return out


def load_indicator_file(
    path: Path, *, base: Path | None = None
) -> tuple[list[Loaded[Indicator]], list[Finding]]:
    doc, findings = load_file(path, base=base)
    if doc is None:
        return [], findings
    loaded, more = _one_or_many(Indicator, doc, "indicators", single_key="id")
    findings += _not_already_reported(more, findings)
    if isinstance(doc.data, dict) and isinstance(doc.data.get("indicators"), list):
        for i in range(len(doc.data["indicators"])):
            findings += _filter_syntax(doc, ("indicators", i))
    elif isinstance(doc.data, dict):
        findings += _filter_syntax(doc, ())
    return loaded, findings


def load_codelist_file(
    path: Path, *, base: Path | None = None
) -> tuple[list[Loaded[CodeList]], list[Finding]]:
    doc, findings = load_file(path, base=base)
    if doc is None:
        return [], findings
    loaded, more = _one_or_many(CodeList, doc, "codelists", single_key="name")
    return loaded, findings + _not_already_reported(more, findings)


def load_template_file(
    path: Path, *, base: Path | None = None
) -> tuple[Loaded[Template] | None, list[Finding]]:
    doc, findings = load_file(path, base=base)
    if doc is None:
        return None, findings
    loaded, more = _validate(Template, doc)
    findings += _not_already_reported(more, findings)
    if loaded:
        for i, rule in enumerate(loaded.obj.rules):
            try:
                flt.parse(rule.check)
            except flt.FilterError as err:
                findings.append(filter_finding(doc, ("rules", i, "check"), err))
    return loaded, findings


PROJECT_FILE = "mel.yaml"


def load_project_file(path: Path) -> tuple[Loaded[Project] | None, list[Finding]]:
    """Load ``mel.yaml`` (``path`` may be the file or the project folder)."""
    path = Path(path)
    if path.is_dir():
        path = path / PROJECT_FILE
    doc, findings = load_file(path)
    if doc is None:
        if findings and findings[0].code == "file-missing":
            findings = [
                Finding(
                    "file-missing",
                    f"no {PROJECT_FILE} in {display_path(path.parent)}",
                    file=display_path(path),
                    hint="give the project folder, or create one with 'mel init'",
                )
            ]
        return None, findings
    loaded, more = _validate(Project, doc)
    return loaded, findings + more
