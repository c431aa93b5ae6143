"""A second process for the disclosure audit's linear programs, where the machine has a second
core: independent programs (one component's intervals, one component's binding equations) are
shared between this process and the helper, each side solving its own share whole.

The helper is a new Python process (``python -c``, never a fork of this one: HiGHS keeps
threads, and a fork keeps none of them; and not multiprocessing's, which would import the
caller's main script again) that reads jobs from its standard input and writes answers back,
pickled. What is sent is plain data (numpy arrays and lists), and the functions sent are in
:mod:`mel.engine.bounds`, which imports numpy and HiGHS only, so it starts in a fraction of a
second. A program's answer does not depend on the process that solves it: each job loads its
model into a cleared solver and solves its programs in its own order, as it would here. Where
the helper cannot start or breaks, the jobs are solved here; where a job raises an error there,
its share is solved here again, so that the error is raised here.
"""

from __future__ import annotations

import contextlib
import os
import sys
from collections.abc import Callable, Sequence
from typing import Any

# below this much work (members x programs, summed over the jobs) the helper's start-up and
# messages cost more than it saves
MIN_WORK = 40_000


def _cores() -> int:
    try:
        return len(os.sched_getaffinity(0))
    except AttributeError:  # (not on every platform)
        return os.cpu_count() or 1


def run_all(fn: Callable[[Any], Any], jobs: list) -> list:
    """The helper's side: each job in turn."""
    return [fn(job) for job in jobs]


def split(costs: Sequence[float], start: float = 0.0) -> tuple[list[int], list[int]]:
    """Two shares of about the same cost, greatest jobs first (each to the lighter share); this
    process takes the first, with ``start`` of work already its own."""
    mine: list[int] = []
    theirs: list[int] = []
    load = [start, 0.0]
    for i in sorted(range(len(costs)), key=lambda i: (-costs[i], i)):
        side = 0 if load[0] <= load[1] else 1
        (mine if side == 0 else theirs).append(i)
        load[side] += costs[i]
    return sorted(mine), sorted(theirs)


def serve(parent: int) -> None:
    """The helper's loop: (function, jobs) in, ("ok", answers) or ("error", text) out, until
    its input ends. It ends with ``parent`` however that one ends, and leaves a Ctrl-C to it;
    anything else written to its standard output (a solver's banner) goes nowhere."""
    import pickle
    import signal

    die_with_parent(parent)
    signal.signal(signal.SIGINT, signal.SIG_IGN)  # (the parent stops it, by closing its input)
    answers_to = os.fdopen(os.dup(1), "wb")
    null = os.open(os.devnull, os.O_WRONLY)
    os.dup2(null, 1)
    jobs_from = sys.stdin.buffer
    while True:
        try:
            fn, jobs = pickle.load(jobs_from)  # noqa: S301  # (from the process that started it)
        except (EOFError, OSError):
            return
        try:
            answer: tuple = ("ok", run_all(fn, jobs))
        except Exception as e:  # (sent back, raised there)
            answer = ("error", f"{type(e).__name__}: {e}")
        try:
            pickle.dump(answer, answers_to, protocol=pickle.HIGHEST_PROTOCOL)
            answers_to.flush()
        except OSError:  # the parent is gone
            return


def die_with_parent(parent: int) -> None:
    """In a worker process: end with the process that started it, however that one ends (a
    killed `mel report` must not leave a worker at work for half an hour)."""
    import ctypes
    import signal

    try:
        libc = ctypes.CDLL(None, use_errno=True)
        libc.prctl(1, signal.SIGKILL)  # PR_SET_PDEATHSIG (Linux)
    except (OSError, AttributeError):  # pragma: no cover - not Linux
        pass
    if os.getppid() != parent:  # the parent died before the line above
        os._exit(1)


class HelperFailed(Exception):
    """The helper stopped or could not be reached."""


class HelperError(Exception):
    """A job raised an error in the helper (its share is then solved here, so that the error
    is raised here as it would be without the helper, traceback and all)."""


