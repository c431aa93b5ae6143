"""Benchmark: the fix-and-rerun loop, `mel report` against `mel compute` on the same project.

An officer fixes a cell and reruns the report many times before sending it; what counts is the
report's time against the computation's, on a project of the example's size and on a small one.
For each project this runs, as a user does, ``mel compute`` and then ``mel report`` into a new
folder (each in a child process, so imports count), and prints both times and their ratio; then
it fixes one cell (a case's sex) and runs both again, the report into the same folder, where
the charts whose figures did not change are kept (mel.outputs.report.reuse); then the report's
own phases in one process (validation and computation, the workbook, its saving, the charts,
the tidy files), so that a change can be aimed where the time is.

    python benchmarks/loop.py
    python benchmarks/loop.py --small-cases 30

Projects: the bundled example (``examples/counter-trafficking``, 4,000 cases, 21 indicators);
the example programme generated with ``--small-cases`` cases in 2 countries (the same 21
indicators on 2,357 rows, most of them its trainings, awareness sessions and surveys); and
the example cut to 155 rows in all (``cut_example``: 20 of its cases, some of their services,
a few rows of every other dataset), the project size issue 19 names.
"""

from __future__ import annotations

import argparse
import contextlib
import datetime as dt
import json
import os
import shutil
import subprocess
import sys
import tempfile
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent))
from _common import REPO, load_generator

PERIOD = "FY2025-Q4"
AS_OF = "2026-01-15"


def timed(args: list[str]) -> float:
    t0 = time.perf_counter()
    done = subprocess.run(
        [sys.executable, "-m", "mel", *args], capture_output=True, text=True, cwd=REPO
    )
    seconds = time.perf_counter() - t0
    if done.returncode not in (0, 1):  # 1: records left out, said, output written
        sys.exit(f"mel {' '.join(args)} failed:\n{done.stderr[-2000:]}")
    return seconds


def phases(project: Path, out: Path) -> dict[str, float]:
    """The report's phases, one after the other in this process."""
    from mel.definitions.project import load_project
    from mel.engine.pipeline import execute
    from mel.engine.spec import RunSpec
    from mel.outputs.excel import save_workbook
    from mel.outputs.report import book, charts, labelled, report_context, workbook
    from mel.outputs.tidy import write_table

    took: dict[str, float] = {}
    t = time.perf_counter()

    def lap(name: str) -> None:
        nonlocal t
        now = time.perf_counter()
        took[name] = now - t
        t = now

    bundle = load_project(project)
    spec = RunSpec.build(bundle, period=PERIOD, as_of=dt.date.fromisoformat(AS_OF), published=[])
    with _timed_steps() as steps:
        results = execute(spec)
    lap("validate + compute + suppress")
    for step, seconds in steps.items():
        took[f"  of which {step}"] = seconds
    ctx = report_context(spec, results)
    wb = workbook.build(ctx)
    lap("workbook: build")
    save_workbook(wb, out / "r.xlsx")
    lap("workbook: save")
    charts.write_pngs(ctx, out / "charts")
    lap("charts: PNG files")
    book.write_book(ctx, out / "c.pdf")
    lap("charts: PDF chart book")
    from mel.outputs.report.web import web_report

    (out / "r.html").write_text(web_report(ctx), encoding="utf-8")
    lap("web page")
    tidy = labelled(ctx)
    write_table(tidy, out / "r.csv", "csv")
    write_table(tidy, out / "r.parquet", "parquet")
    lap("tidy CSV and Parquet")
    from mel.outputs.report import write_report

    write_report(ctx, out / "together", [])
    lap("all, as mel report writes them")
    return took


@contextlib.contextmanager
def _timed_steps():
    """The time of the pipeline's own steps while ``execute`` runs (validation, the engine,
    the disclosure check), by wrapping them for the duration; the wrapped functions are put
    back after."""
    import mel.engine.pipeline as pipeline

    steps = {"validation": "_sources", "the engine": "compute", "disclosure check": "suppress"}
    took: dict[str, float] = {}
    saved = {name: getattr(pipeline, name) for name in steps.values()}

    def timed_step(label: str, fn):
        def run(*args, **kwargs):
            t0 = time.perf_counter()
            try:
                return fn(*args, **kwargs)
            finally:
                took[label] = took.get(label, 0.0) + time.perf_counter() - t0

        return run

    for label, name in steps.items():
        setattr(pipeline, name, timed_step(label, saved[name]))
    try:
        yield took
    finally:
        for name, fn in saved.items():
            setattr(pipeline, name, fn)


def fix_one_cell(project: Path) -> None:
    """Correct one case's sex (the first case recorded Female), as an officer fixes a cell."""
    path = project / "data" / "cases.csv"
    lines = path.read_text(encoding="utf-8").split("\n")
    row = next(k for k, line in enumerate(lines) if ",Female," in line)
    lines[row] = lines[row].replace(",Female,", ",Male,", 1)
    path.write_text("\n".join(lines), encoding="utf-8")


