"""Results as IATI 2.03 activity data (``mel export iati``): one activity, one ``result`` per
indicator, its values for each reporting period up to the report's, as the donor edition
publishes them (a hidden value is left out, never written as '<5').

The file is built as a small model first (:class:`Activity`), checked against the IATI
validator's rules for results (:func:`check`), and written only when every rule holds, in the
order the 2.03 schema requires (``tests/test_iati.py`` validates every file against it)."""

from __future__ import annotations

import math
import xml.etree.ElementTree as ET
from dataclasses import dataclass, field
from pathlib import Path

import pandas as pd

from mel.definitions.countries import alpha3_codes
from mel.definitions.models import IATI_RESULT_TYPES, IATI_VOCABULARIES
from mel.definitions.words import ALL, LOP, TOTAL
from mel.errors import DefinitionError, Finding
from mel.outputs.report.content import ReportContext
from mel.outputs.tidy import atomic_write

RESULT_TYPES = set(IATI_RESULT_TYPES)
MEASURES = {"1", "2", "3", "4", "5"}  # unit, percentage, nominal, ordinal, qualitative
VOCABULARIES = set(IATI_VOCABULARIES)
QUALITATIVE = "5"


@dataclass
class Value:
    """A baseline, target or actual: its value (None for a qualitative one), where and for whom."""

    value: str | None
    location: str | None = None  # the activity location's ref (a country)
    dimensions: list[tuple[str, str]] = field(default_factory=list)
    comment: str | None = None
    where: str = ""  # for messages: country, category


@dataclass
class Period:
    label: str
    start: str  # ISO dates
    end: str
    targets: list[Value] = field(default_factory=list)
    actuals: list[Value] = field(default_factory=list)


@dataclass
class IndicatorResult:
    """A ``result`` with its one ``indicator`` (mel's indicator)."""

    id: str
    result_type: str
    result_title: str
    title: str
    description: str
    measure: str
    ascending: bool
    aggregation: bool
    references: list[tuple[str, str]] = field(default_factory=list)  # (vocabulary, code)
    result_references: list[tuple[str, str]] = field(default_factory=list)
    baseline: Value | None = None
    baseline_year: int = 0
    baseline_date: str = ""
    periods: list[Period] = field(default_factory=list)


@dataclass
class Activity:
    identifier: str
    lang: str
    org_ref: str
    org_type: str
    org_name: str
    title: str
    description: str
    donor: str
    status: str
    start: str
    end: str
    countries: list[tuple[str, str, str]]  # (alpha-3 ref, alpha-2 code, name)
    results: list[IndicatorResult] = field(default_factory=list)


# --- numbers -------------------------------------------------------------------------------------


def number(v: object) -> str | None:
    """A value as IATI writes numbers: plain decimal, no thousands separator."""
    if v is None or v is pd.NA or isinstance(v, bool):
        return None
    try:
        x = float(v)  # type: ignore[arg-type]  # numbers and numeric text; the rest is None
    except (TypeError, ValueError):
        return None
    if math.isnan(x):
        return None
    if x.is_integer():
        return str(int(x))
    return f"{x:.4f}".rstrip("0").rstrip(".")


def _missing(v: object) -> bool:
    return v is None or v is pd.NA or (isinstance(v, float) and math.isnan(v))


# --- building ------------------------------------------------------------------------------------


def require_iati(project):
    """The project's ``iati:`` section; a definition error saying what to add without one."""
    if project.iati is None:
        raise DefinitionError(
            Finding(
                "missing-key",
                "mel.yaml has no 'iati:' section: an IATI file needs the activity's "
                "identifier and its reporting organisation",
                file="mel.yaml",
                scope="key",
                hint="add iati: {identifier: XM-DAC-..., reporting_org: {ref: ..., type: 21, "
                "name: ...}} (see docs/report.md, IATI)",
            )
        )
    return project.iati


