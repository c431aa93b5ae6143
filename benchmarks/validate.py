"""Benchmark: generate the example programme at scale and validate it.

Generates the example with N cases (default 1,000,000) with ``examples/generate.py`` (timed:
issue 4 asks for well under a minute), then validates, each in a child process so that its peak
memory is its own:

1. the cases file alone (read, parse, pandera checks, findings): issue 3 asks for 1,000,000 rows
   in under 15 s and under 2 GB;
2. the whole project (every dataset, with the references between them), keeping every cell
   (what the feedback workbook needs);
3. ``mel validate PROJECT`` as a user runs it (no feedback workbook: findings and counts only);
4. ``mel validate PROJECT --report feedback.xlsx`` (the feedback workbook: the rows with findings
   of a dataset over 50,000 rows; issue 19 asks for under 1.2 GB at 1,000,000 cases).

    python benchmarks/validate.py
    python benchmarks/validate.py --cases 100000 --countries SDN,TZA,NGA
"""

from __future__ import annotations

import argparse
import json
import subprocess
import sys
import tempfile
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent))
from _common import PEAK_SOURCE, load_generator

CASES_ONLY = (
    PEAK_SOURCE
    + """
import datetime as dt, json, sys, time
t0 = time.perf_counter()
from mel.data.readers import read_table
from mel.data.validate import validate_raw
from mel.definitions.catalog import load_templates
catalog = load_templates()
t1 = time.perf_counter()
raw = read_table(sys.argv[1])
t2 = time.perf_counter()
tpl = catalog.templates["cases"].obj
ds = validate_raw(raw, "cases", tpl, catalog, as_of=dt.date(2026, 1, 1))
invalid = int(ds.invalid.sum())
t3 = time.perf_counter()
print(json.dumps({"rows": len(ds.frame), "import_s": t1 - t0, "read_s": t2 - t1,
                  "validate_s": t3 - t2, "findings": len(ds.findings), "invalid": invalid,
                  "peak_mb": peak_mb()}))
"""
)

PROJECT = (
    PEAK_SOURCE
    + """
import datetime as dt, json, sys, time
t0 = time.perf_counter()
from mel.data.validate import validate_path
t1 = time.perf_counter()
result = validate_path(sys.argv[1], as_of=dt.date(2026, 1, 1))
t2 = time.perf_counter()
print(json.dumps({"import_s": t1 - t0, "validate_s": t2 - t1, "findings": len(result.findings),
                  "rows": {n: len(d.frame) for n, d in result.datasets.items()},
                  "peak_mb": peak_mb()}))
"""
)


CLI = (
    PEAK_SOURCE
    + """
import atexit, sys, time
t0 = time.perf_counter()
atexit.register(lambda: print(f"CLI {time.perf_counter() - t0:.2f} {peak_mb():.0f}"))
from mel.cli.app import main
sys.argv = ["mel", "validate", sys.argv[1], "--as-of", "2026-01-01", *sys.argv[2:]]
main()
"""
)


def _cli(project: Path, *more: str) -> tuple[float, float, int]:
    """(seconds, peak MB, exit code) of `mel validate PROJECT [MORE]` in a child process."""
    out = subprocess.run(
        [sys.executable, "-c", CLI, str(project), *more],
        capture_output=True,
        text=True,
        check=False,
    )
    line = next(ln for ln in out.stdout.splitlines()[::-1] if ln.startswith("CLI "))
    _, seconds, peak = line.split()
    return float(seconds), float(peak), out.returncode


def _child(code: str, arg: Path) -> dict:
    out = subprocess.run(
        [sys.executable, "-c", code, str(arg)], capture_output=True, text=True, check=False
    )
    if out.returncode != 0:
        raise SystemExit(out.stderr)
    return json.loads(out.stdout.strip().splitlines()[-1])


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    ap.add_argument("--cases", type=int, default=1_000_000)
    ap.add_argument("--countries", default="SDN,TZA,NGA,ETH,KEN")
    ap.add_argument("--seed", type=int, default=2023)
    args = ap.parse_args()
    gen = load_generator()
    with tempfile.TemporaryDirectory() as tmp:
        out = Path(tmp) / "big"
        t0 = time.perf_counter()
        data = gen.generate(
            out, seed=args.seed, cases=args.cases, countries=args.countries.split(",")
        )
        gen_s = time.perf_counter() - t0
        size_mb = sum(p.stat().st_size for p in out.rglob("*") if p.is_file()) / 1e6
        cases = _child(CASES_ONLY, out / "data" / "cases.csv")
        project = _child(PROJECT, out)
        cli_s, cli_mb, cli_exit = _cli(out)
        feedback = Path(tmp) / "feedback.xlsx"
        fb_s, fb_mb, fb_exit = _cli(out, "--report", str(feedback))
        fb_size = feedback.stat().st_size / 1e6
    print(
        f"generate: {args.cases:,} cases, {len(args.countries.split(','))} countries -> "
        f"{sum(len(d) for d in data.values()):,} rows in {len(data)} datasets, {size_mb:,.0f} MB, "
        f"in {gen_s:.1f} s"
    )
    print(
        f"validate cases only: {cases['rows']:,} rows x 19 columns: read {cases['read_s']:.2f} s"
        f" + validate {cases['validate_s']:.2f} s = {cases['read_s'] + cases['validate_s']:.2f}"
        f" s; peak memory {cases['peak_mb']:,.0f} MB; {cases['findings']:,} findings"
    )
    rows = ", ".join(f"{k} {v:,}" for k, v in project["rows"].items())
    print(
        f"validate whole project ({rows}): {project['validate_s']:.2f} s; peak memory "
        f"{project['peak_mb']:,.0f} MB; {project['findings']:,} findings"
    )
    print(
        f"mel validate (the whole project, no feedback workbook): {cli_s:.2f} s including "
        f"imports; peak memory {cli_mb:,.0f} MB; exit code {cli_exit}"
    )
    print(
        f"mel validate --report feedback.xlsx: {fb_s:.2f} s including imports; peak memory "
        f"{fb_mb:,.0f} MB; exit code {fb_exit}; workbook {fb_size:,.1f} MB"
    )
    print(
        "aim (issue 19): mel validate --report under 1,200 MB "
        f"({'met' if fb_mb < 1200 else 'NOT met'})"
    )


if __name__ == "__main__":
    main()
