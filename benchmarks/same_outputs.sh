#!/usr/bin/env bash
# The sha256 of every output the bundled example gives, so that two commits can be compared
# file by file (a refactoring must not change a byte; a speed-up must say what it changed):
#
#     benchmarks/same_outputs.sh > before.sha      # on the old commit
#     benchmarks/same_outputs.sh > after.sha       # on the new one
#     diff before.sha after.sha
#
# Writes: the donor report FY2025-Q4 and an internal French FY2025-Q2 report (--as-of pinned),
# mel compute donor and internal (--period FY2025), mel explain of one cell, mel validate of the
# messy example and its feedback workbook; the donor report of the example programme generated
# with 30 cases in 2 countries (where the disclosure check hides the most). Uses .venv/bin/mel
# and .venv/bin/python of the repository it is run from.
set -euo pipefail
cd "$(dirname "$0")/.."
MEL=${MEL:-$PWD/.venv/bin/mel}
PY=${PY:-$PWD/.venv/bin/python}
REPO=$PWD
OUT=$(mktemp -d)
trap 'rm -rf "$OUT"' EXIT
{
  $MEL report examples/counter-trafficking --period FY2025-Q4 --as-of 2026-01-15 -o "$OUT/report"
  $MEL report examples/counter-trafficking --period FY2025-Q2 --as-of 2026-01-15 --internal \
    --lang fr -o "$OUT/report_fr"
  $MEL compute examples/counter-trafficking -o "$OUT/compute.csv"
  $MEL compute examples/counter-trafficking -o "$OUT/compute_int.csv" --internal --period FY2025
  $MEL explain examples/counter-trafficking PROT-01 --country SDN --period FY2025-Q3 \
    > "$OUT/explain.txt" 2>&1 || true
  $MEL validate examples/counter-trafficking-messy > "$OUT/validate_messy.txt" 2>&1 || true
  $MEL validate examples/counter-trafficking-messy --report "$OUT/feedback.xlsx" || true
  # (run inside $OUT, so that the report's manifest names the same relative paths every time)
  (cd "$OUT" && $PY "$REPO/examples/generate.py" --out small-project --cases 30 \
    --countries SDN,TZA --no-messy && $MEL report small-project --period FY2025-Q4 \
    --as-of 2026-01-15 -o small && rm -rf small-project)
} > /dev/null 2>&1
cd "$OUT" && find . -type f | sort | xargs sha256sum
