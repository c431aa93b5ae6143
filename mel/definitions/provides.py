"""Checks of a template's ``provides:`` (how its records stand for another template's): every
rule names real columns, and every code it can give is a code of the provided column, so that
no record's value is lost on the way without a word."""

from __future__ import annotations

from typing import TYPE_CHECKING

from mel.definitions.loader import Loaded
from mel.definitions.models import Template
from mel.errors import Finding, hint_for, meant

if TYPE_CHECKING:
    from mel.definitions.catalog import Catalog


def check_provides(ld: Loaded[Template], cat: Catalog) -> list[Finding]:
    tpl = ld.obj
    if tpl.provides is None:
        return []
    here = ("provides",)
    other = cat.templates.get(tpl.provides.template)
    if other is None:
        return [
            ld.finding(
                "unknown-dataset",
                f"template '{tpl.provides.template}' is not defined",
                (*here, "template"),
                hint=hint_for(meant(tpl.provides.template, list(cat.templates))),
            )
        ]
    out: list[Finding] = []
    for name, rule in tpl.provides.columns.items():
        path = (*here, "columns", name)
        spec = other.obj.column(name)
        if spec is None:
            out.append(_no_column(ld, other.obj, name, path, prefer_key=True))
            continue
        for source in rule.column:
            if tpl.column(source) is None:
                out.append(_no_column(ld, tpl, source, (*path, "column")))
        if rule.years_to is not None and rule.years_to not in tpl.provides.columns:
            out.append(
                ld.finding(
                    "unknown-column",
                    f"'years_to: {rule.years_to}' names no column this template provides",
                    (*path, "years_to"),
                    hint=hint_for(meant(rule.years_to, list(tpl.provides.columns))),
                )
            )
        out += _codes(ld, tpl, rule, spec, path, cat)
    return out


def _no_column(ld, tpl: Template, name: str, path, prefer_key: bool = False) -> Finding:
    return ld.finding(
        "unknown-column",
        f"template '{tpl.name}' has no column '{name}'",
        path,
        prefer_key=prefer_key,
        hint=hint_for(meant(name, tpl.column_names)),
    )


def _codes(ld, tpl: Template, rule, spec, path, cat: Catalog) -> list[Finding]:
    """Every code the rule can give must be one of the provided column's codes."""
    if spec.codelist not in cat.codelists:
        return []
    allowed = set(cat.codelists[spec.codelist].obj.codes())
    out = []
    for code in [*rule.values.values(), *rule.bands]:
        if code and code not in allowed:
            out.append(
                ld.finding(
                    "unknown-code",
                    f"'{code}' is not a code of the code list '{spec.codelist}'",
                    path,
                    hint=hint_for(meant(code, sorted(allowed))),
                )
            )
    if rule.bands or rule.alpha3 or rule.years_to:
        return out
    for source in rule.column:
        col = tpl.column(source)
        if col is None or col.codelist not in cat.codelists:
            continue
        lost = [
            c
            for c in cat.codelists[col.codelist].obj.codes()
            if rule.values.get(c, c) and rule.values.get(c, c) not in allowed
        ]
        if lost:
            out.append(
                ld.finding(
                    "unknown-code",
                    f"the codes {', '.join(repr(c) for c in lost[:5])} of '{source}' give "
                    f"'{spec.name}' no code of '{spec.codelist}'",
                    (*path, "values"),
                    hint="map each under 'values:' (to '' for unknown)",
                )
            )
    return out


__all__ = ["check_provides"]
