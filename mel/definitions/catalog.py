"""The catalog: indicator definitions checked against dataset templates and code lists.

Loading is done whole: every file is read, every problem is collected with its location, and
cross-references are checked (an indicator naming an unknown dataset, column or code list, a
duplicate id, a filter comparing a code column with a value not in its code list, a
disaggregation on a multi-valued column not declared multi-response, ...).
"""

from __future__ import annotations

from collections.abc import Iterable, Sequence
from dataclasses import dataclass, field
from pathlib import Path

from mel import filters as flt
from mel import resources
from mel.definitions.loader import (
    YAML_SUFFIXES,
    Loaded,
    filter_finding,
    filters_of,
    load_codelist_file,
    load_indicator_file,
    load_template_file,
    measures_of,
    yaml_files,
)
from mel.definitions.models import CodeList, Indicator, Template
from mel.definitions.provides import check_provides
from mel.errors import DefinitionError, Finding, did_you_mean, hint_for, make

CODELIST_FOLDER = "codelists"


@dataclass
class Catalog:
    indicators: dict[str, Loaded[Indicator]] = field(default_factory=dict)
    templates: dict[str, Loaded[Template]] = field(default_factory=dict)
    codelists: dict[str, Loaded[CodeList]] = field(default_factory=dict)
    findings: list[Finding] = field(default_factory=list)

    @property
    def errors(self) -> list[Finding]:
        return [f for f in self.findings if f.severity == "error"]

    def raise_if_errors(self) -> Catalog:
        if self.errors:
            raise DefinitionError(self.findings)
        return self

    def indicator(self, ident: str) -> Indicator:
        if ident in self.indicators:
            return self.indicators[ident].obj
        guess = did_you_mean(ident, self.indicators)
        raise DefinitionError(
            Finding(
                "unknown-indicator",
                make("unknown-indicator", name=ident),
                scope="file",
                hint=hint_for(guess, "see 'mel indicators list'"),
            )
        )

    def column_infos(self, dataset: str) -> dict[str, flt.ColumnInfo]:
        tpl = self.templates[dataset].obj
        out: dict[str, flt.ColumnInfo] = {}
        for c in tpl.columns:
            codes = None
            if c.codelist and c.codelist in self.codelists:
                codes = self.codelists[c.codelist].obj.codes()
            out[c.name] = flt.ColumnInfo(c.type, codes, c.multiple)
        return out


def template_paths(dirs: Iterable[Path]) -> tuple[list[Path], list[Path]]:
    """(template files, code-list files) under template folders; code lists sit in codelists/."""
    templates: list[Path] = []
    codelists: list[Path] = []
    for d in dirs:
        for f in yaml_files([d]):
            (codelists if CODELIST_FOLDER in f.relative_to(d).parts[:-1] else templates).append(f)
    return templates, codelists


def load_templates(dirs: Sequence[Path] | None = None, *, base: Path | None = None) -> Catalog:
    """Templates and code lists, checked against each other."""
    if dirs is None:
        dirs = [resources.templates_dir()]
        base = base or resources.bundled_root()
    cat = Catalog()
    # A later folder (a project's own templates) overrides an earlier one (the bundled ones);
    # the same name twice within one folder is an error.
    for d in dirs:
        tpl_files, cl_files = template_paths([d])
        codelists: dict[str, Loaded[CodeList]] = {}
        templates: dict[str, Loaded[Template]] = {}
        for f in cl_files:
            loaded, findings = load_codelist_file(f, base=base)
            cat.findings += findings
            for ld in loaded:
                _add_unique(codelists, ld.obj.name, ld, "code list", cat.findings)
        for f in tpl_files:
            tpl, findings = load_template_file(f, base=base)
            cat.findings += findings
            if tpl:
                _add_unique(templates, tpl.obj.name, tpl, "template", cat.findings)
        cat.codelists.update(codelists)
        cat.templates.update(templates)
    for loaded_tpl in cat.templates.values():
        cat.findings += _check_template(loaded_tpl, cat) + check_provides(loaded_tpl, cat)
    return cat


