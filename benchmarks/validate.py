"""Benchmark: validate N generated case rows against the bundled `cases` template.

Prints the input size, the time to read and to validate, the total, the peak memory of the
validating process and the number of findings. The validation runs in a child process so that
its peak memory is its own (generating the data is not counted).

    python benchmarks/validate.py                 # 1,000,000 rows
    python benchmarks/validate.py --rows 100000

Aim (DESIGN.md, issue 3): 1,000,000 rows in under 15 s with under 2 GB on a 2-core machine.
"""

from __future__ import annotations

import argparse
import json
import subprocess
import sys
import tempfile
import time
from pathlib import Path

import numpy as np
import pandas as pd


def generate(path: Path, n: int, seed: int = 1, fault_rate: float = 0.001) -> int:
    """Write n case rows; a fraction of them with typical faults. Returns the faults planted."""
    rng = np.random.default_rng(seed)
    countries = np.array(["SDN", "TZA", "NGA", "ETH", "KEN"])
    reg = pd.Timestamp("2022-01-01") + pd.to_timedelta(rng.integers(0, 1095, n), unit="D")
    age = rng.integers(5, 70, n)
    bands = pd.cut(
        age,
        [-1, 8, 17, 20, 23, 26, 29, 38, 47, 200],
        labels=["0-8", "9-17", "18-20", "21-23", "24-26", "27-29", "30-38", "39-47", "48+"],
    ).astype(str)
    expl = np.array(
        ["forced_labour", "sexual", "sexual;forced_labour", "begging", "forced_marriage", ""]
    )
    closed = rng.random(n) < 0.4
    df = pd.DataFrame(
        {
            "case_id": [f"C{i:08d}" for i in range(n)],
            "registration_date": reg.strftime("%Y-%m-%d"),
            "country": countries[rng.integers(0, 5, n)],
            "office": np.array(["Khartoum", "Kassala", "Zanzibar", "Lagos", ""])[
                rng.integers(0, 5, n)
            ],
            "sex": np.array(["Female", "Male", "Female", "-99"])[rng.integers(0, 4, n)],
            "age": age.astype(str),
            "age_band": bands,
            "age_group": np.where(age < 18, "Minor", "Adult"),
            "nationality": countries[rng.integers(0, 5, n)],
            "trafficking_status": np.array(["actual", "possible", "not_a_victim"])[
                rng.integers(0, 3, n)
            ],
            "exploitation": expl[rng.integers(0, len(expl), n)],
            "needs_assessment_date": (reg + pd.Timedelta(days=3)).strftime("%Y-%m-%d"),
            "closure_date": np.where(
                closed, (reg + pd.Timedelta(days=90)).strftime("%Y-%m-%d"), ""
            ),
            "plan_completed": np.where(closed, "yes", ""),
            "full_name": "x",
            "phone": "",
        }
    )
    k = int(n * fault_rate)
    idx = rng.choice(n, size=k, replace=False)
    kinds = [
        ("sex", "Femal"),
        ("age", "150"),
        ("registration_date", "31/12/2024"),
        ("country", "sdn"),
        ("exploitation", "sexual;forcd"),
    ]
    for j, i in enumerate(idx):
        col, value = kinds[j % len(kinds)]
        df.at[i, col] = value
    df.to_csv(path, index=False)
    return k


CHILD = """
import datetime as dt, json, resource, sys, time
t0 = time.perf_counter()
from mel.data.readers import read_table
from mel.data.validate import validate_raw
from mel.definitions.catalog import load_templates
catalog = load_templates()
t1 = time.perf_counter()
raw = read_table(sys.argv[1])
t2 = time.perf_counter()
tpl = catalog.templates["cases"].obj
ds = validate_raw(raw, "cases", tpl, catalog, as_of=dt.date(2025, 12, 31))
invalid = int(ds.invalid.sum())
t3 = time.perf_counter()
print(json.dumps({"import_s": t1 - t0, "read_s": t2 - t1, "validate_s": t3 - t2,
                  "findings": len(ds.findings), "invalid_rows": invalid,
                  "peak_mb": resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024}))
"""


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    ap.add_argument("--rows", type=int, default=1_000_000)
    args = ap.parse_args()
    with tempfile.TemporaryDirectory() as tmp:
        path = Path(tmp) / "cases.csv"
        t0 = time.perf_counter()
        planted = generate(path, args.rows)
        gen_s = time.perf_counter() - t0
        size_mb = path.stat().st_size / 1e6
        out = subprocess.run(
            [sys.executable, "-c", CHILD, str(path)], capture_output=True, text=True, check=True
        )
        r = json.loads(out.stdout.strip().splitlines()[-1])
    print(
        f"input: {args.rows:,} case rows, 16 columns, {size_mb:.0f} MB CSV, "
        f"{planted:,} planted faults (generated in {gen_s:.1f} s)"
    )
    print(f"read:      {r['read_s']:6.2f} s")
    print(f"validate:  {r['validate_s']:6.2f} s  (parse, pandera checks, findings)")
    print(
        f"total:     {r['read_s'] + r['validate_s']:6.2f} s  (plus {r['import_s']:.1f} s imports)"
    )
    print(f"peak memory of the validating process: {r['peak_mb']:,.0f} MB")
    print(f"findings: {r['findings']:,}; rows with errors: {r['invalid_rows']:,}")


if __name__ == "__main__":
    main()