def build(ctx: ReportContext) -> Activity:
    """The activity of a donor report's content."""
    project = ctx.full_project
    iati = require_iati(project)
    from mel.outputs.report.labels import country_name

    codes2 = _alpha2()
    activity = Activity(
        identifier=iati.identifier,
        lang=ctx.lang,
        org_ref=iati.reporting_org.ref,
        org_type=iati.reporting_org.type,
        org_name=iati.reporting_org.name,
        title=iati.title or project.name,
        description=iati.description or f"{project.name} (funded by {project.donor})",
        donor=project.donor,
        status=iati.activity_status,
        start=project.start.isoformat(),
        end=project.end.isoformat(),
        countries=[(c, codes2.get(c, c[:2]), country_name(c, ctx.lang)) for c in project.countries],
    )
    for ind in ctx.indicators:
        activity.results.append(_result(ctx, ind))
    return activity


def _alpha2() -> dict[str, str]:
    import pycountry

    out = {}
    for c in alpha3_codes():
        country = pycountry.countries.get(alpha_3=c)
        if country is not None:
            out[c] = country.alpha_2
    return out


def _measure(ind) -> str:
    shape = ind.measure.shape
    if shape == "milestone":
        return QUALITATIVE
    if shape == "percentage" or (shape == "change" and getattr(ind.measure, "relative", False)):
        return "2"
    return "1"


def _result(ctx: ReportContext, ind) -> IndicatorResult:
    iati = ctx.full_project.iati
    assert iati is not None
    refs = []
    for r in ind.references:
        vocabulary = iati.vocabularies.get(r.source)
        if vocabulary is not None and r.code:
            refs.append((vocabulary, r.code))
    refs.append(("99", ind.id))
    latest = ind.cumulation == "latest" or ind.measure.shape == "milestone"
    res = IndicatorResult(
        id=ind.id,
        result_type=iati.result_types.get(ind.level, "9"),
        result_title=ind.result or ctx.name(ind),
        title=ctx.name(ind),
        description=ind.definition,
        measure=_measure(ind),
        ascending=ind.direction == "increase",
        aggregation=not (ind.is_ratio or latest or not ind.measure.additive),
        references=refs,
    )
    res.baseline_year = ctx.full_project.start.year
    res.baseline_date = ctx.full_project.start.isoformat()
    res.baseline = _baseline(ctx, ind, res.measure)
    calendar = {p.label: p for p in _calendar(ctx)}
    for label in ctx.periods:
        p = calendar[label]
        period = Period(label, p.start.isoformat(), p.end.isoformat())
        period.targets, period.actuals = _values(ctx, ind, label, res.measure)
        if period.targets or period.actuals:
            res.periods.append(period)
    return res


def _calendar(ctx: ReportContext):
    from mel.engine.periods import Calendar

    return Calendar.of(ctx.project).periods


def _baseline(ctx: ReportContext, ind, measure: str) -> Value | None:
    row = ctx.cell(ind.id, ALL, LOP)
    if row is None or _missing(row.get("baseline")):
        return None
    v = row["baseline"]
    if measure == QUALITATIVE:
        yes = str(v).lower() in ("true", "1", "1.0", "yes")
        return Value(None, comment=_yes_no(ctx, yes), where="baseline")
    if ind.measure.shape == "change":
        return Value("0", comment=f"the values are changes from the baseline level {number(v)}")
    return Value(number(v), where="baseline")


def _yes_no(ctx: ReportContext, yes: bool) -> str:
    from mel.outputs.report.labels import label

    return label("yes" if yes else "no", ctx.lang)


