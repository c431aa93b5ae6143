"""Benchmark: `mel report` on a large generated programme, end to end, as a user runs it.

Generates the example programme with N cases (default 1,000,000) in 5 countries with
``examples/generate.py``, then runs ``mel report`` on it in a child process (validation of every
dataset, every indicator the example selects, the workbook, the charts and the tidy files) and
prints the wall time and the child's peak memory (VmHWM, read by the child itself at exit).

    python benchmarks/report.py
    python benchmarks/report.py --cases 100000
"""

from __future__ import annotations

import argparse
import subprocess
import sys
import tempfile
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent))
from _common import PEAK_SOURCE, load_generator

CHILD = (
    PEAK_SOURCE
    + """
import atexit, sys
atexit.register(lambda: print(f"PEAK_MB {peak_mb():.0f}", file=sys.stderr))
from mel.cli.app import main
sys.argv = ["mel", *sys.argv[1:]]
main()
"""
)


class TreeMemory:
    """The peak of the summed PSS (Linux' proportional set size: a shared page counts once in
    all) of a process and its descendants, sampled every 0.25 s in a thread."""

    def __init__(self, on: bool) -> None:
        import threading

        self.on = on
        self.peak_mb = float("nan")
        self._root: int | None = None
        self._stop = threading.Event()
        self._thread = threading.Thread(target=self._run, daemon=True)

    def __enter__(self) -> TreeMemory:
        if self.on:
            self._thread.start()
        return self

    def __exit__(self, *exc) -> None:
        self._stop.set()
        if self.on:
            self._thread.join()

    def watch(self, pid: int) -> None:
        self._root = pid

    def _run(self) -> None:
        while not self._stop.wait(0.25):
            if self._root is None:
                continue
            total = sum(_pss_kb(pid) for pid in _tree(self._root)) / 1024
            if total and not total <= self.peak_mb:  # (NaN at first)
                self.peak_mb = total


def _tree(root: int) -> list[int]:
    out, todo = [], [root]
    while todo:
        pid = todo.pop()
        out.append(pid)
        try:
            for task in Path(f"/proc/{pid}/task").iterdir():
                todo += [int(c) for c in (task / "children").read_text().split()]
        except OSError:
            continue
    return out


def _pss_kb(pid: int) -> int:
    try:
        for line in Path(f"/proc/{pid}/smaps_rollup").read_text().splitlines():
            if line.startswith("Pss:"):
                return int(line.split()[1])
    except (OSError, ValueError):
        pass
    return 0


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    ap.add_argument("--cases", type=int, default=1_000_000)
    ap.add_argument("--countries", default="SDN,TZA,NGA,ETH,KEN")
    ap.add_argument("--period", default="FY2025-Q4")
    ap.add_argument(
        "--tree-memory",
        action="store_true",
        help="also sample the memory of mel report with its child processes (reading their "
        "page tables slows the run: its time is then not the one to quote)",
    )
    args = ap.parse_args()
    gen = load_generator()
    with tempfile.TemporaryDirectory() as tmp:
        project = Path(tmp) / "big"
        t0 = time.perf_counter()
        data = gen.generate(project, cases=args.cases, countries=args.countries.split(","))
        gen_s = time.perf_counter() - t0
        rows = sum(len(d) for d in data.values())
        del data
        out = Path(tmp) / "report"
        cmd = [
            sys.executable,
            "-c",
            CHILD,
            "report",
            str(project),
            "--period",
            args.period,
            "-o",
            str(out),
            "--as-of",
            "2026-01-15",
        ]
        t0 = time.perf_counter()
        with TreeMemory(args.tree_memory) as tree:
            proc = subprocess.Popen(cmd, stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True)
            tree.watch(proc.pid)
            stdout, stderr = proc.communicate()
        proc = subprocess.CompletedProcess(cmd, proc.returncode, stdout, stderr)
        report_s = time.perf_counter() - t0
        if proc.returncode != 0:
            print(proc.stdout, proc.stderr, file=sys.stderr)
            raise SystemExit(f"mel report failed with exit code {proc.returncode}")
        peak = next(
            (float(ln.split()[1]) for ln in proc.stderr.splitlines() if ln.startswith("PEAK_MB")),
            float("nan"),
        )
        sizes = sum(p.stat().st_size for p in out.rglob("*") if p.is_file())
        n_files = sum(1 for p in out.rglob("*") if p.is_file())
    print(
        f"input: {args.cases:,} cases, {rows:,} rows in all datasets, "
        f"{len(args.countries.split(','))} countries (generated in {gen_s:.1f} s)"
    )
    print(f"mel report --period {args.period}: {report_s:.1f} s wall, peak memory {peak:,.0f} MB")
    if args.tree_memory:
        print(
            f"mel report with the processes it starts (the engine's forked share, the chart "
            f"workers, the disclosure check's helper): {tree.peak_mb:,.0f} MB at most together "
            f"(the sum of their proportional set sizes, PSS, every 0.25 s: a page two of them "
            f"share counts half in each)"
        )
    print(f"output: {n_files} files, {sizes / 1e6:.1f} MB")
    print(
        f"aims (issue 19): under 30 s ({'met' if report_s < 30 else 'NOT met'}), "
        f"under 1,200 MB ({'met' if peak < 1200 else 'NOT met'})"
    )


if __name__ == "__main__":
    main()