def load_catalog(
    indicator_paths: Sequence[Path] | None = None,
    template_dirs: Sequence[Path] | None = None,
) -> Catalog:
    """Indicator definitions with their templates and code lists, cross-checked.

    Defaults to the bundled catalog and templates. Findings are collected in ``Catalog.findings``.
    """
    cat = load_templates(template_dirs)
    base = resources.bundled_root() if indicator_paths is None else None
    if indicator_paths is None:
        indicator_paths = [resources.indicators_dir()]
    files = []
    for f in yaml_files(indicator_paths):
        if f.is_file() and f.suffix not in YAML_SUFFIXES:
            cat.findings.append(
                Finding(
                    "file-unreadable",
                    f"{f.name} is not a definition file",
                    file=str(f),
                    hint="definitions are YAML files ending in .yaml or .yml",
                    scope="file",
                )
            )
        else:
            files.append(f)
    for f in files:
        loaded, findings = load_indicator_file(f, base=base)
        cat.findings += findings
        for ld in loaded:
            _add_unique(cat.indicators, ld.obj.id, ld, "indicator", cat.findings, key="id")
    for ld in cat.indicators.values():
        cat.findings += check_indicator(ld, cat)
    return cat


def _add_unique(
    into: dict, name: str, ld: Loaded, kind: str, findings: list[Finding], key: str = "name"
) -> None:
    if name in into:
        findings.append(
            ld.finding(
                "duplicate-id",
                make("duplicate-id", kind=kind, name=name, other=into[name].where),
                (key,),
                hint=f"give each {kind} its own {key}",
            )
        )
        return
    into[name] = ld


# --- cross-reference checks ----------------------------------------------------------------------


def _check_template(ld: Loaded[Template], cat: Catalog) -> list[Finding]:
    tpl = ld.obj
    out: list[Finding] = []
    names = tpl.column_names
    seen: set[str] = set()
    for i, c in enumerate(tpl.columns):
        if c.name in seen:
            out.append(
                ld.finding("duplicate-id", f"column '{c.name}' is defined twice", ("columns", i))
            )
        seen.add(c.name)
        if c.codelist and c.codelist not in cat.codelists:
            guess = did_you_mean(c.codelist, cat.codelists)
            out.append(
                ld.finding(
                    "unknown-codelist",
                    make("unknown-codelist", name=c.codelist),
                    ("columns", i, "codelist"),
                    hint=hint_for(guess),
                )
            )
    for i, k in enumerate(tpl.key):
        if k not in names:
            out.append(_unknown_column(ld, tpl.name, k, names, ("key", i)))
    infos = {
        c.name: flt.ColumnInfo(
            c.type,
            cat.codelists[c.codelist].obj.codes() if c.codelist in cat.codelists else None,
            c.multiple,
        )
        for c in tpl.columns
    }
    for i, rule in enumerate(tpl.rules):
        try:
            expr = flt.parse(rule.check)
        except flt.FilterError:
            continue  # reported when the file was loaded
        for err in flt.check(expr, infos):
            out.append(filter_finding(ld.doc, (*ld.path, "rules", i, "check"), err))
    for i, fk in enumerate(tpl.foreign_keys):
        if fk.column not in names:
            out.append(
                _unknown_column(ld, tpl.name, fk.column, names, ("foreign_keys", i, "column"))
            )
        other = cat.templates.get(fk.dataset)
        if other is None:
            out.append(_unknown_dataset(ld, fk.dataset, cat, ("foreign_keys", i, "dataset")))
        elif fk.to not in other.obj.column_names:
            out.append(
                _unknown_column(
                    ld, fk.dataset, fk.to, other.obj.column_names, ("foreign_keys", i, "to")
                )
            )
    return out


def _unknown_column(
    ld: Loaded, dataset: str, name: str, names: Sequence[str], path: tuple
) -> Finding:
    guess = did_you_mean(name, names)
    return ld.finding(
        "unknown-column",
        make("unknown-column", dataset=dataset, name=name),
        path,
        hint=hint_for(guess, "columns: " + ", ".join(names)),
        suggestion=guess,
    )