def _values(ctx: ReportContext, ind, period: str, measure: str):
    """(targets, actuals) of a period: all countries, each country, each category."""
    t = ctx.table
    rows = t[(t["indicator"] == ind.id) & (t["period"] == period)]
    targets: list[Value] = []
    actuals: list[Value] = []
    disaggs = {d.column: d for d in ind.disaggregations}
    for row in rows.itertuples(index=False):
        location = None if row.country == ALL else row.country
        where = row.country if location else "all countries"
        dims: list[tuple[str, str]] = []
        if row.disaggregation != TOTAL:
            d = disaggs.get(row.disaggregation)
            if d is None:
                continue
            dims = [(ctx.breakdown(ind, d), ctx.category(ind, d.column, row.category))]
            where += f", {dims[0][0]}: {dims[0][1]}"
        elif not _missing(row.target):
            targets.append(_value(ctx, row.target, measure, location, [], where))
        if bool(row.suppressed) or _missing(row.value):
            continue  # hidden, or no value: left out
        actuals.append(_value(ctx, row.value, measure, location, dims, where))
    return targets, actuals


def _value(ctx, v, measure: str, location, dims, where: str) -> Value:
    if measure == QUALITATIVE:
        yes = str(v).lower() in ("true", "1", "1.0", "yes")
        return Value(None, location, dims, comment=_yes_no(ctx, yes), where=where)
    return Value(number(v), location, dims, where=where)


# --- the IATI validator's rules for results ------------------------------------------------------


def check(activity: Activity) -> list[Finding]:
    """Every breach of the results rules, each naming its rule and where it is."""
    out: list[Finding] = []

    def breach(rule: str, where: str, message: str, hint: str | None = None) -> None:
        out.append(Finding("iati-rule", f"{where}: {message} [rule: {rule}]", hint=hint,
                           scope="value", rule=rule))  # fmt: skip

    for i, r in enumerate(activity.results, start=1):
        here = f"result {i} ({r.id})"
        if r.result_type not in RESULT_TYPES:
            breach(
                "result-type-code",
                here,
                f"result type '{r.result_type}' is not an IATI ResultType code (1, 2, 3, 9)",
                "set iati: result_types: in mel.yaml",
            )
        if r.measure not in MEASURES:
            breach("measure-code", here, f"measure '{r.measure}' is not an IATI IndicatorMeasure "
                   "code (1-5)")  # fmt: skip
        for vocabulary, code in r.references:
            if vocabulary not in VOCABULARIES:
                breach("vocabulary-code", here, f"reference '{code}' has vocabulary "
                       f"'{vocabulary}', not an IATI IndicatorVocabulary code (1-9, 99)",
                       "set iati: vocabularies: in mel.yaml")  # fmt: skip
        if r.references and r.result_references:
            breach("reference-once", here, "a reference at both the result and the indicator")
        values = [("baseline", r.baseline)] if r.baseline is not None else []
        for p in r.periods:
            if p.start > p.end:
                breach("period-order", f"{here}, period {p.label}",
                       f"the period starts ({p.start}) after it ends ({p.end})")  # fmt: skip
            values += [(f"period {p.label} target ({v.where})", v) for v in p.targets]
            values += [(f"period {p.label} actual ({v.where})", v) for v in p.actuals]
        for what, v in values:
            _check_value(breach, f"{here}, {what}", r.measure, v)
    return out


def _check_value(breach, where: str, measure: str, v: Value) -> None:
    if measure == QUALITATIVE:
        if v.value is not None:
            breach("qualitative-no-value", where, "a value on a qualitative indicator (measure 5)")
        return
    if v.value is None:
        breach("value-required", where, f"no value, which measure {measure} requires")
        return
    try:
        ok = math.isfinite(float(v.value))
    except ValueError:
        ok = False
    if not ok:
        breach("value-number", where, f"'{v.value}' is not a number")


# --- writing -------------------------------------------------------------------------------------


def _narrative(parent: ET.Element, tag: str, text: str) -> ET.Element:
    el = ET.SubElement(parent, tag)
    ET.SubElement(el, "narrative").text = text
    return el