def cut_example(dest: Path) -> None:
    """The example with 155 rows in all: every 200th case (20), their first 40 services and
    15 referrals, and a few rows of every other dataset, as a new project's first data might
    be."""
    import openpyxl
    import pandas as pd

    shutil.copytree(REPO / "examples" / "counter-trafficking", dest)
    data = dest / "data"

    def read(name: str):
        return pd.read_csv(data / name, dtype=str, keep_default_na=False)

    cases = read("cases.csv").iloc[::200].head(20)
    cases.to_csv(data / "cases.csv", index=False)
    ids = set(cases["case_id"])
    for name, n in [("assistance.csv", 40), ("referrals.csv", 15)]:
        t = read(name)
        t[t["case_id"].isin(ids)].head(n).to_csv(data / name, index=False)
    for name, n in [("legal.csv", 10), ("surveys.csv", 15)]:  # rows spread over the years
        t = read(name)
        t.iloc[:: len(t) // n].head(n).to_csv(data / name, index=False)
    read("budget.csv").head(25).to_csv(data / "budget.csv", index=False)
    book = openpyxl.load_workbook(data / "programme.xlsx")
    for ws in book.worksheets:  # trainings and awareness: 10 rows each; milestones: all 7
        keep = 7 if ws.title == "milestones" else 10
        if ws.max_row > keep + 1:
            ws.delete_rows(keep + 2, ws.max_row - keep - 1)
    book.save(data / "programme.xlsx")


def chart_keys(report: Path) -> dict[str, str]:
    record = json.loads((report / ".mel-report.json").read_text(encoding="utf-8"))
    return {name: entry["key"] for name, entry in record.get("drawn", {}).items()}


def loop(project: Path, out: Path) -> list[str]:
    """compute, report, a fix, compute and report again into the same folder: the lines."""
    compute = timed(["compute", str(project), "-o", str(out / "c.csv"), "--as-of", AS_OF])
    report_args = ["report", str(project), "--period", PERIOD, "--as-of", AS_OF]
    report = timed([*report_args, "-o", str(out / "report")])
    before = chart_keys(out / "report")
    fix_one_cell(project)
    compute2 = timed(["compute", str(project), "-o", str(out / "c.csv"), "--as-of", AS_OF])
    report2 = timed([*report_args, "-o", str(out / "report")])
    after = chart_keys(out / "report")
    kept = sum(before.get(name) == key for name, key in after.items())
    return [
        f"mel compute {compute:.1f} s, mel report into a new folder {report:.1f} s, "
        f"report / compute {report / compute:.2f}",
        f"one cell fixed: mel compute {compute2:.1f} s, mel report into the same folder "
        f"{report2:.1f} s ({kept} of {len(after)} chart files kept), report / compute "
        f"{report2 / compute2:.2f}",
    ]


def rows_of(project: Path) -> int:
    import pandas as pd

    n = 0
    for f in (project / "data").glob("*.csv"):
        n += len(pd.read_csv(f, dtype=str))
    for f in (project / "data").glob("*.xlsx"):
        n += sum(len(df) for df in pd.read_excel(f, sheet_name=None, dtype=str).values())
    return n


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    ap.add_argument("--small-cases", type=int, default=30)
    args = ap.parse_args()
    print(f"machine: {os.cpu_count()} cores; period {PERIOD}, --as-of {AS_OF}")
    # as an installed package has it (pip compiles what it installs; a first run writes the
    # rest): without, each run compiles mel's modules again, about 0.5 s here, where
    # PYTHONDONTWRITEBYTECODE=1 is set and no run writes them
    import compileall

    compileall.compile_dir(REPO / "mel", quiet=1)
    print("mel's bytecode compiled before the runs, as an installed package's is")
    with tempfile.TemporaryDirectory() as tmp:
        small = Path(tmp) / "small"
        load_generator().generate(small, cases=args.small_cases, countries=["SDN", "TZA"])
        example = Path(tmp) / "example"
        shutil.copytree(REPO / "examples" / "counter-trafficking", example)  # to be fixed
        tiny = Path(tmp) / "tiny"
        cut_example(tiny)
        for name, project in [("example", example), ("small", small), ("example cut down", tiny)]:
            out = Path(tmp) / f"{name.replace(' ', '-')}-out"
            out.mkdir()
            print(f"\n{name}: {rows_of(project):,} rows")
            for line in loop(project, out):
                print(f"  {line}")
            print("  the report's phases, one after the other in one process (new files):")
            for phase, seconds in phases(project, out).items():
                print(f"    {phase:<40} {seconds:6.2f} s")
    print(
        "\naims (issue 19): the example's report within 1.5 x its compute; "
        "a 155-row project's report under 5 s"
    )


if __name__ == "__main__":
    main()