def _unknown_dataset(ld: Loaded, name: str, cat: Catalog, path: tuple) -> Finding:
    guess = did_you_mean(name, cat.templates)
    return ld.finding(
        "unknown-dataset",
        make("unknown-dataset", name=name),
        path,
        hint=hint_for(guess, "datasets: " + ", ".join(sorted(cat.templates))),
        suggestion=guess,
    )


def _distinct(ind: Indicator) -> bool:
    """Whether the indicator counts distinct persons (or cases) over records: one person may
    then have records in several categories of a one-value-per-record column (services by type),
    so the column is multi-response for this indicator."""
    counted = ind.measure.parts()[0][1]  # the value, or the numerator
    return counted.type == "count_distinct"


def check_indicator(ld: Loaded[Indicator], cat: Catalog) -> list[Finding]:
    """Cross-reference checks of one indicator against the templates and code lists."""
    ind = ld.obj
    if ind.dataset not in cat.templates:
        return [_unknown_dataset(ld, ind.dataset, cat, ("dataset",))]
    tpl = cat.templates[ind.dataset].obj
    check = _IndicatorCheck(ld, cat)
    check.measures(ind, tpl)
    check.disaggregations(ind, tpl)
    check.filters(ind, tpl)
    check.fixture(ind, tpl)
    return check.out


