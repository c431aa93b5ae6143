"""The indicator reference sheet (PIRS): what a donor asks for at inception, one per indicator."""

from __future__ import annotations

from mel.definitions.models import (
    TARGET_FORM_WORDS,
    Indicator,
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
    return m.words(dataset)


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
