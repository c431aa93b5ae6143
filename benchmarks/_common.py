"""What the benchmarks share: the example generator, and the peak memory of a process."""

from __future__ import annotations

import importlib.util
from pathlib import Path

REPO = Path(__file__).resolve().parents[1]

# Read from VmHWM, which starts afresh at exec; getrusage's ru_maxrss would carry a forking
# parent's peak into a child process.
PEAK_SOURCE = """
def peak_mb():
    with open("/proc/self/status") as fh:
        for line in fh:
            if line.startswith("VmHWM:"):
                return int(line.split()[1]) / 1024
    return float("nan")
"""
exec(PEAK_SOURCE)  # defines peak_mb here too  # noqa: S102


def load_generator():
    """examples/generate.py as a module."""
    spec = importlib.util.spec_from_file_location("generate", REPO / "examples" / "generate.py")
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module


def rss_mb() -> float:
    with open("/proc/self/status") as fh:
        for line in fh:
            if line.startswith("VmRSS:"):
                return int(line.split()[1]) / 1024
    return float("nan")


def reset_peak() -> bool:
    """Restart the peak-RSS mark (Linux: writing 5 to /proc/self/clear_refs)."""
    try:
        with open("/proc/self/clear_refs", "w") as fh:
            fh.write("5")
    except OSError:
        return False
    return True
