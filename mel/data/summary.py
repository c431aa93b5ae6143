"""What `mel validate` prints of a validation: counts per dataset, and per dataset and rule."""

from __future__ import annotations

from dataclasses import dataclass
from typing import TYPE_CHECKING

from mel.definitions.yamlio import display_path

if TYPE_CHECKING:
    from mel.data.validate import ValidationResult


@dataclass(frozen=True)
class DatasetSummary:
    dataset: str
    file: str
    rows: int
    invalid_rows: int
    errors: int
    warnings: int


def summarise(
    result: ValidationResult,
) -> tuple[list[DatasetSummary], list[tuple[str, str, str, int]]]:
    """Counts per dataset (rows, invalid rows, errors, warnings) and per dataset, rule and
    severity."""
    per_dataset = []
    for name, ds in result.datasets.items():
        fs = [f for f in result.findings if f.dataset == name]
        file = ds.file
        if result.root is not None:
            file = file.removeprefix(display_path(result.root).rstrip("/") + "/")
        per_dataset.append(
            DatasetSummary(
                name,
                file,
                len(ds.frame),
                int(ds.invalid.sum()),
                sum(f.severity == "error" for f in fs),
                sum(f.severity == "warning" for f in fs),
            )
        )
    counts: dict[tuple[str, str, str], int] = {}
    for f in result.findings:
        key = (f.dataset or "", f.rule or f.code, f.severity)
        counts[key] = counts.get(key, 0) + 1
    by_rule = sorted(
        ((*k, n) for k, n in counts.items()), key=lambda r: (r[0], r[2] != "error", -r[3], r[1])
    )
    return per_dataset, by_rule