class _IndicatorCheck:
    """The checks of one indicator's columns, measures, disaggregations, filters and fixture;
    their findings in ``out``."""

    def __init__(self, ld: Loaded[Indicator], cat: Catalog):
        self.ld, self.cat = ld, cat
        self.out: list[Finding] = []

    def column(
        self,
        dataset: str,
        name: str,
        path: tuple,
        types: tuple[str, ...] | None = None,
        what: str = "",
    ) -> None:
        ld, cat = self.ld, self.cat
        t = cat.templates[dataset].obj
        spec = t.column(name)
        if spec is None:
            self.out.append(_unknown_column(ld, dataset, name, t.column_names, path))
        elif types and spec.type not in types:
            self.out.append(
                ld.finding(
                    "column-type",
                    f"column '{name}' is of type {spec.type}; {what} needs {' or '.join(types)}",
                    path,
                )
            )
        elif spec.pii and what == "a disaggregation":
            self.out.append(
                ld.finding(
                    "column-type",
                    f"column '{name}' holds personal data (pii)",
                    path,
                    hint="personal data never leaves in an output",
                )
            )

    def measures(self, ind: Indicator, tpl: Template) -> None:
        """The date and geography columns, and each measure's dataset, date and column."""
        ld, cat = self.ld, self.cat
        self.column(ind.dataset, ind.date, ("date",), ("date", "integer"), "the date column")
        if "geography" in ind.model_fields_set or tpl.column(ind.geography) is not None:
            self.column(
                ind.dataset,
                ind.geography,
                ("geography",),
                ("code", "string"),
                "the geography column",
            )
        # else: a dataset without a country column is computed for all countries together
        for path, m in measures_of(ind):
            dataset = m.dataset or ind.dataset
            if dataset not in cat.templates:
                self.out.append(_unknown_dataset(ld, dataset, cat, (*path, "dataset")))
                continue
            if m.date:
                self.column(dataset, m.date, (*path, "date"), ("date", "integer"), "a date column")
            elif dataset != ind.dataset:
                self.column(
                    dataset, ind.date, (*path, "dataset"), ("date", "integer"), "the date column"
                )
            if m.level:
                spec = cat.templates[dataset].obj.column(m.date or ind.date)
                if spec is not None and spec.type != "integer":
                    self.out.append(
                        ld.finding(
                            "invalid",
                            f"'level: true' reads a value per year, but '{spec.name}' is a "
                            f"{spec.type} column",
                            (*path, "level"),
                            hint="give the measure a year (integer) date column, or remove "
                            "'level: true' to count events",
                        )
                    )
            if m.measured and m.type != "count_distinct":  # sums, means, medians: of numbers
                self.column(
                    dataset, m.measured, (*path, "column"), ("integer", "number"), f"'{m.type}'"
                )
            elif m.measured:
                self.column(dataset, m.measured, (*path, "column"))

    def disaggregations(self, ind: Indicator, tpl: Template) -> None:
        """Each disaggregation's column, and its multi-response and denominator settings."""
        ld = self.ld
        for i, d in enumerate(ind.disaggregations):
            spec = tpl.column(d.column)
            self.column(
                ind.dataset,
                d.column,
                ("disaggregations", i, "column"),
                ("code", "boolean", "string"),
                "a disaggregation",
            )
            if spec is not None and spec.multiple and not d.multi_response:
                self.out.append(
                    ld.finding(
                        "invalid",
                        f"column '{d.column}' holds several values per record",
                        ("disaggregations", i),
                        hint="add 'multi_response: true': its parts may add up to more than "
                        "the total",
                    )
                )
            if d.denominator == "total" and not ind.is_ratio:
                self.out.append(
                    ld.finding(
                        "invalid",
                        "'denominator: total' is for ratio and percentage indicators",
                        ("disaggregations", i, "denominator"),
                        hint="remove it, or make the measure a percentage",
                    )
                )
            if spec is not None and d.multi_response and not spec.multiple and not _distinct(ind):
                self.out.append(
                    ld.finding(
                        "invalid",
                        f"column '{d.column}' holds one value per record and the indicator counts "
                        "records, so it is not multi-response",
                        ("disaggregations", i, "multi_response"),
                        hint="remove 'multi_response: true'",
                    )
                )

    def filters(self, ind: Indicator, tpl: Template) -> None:
        """Each filter's columns and values, against its dataset's template."""
        ld, cat = self.ld, self.cat
        for path, text, dataset, _ in filters_of(ind):
            if dataset not in cat.templates:
                continue
            try:
                expr = flt.parse(text)
            except flt.FilterError:
                continue  # reported when the file was loaded
            for err in flt.check(expr, cat.column_infos(dataset)):
                self.out.append(filter_finding(ld.doc, (*ld.path, *path), err))

    def fixture(self, ind: Indicator, tpl: Template) -> None:
        """The fixture's datasets, columns and expected disaggregations."""
        ld, cat = self.ld, self.cat
        if ind.fixture is not None:
            for name, rows in ind.fixture.data.items():
                if name not in cat.templates:
                    self.out.append(_unknown_dataset(ld, name, cat, ("fixture", "data", name)))
                    continue
                names = cat.templates[name].obj.column_names
                for r, row in enumerate(rows):
                    if not isinstance(row, dict):
                        self.out.append(
                            ld.finding(
                                "wrong-type",
                                "a fixture row must be a mapping",
                                ("fixture", "data", name, r),
                            )
                        )
                        continue
                    for key in row:
                        if key not in names:
                            self.out.append(
                                _unknown_column(
                                    ld, name, key, names, ("fixture", "data", name, r, key)
                                )
                            )
            disagg = {d.column for d in ind.disaggregations}
            for i, exp in enumerate(ind.fixture.expect):
                if exp.disaggregation is not None and exp.disaggregation not in disagg:
                    self.out.append(
                        ld.finding(
                            "invalid",
                            f"'{exp.disaggregation}' is not a disaggregation of {ind.id}",
                            ("fixture", "expect", i, "disaggregation"),
                        )
                    )


def select(
    indicators: Iterable[Indicator],
    *,
    pillar: str | None = None,
    level: str | None = None,
    source: str | None = None,
) -> list[Indicator]:
    """Indicators filtered by pillar, level and (case-insensitive) text in a reference's source
    or code, in catalog order: pillar, level, id."""
    from mel.definitions.models import LEVELS, PILLARS

    out = []
    for ind in indicators:
        if pillar and ind.pillar != pillar:
            continue
        if level and ind.level != level:
            continue
        if source:
            needle = source.lower()
            hay = " ".join(f"{r.source} {r.code or ''} {r.title or ''}" for r in ind.references)
            if needle not in hay.lower():
                continue
        out.append(ind)
    return sorted(out, key=lambda i: (PILLARS.index(i.pillar), LEVELS.index(i.level), i.id))