class _Process:
    def __init__(self) -> None:
        import subprocess

        import mel

        root = os.path.dirname(os.path.dirname(os.path.abspath(mel.__file__)))
        env = dict(os.environ)
        env["PYTHONPATH"] = os.pathsep.join(p for p in (root, env.get("PYTHONPATH")) if p)
        self.proc = subprocess.Popen(  # noqa: S603  # (this Python, a fixed command, our own pid)
            [sys.executable, "-c", f"from mel.engine.helper import serve; serve({os.getpid()})"],
            stdin=subprocess.PIPE,
            stdout=subprocess.PIPE,
            stderr=subprocess.DEVNULL,  # (its failures come back as answers, or as none)
            env=env,
        )
        if self.proc.stdin is None or self.proc.stdout is None:  # (never: both are PIPE)
            raise OSError("the helper's pipes were not opened")
        self.send, self.receive = self.proc.stdin, self.proc.stdout

    def submit(self, fn, jobs) -> None:
        import pickle

        try:
            pickle.dump((fn, jobs), self.send, protocol=pickle.HIGHEST_PROTOCOL)
            self.send.flush()
        except OSError as e:
            raise HelperFailed(str(e)) from e

    def result(self) -> list:
        import pickle

        try:
            status, answer = pickle.load(self.receive)  # noqa: S301  # (from its own helper)
        except (EOFError, OSError, pickle.UnpicklingError) as e:
            raise HelperFailed(str(e)) from e
        if status != "ok":
            raise HelperError(answer)
        return answer

    def close(self) -> None:
        for pipe in (self.send, self.receive):
            # (a helper that stopped: what was left to send goes nowhere)
            with contextlib.suppress(OSError):
                pipe.close()
        try:
            self.proc.wait(timeout=2)  # (its input ended: it ends at once, or after its job)
        except Exception:
            self.proc.kill()
            self.proc.wait()


class Helper:
    """Use as a context manager around one audit; :meth:`map` solves jobs on both sides. With
    ``min_work`` 0 the helper is used for any two jobs (tests); ``enabled=False`` never."""

    def __init__(self, *, min_work: float | None = None, enabled: bool | None = None) -> None:
        self.min_work = MIN_WORK if min_work is None else min_work
        self.enabled = _cores() >= 2 if enabled is None else enabled
        self._process: _Process | None = None
        self.jobs_sent = 0

    def __enter__(self) -> Helper:
        return self

    def __exit__(self, *exc) -> None:
        if self._process is not None:
            self._process.close()
            self._process = None

    def start(self) -> None:
        """Start the helper now (it takes a fraction of a second, while this process works)."""
        if self.enabled and self._process is None:
            try:
                self._process = _Process()
            except OSError:
                self.enabled = False

    def map(self, fn: Callable[[Any], Any], jobs: list, costs: Sequence[float]) -> list:
        """``[fn(job) for job in jobs]``, the jobs shared between this process and the helper."""
        if not self.enabled or len(jobs) < 2 or sum(costs) < self.min_work:
            return [fn(job) for job in jobs]
        mine, theirs = split(costs)
        self.start()
        process = self._process
        if process is None:  # (it could not start: all of them here)
            return [fn(job) for job in jobs]
        try:
            process.submit(fn, [jobs[i] for i in theirs])
        except HelperFailed:  # (no helper here: all of them here)
            self.enabled = False
            return [fn(job) for job in jobs]
        out: list = [None] * len(jobs)
        for i in mine:
            out[i] = fn(jobs[i])
        try:
            answers = process.result()
        except HelperFailed:
            self.enabled = False
            answers = [fn(jobs[i]) for i in theirs]
        except HelperError:  # solved here again: its error is raised here, as without it
            answers = [fn(jobs[i]) for i in theirs]
        for i, answer in zip(theirs, answers, strict=True):
            out[i] = answer
        self.jobs_sent += len(theirs)
        return out
