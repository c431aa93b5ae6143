"""Suppression on the bundled example: cells hidden by the old per-group rule and by the linked
suppression of mel/engine/disclosure.py, what the disclosure auditor of the tests recovers from
each, and the time the suppression takes.

    python benchmarks/disclosure.py            # the FY2025-Q4 donor report
    python benchmarks/disclosure.py --year     # also FY2025's four quarterly reports, the
                                               # year-end report and mel compute, read together
    python benchmarks/disclosure.py --helper   # the linked suppression's time with its linear
                                               # programs shared with a helper process and
                                               # without, on the example and a 30-case project

Prints its figures; docs/privacy.md quotes them.
"""

from __future__ import annotations

import argparse
import datetime as dt
import shutil
import sys
import tempfile
import time
from pathlib import Path

import numpy as np

REPO = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(REPO))

from mel.definitions.project import load_project  # noqa: E402
from mel.engine import pipeline  # noqa: E402
from mel.engine.periods import Calendar  # noqa: E402
from mel.engine.suppress import flags, suppress  # noqa: E402
from tests.disclosure_audit import Auditor, Published  # noqa: E402
from tests.test_disclosure import publish  # noqa: E402

AS_OF = dt.date(2026, 1, 15)


def kinds(findings) -> str:
    small = sum(1 <= f.truth <= 4 for f in findings)
    return f"{len(findings):,} hidden quantities given away ({small:,} of them counts 1-4)"


def primary_small(table, inds) -> np.ndarray:
    """Counts from 1 to 4 (what the small-count rule hides and marks <5 at most)."""
    from mel.definitions.models import Count, CountDistinct, Sum

    counts = (
        table["indicator"]
        .map(lambda i: isinstance(inds[i].measure, Count | CountDistinct | Sum))
        .to_numpy(dtype=bool)
    )
    v = table["value"].astype("float64").to_numpy()
    return counts & (v >= 1) & (v <= 4)


def helper_times(rounds: int = 3) -> None:
    """The linked suppression of a FY2025-Q4 donor report, its linear programs shared with the
    helper process (mel.engine.helper) and solved in this process alone, in turns; the tables
    must be equal."""
    import os

    import pandas as pd

    from mel.engine import helper

    sys.path.insert(0, str(REPO / "benchmarks"))
    from _common import load_generator

    print(f"cores this process may use: {len(os.sched_getaffinity(0))}")
    work = Path(tempfile.mkdtemp(prefix="mel-helper-"))
    try:
        small = work / "small"
        load_generator().generate(small, cases=30, countries=["SDN", "TZA"])
        for name, folder in [("example", REPO / "examples" / "counter-trafficking"),
                             ("30 cases, 2 countries", small)]:  # fmt: skip
            bundle = load_project(folder)
            calendar = Calendar.of(bundle.project)
            truth = pipeline.run(bundle, internal=True, up_to="FY2025-Q4", as_of=AS_OF).table
            end = pipeline.truncated(bundle, "FY2025-Q4").project.end
            inds = {i.id: i for i in bundle.indicators}
            base = truth.drop(columns=["suppressed", "flag"])
            years = pipeline.years_of(calendar)
            seconds: dict[str, list[float]] = {"alone": [], "shared": []}
            tables = {}
            real_cores = helper._cores
            for _ in range(rounds):
                for how in seconds:
                    helper._cores = (lambda: 1) if how == "alone" else real_cores
                    t = time.perf_counter()
                    tables[how] = suppress(base, inds, 5, years, calendar=calendar, as_of=end)
                    seconds[how].append(time.perf_counter() - t)
            helper._cores = real_cores
            pd.testing.assert_frame_equal(tables["shared"], tables["alone"], check_exact=True)
            shown = {k: ", ".join(f"{s:.2f}" for s in v) for k, v in seconds.items()}
            print(f"{name}: {len(base):,} cells; suppression in this process alone "
                  f"{shown['alone']} s; shared with the helper {shown['shared']} s; "
                  "tables equal")  # fmt: skip
    finally:
        shutil.rmtree(work, ignore_errors=True)


def main() -> None:
    ap = argparse.ArgumentParser()
    ap.add_argument("--year", action="store_true")
    ap.add_argument("--helper", action="store_true")
    args = ap.parse_args()
    if args.helper:
        helper_times()
        return
    bundle = load_project(REPO / "examples" / "counter-trafficking")
    calendar = Calendar.of(bundle.project)
    audit = Auditor(bundle.indicators, calendar, bundle.project.privacy.threshold)
    truth = pipeline.run(bundle, internal=True, up_to="FY2025-Q4", as_of=AS_OF).table
    end = pipeline.truncated(bundle, "FY2025-Q4").project.end
    inds = {i.id: i for i in bundle.indicators}
    years = pipeline.years_of(calendar)
    base = truth.drop(columns=["suppressed", "flag"])
    print(f"example, FY2025-Q4 donor report: {len(truth):,} cells")
    t = time.perf_counter()
    old = suppress(base, inds, 5, years).assign(n_records=np.nan)
    old_s = time.perf_counter() - t
    t = time.perf_counter()
    new = suppress(base, inds, 5, years, calendar=calendar, as_of=end)
    new_s = time.perf_counter() - t
    primary = suppress(base, inds, 5, years, secondary_suppression=False)
    print(f"  primary suppression only:      {int(primary['suppressed'].sum()):,} cells hidden")
    print(f"  old rule (each group alone):   {int(old['suppressed'].sum()):,} cells hidden "
          f"in {old_s:.1f} s")  # fmt: skip
    print(f"  linked suppression (now):      {int(new['suppressed'].sum()):,} cells hidden "
          f"in {new_s:.1f} s")  # fmt: skip
    print(f"  auditor on the old rule:  {kinds(audit.audit([Published(old, truth, end)]))}")
    print(f"  auditor on the new rule:  {kinds(audit.audit([Published(new, truth, end)]))}")
    marks = new["flag"].value_counts()
    small = int(primary_small(base, inds).sum())
    print(f"  markers: {small:,} small counts hidden, {int(marks.get('small', 0)):,} shown as <5, "
          f"{small - int(marks.get('small', 0)):,} as [c] (their <5 would narrow another); "
          f"{int(marks.get('protected', 0)):,} cells [c] in all")  # fmt: skip
    naive = new.assign(flag=flags(base, inds, 5, new["suppressed"].to_numpy()))
    print(f"  auditor if every small count were shown as <5: "
          f"{kinds(audit.audit([Published(naive, truth, end)]))}")  # fmt: skip
    if not args.year:
        return
    folder = Path(tempfile.mkdtemp(prefix="mel-disclosure-"))
    try:
        pubs = []
        for label in ["FY2025-Q1", "FY2025-Q2", "FY2025-Q3", "FY2025-Q4", "FY2025", None]:
            t = time.perf_counter()
            pubs.append(publish(bundle, folder, label, label or "all"))
            hidden = int(pubs[-1].donor["suppressed"].sum())
            print(f"  {label or 'mel compute'}: {len(pubs[-1].donor):,} cells, {hidden:,} hidden "
                  f"({time.perf_counter() - t:.1f} s with its internal twin)")  # fmt: skip
        print(f"  auditor on all six together: {kinds(audit.audit(pubs))}")
    finally:
        shutil.rmtree(folder, ignore_errors=True)


if __name__ == "__main__":
    main()
