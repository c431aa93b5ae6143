"""The indicator reference sheet (PIRS): what a donor asks for at inception, one per indicator."""

from __future__ import annotations

from mel.definitions.models import (
    TARGET_FORM_WORDS,
    ChangeFromBaseline,
    Count,
    CountDistinct,
    Indicator,
    Mean,
    Median,
    Milestone,
    Percentage,
    Ratio,
    Sum,
)

CUMULATION_WORDS = {
    "per_period": "per period (each period counted on its own)",
    "cumulative": "cumulative from the project start to the end of the period",
    "latest": "latest value (not summed across periods)",
}
LEVEL_WORDS = {
    "impact": "Impact",
    "objective": "Objective (outcome)",
    "result": "Result (output)",
    "process": "Process",
}


def describe_measure(m, dataset: str, date: str) -> str:
    """The computation of a measure in words."""
    where = f" where {m.where}" if getattr(m, "where", None) else ""
    ds = getattr(m, "dataset", None) or dataset
    if isinstance(m, Count):
        return f"number of records of '{ds}'{where}"
    if isinstance(m, CountDistinct):
        return f"number of distinct '{m.column}' in '{ds}'{where}"
    if isinstance(m, Sum):
        return f"sum of '{m.column}' in '{ds}'{where}"
    if isinstance(m, Mean):
        return f"mean of '{m.column}' in '{ds}'{where}"
    if isinstance(m, Median):
        return f"median of '{m.column}' in '{ds}'{where}"
    if isinstance(m, Ratio | Percentage):
        factor = 100 if isinstance(m, Percentage) else m.factor
        num = describe_measure(m.numerator, dataset, date)
        den = describe_measure(m.denominator, dataset, date)
        times = f" x {factor:,}" if factor != 1 else ""
        return (
            f"({num}) / ({den}){times}, computed from the numerator and denominator at every "
            "level; no value when the denominator is 0"
        )
    if isinstance(m, Milestone):
        return f"yes once a record of '{ds}'{where} is dated on or before the end of the period"
    if isinstance(m, ChangeFromBaseline):
        inner = describe_measure(m.of, dataset, date)
        if m.relative:
            return f"(value - baseline) / baseline x 100, where value = {inner}"
        return f"value - baseline, where value = {inner}"
    raise TypeError(m)


def sheet(ind: Indicator) -> list[tuple[str, str]]:
    """The reference sheet as (field, text) rows, in the order a PIRS shows them."""
    rows: list[tuple[str, str]] = [
        ("Indicator", f"{ind.id}  {ind.name}"),
        ("Pillar", ind.pillar.capitalize()),
        ("Logframe level", LEVEL_WORDS[ind.level]),
        ("Result measured", ind.result),
        ("Definition", ind.definition),
    ]
    if ind.rationale:
        rows.append(("Rationale", ind.rationale))
    rows += [
        ("Unit", ind.unit),
        ("Computation", describe_measure(ind.measure, ind.dataset, ind.date)),
    ]
    if ind.where:
        rows.append(("Records counted", f"records of '{ind.dataset}' where {ind.where}"))
    rows += [
        ("Dataset", ind.dataset),
        ("Period placed by", f"'{ind.date}'"),
        ("Geography", f"'{ind.geography}'"),
        (
            "Disaggregation",
            ", ".join(
                (d.label or d.column)
                + (" (multi-response: parts may exceed the total)" if d.multi_response else "")
                for d in ind.disaggregations
            )
            or "none",
        ),
        ("Cumulation", CUMULATION_WORDS[ind.cumulation]),
        (
            "Direction of change",
            "increase is good" if ind.direction == "increase" else "decrease is good",
        ),
        ("Target", TARGET_FORM_WORDS[ind.target_kind]),
        ("Data collection method", "; ".join(ind.verification.method)),
        ("Data source", ind.verification.source),
        ("Collection frequency", ind.frequency.collection),
        ("Reporting frequency", ind.frequency.reporting),
    ]
    for ref in ind.references:
        text = ref.source
        if ref.code:
            text += f", {ref.code}"
        if ref.title:
            text += f": {ref.title}"
        text += f" [{ref.provenance}]"
        if ref.note:
            text += f". {ref.note}"
        rows.append(("Reference", text))
    if ind.notes:
        rows.append(("Notes", ind.notes))
    return rows


def markdown(ind: Indicator) -> str:
    lines = [f"## {ind.id} {ind.name}", "", "| Field | |", "|---|---|"]
    for field, text in sheet(ind)[1:]:
        cell = text.replace("|", "\\|")
        lines.append(f"| {field} | {cell} |")
    return "\n".join(lines) + "\n"