def _value_element(parent: ET.Element, tag: str, v: Value, **attrs: str) -> None:
    el = ET.SubElement(parent, tag, attrs)
    if v.value is not None:
        el.set("value", v.value)
    if v.location:
        ET.SubElement(el, "location", {"ref": v.location})
    for name, value in v.dimensions:
        ET.SubElement(el, "dimension", {"name": name, "value": value})
    if v.comment:
        _narrative(el, "comment", v.comment)


def to_xml(activity: Activity) -> bytes:
    root = ET.Element("iati-activities", {"version": "2.03"})
    act = ET.SubElement(
        root, "iati-activity", {"xml:lang": activity.lang, "default-currency": "USD"}
    )
    ET.SubElement(act, "iati-identifier").text = activity.identifier
    org = ET.SubElement(act, "reporting-org", {"ref": activity.org_ref, "type": activity.org_type})
    ET.SubElement(org, "narrative").text = activity.org_name
    _narrative(act, "title", activity.title)
    _narrative(act, "description", activity.description)
    _narrative(act, "participating-org", activity.donor).set("role", "1")
    implementer = _narrative(act, "participating-org", activity.org_name)
    implementer.attrib.update({"ref": activity.org_ref, "type": activity.org_type, "role": "4"})
    implementer.attrib = dict(sorted(implementer.attrib.items(), key=lambda kv: kv[0] != "ref"))
    ET.SubElement(act, "activity-status", {"code": activity.status})
    ET.SubElement(act, "activity-date", {"type": "1", "iso-date": activity.start})
    ET.SubElement(act, "activity-date", {"type": "3", "iso-date": activity.end})
    for _ref, code2, _name in activity.countries:
        ET.SubElement(act, "recipient-country", {"code": code2})
    for ref, _code2, name in activity.countries:
        loc = ET.SubElement(act, "location", {"ref": ref})
        _narrative(loc, "name", name)
    for r in activity.results:
        _result_element(act, r)
    ET.indent(root, space="  ")
    return ET.tostring(root, encoding="utf-8", xml_declaration=True) + b"\n"


def _result_element(act: ET.Element, r: IndicatorResult) -> None:
    res = ET.SubElement(
        act, "result", {"type": r.result_type, "aggregation-status": _bool(r.aggregation)}
    )
    _narrative(res, "title", r.result_title)
    for vocabulary, code in r.result_references:
        ET.SubElement(res, "reference", {"code": code, "vocabulary": vocabulary})
    ind = ET.SubElement(
        res,
        "indicator",
        {"measure": r.measure, "ascending": _bool(r.ascending),
         "aggregation-status": _bool(r.aggregation)},
    )  # fmt: skip
    _narrative(ind, "title", r.title)
    _narrative(ind, "description", r.description)
    for vocabulary, code in r.references:
        ET.SubElement(ind, "reference", {"vocabulary": vocabulary, "code": code})
    if r.baseline is not None:
        _value_element(
            ind, "baseline", r.baseline, year=str(r.baseline_year), **{"iso-date": r.baseline_date}
        )
    for p in r.periods:
        period = ET.SubElement(ind, "period")
        ET.SubElement(period, "period-start", {"iso-date": p.start})
        ET.SubElement(period, "period-end", {"iso-date": p.end})
        for v in p.targets:
            _value_element(period, "target", v)
        for v in p.actuals:
            _value_element(period, "actual", v)


def _bool(b: bool) -> str:
    return "1" if b else "0"


def write_iati(ctx: ReportContext, path: Path) -> tuple[Path, Activity]:
    """Check the activity against the results rules and write it atomically; raises one
    DefinitionError with every breach (nothing written)."""
    activity = build(ctx)
    breaches = check(activity)
    if breaches:
        raise DefinitionError(breaches)
    data = to_xml(activity)
    atomic_write(Path(path), lambda tmp: tmp.write_bytes(data))
    return Path(path), activity


__all__ = ["Activity", "build", "check", "number", "to_xml", "write_iati"]
