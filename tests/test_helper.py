"""The disclosure audit's helper process (mel.engine.helper): the audit gives the same answers
whether a second process solves part of its linear programs or not, and a helper that breaks
costs time, never an answer. Issue 19."""

from __future__ import annotations

import datetime as dt
import math
import random
import subprocess
import sys
from pathlib import Path

import pandas as pd
import pytest

from mel.definitions.project import load_project
from mel.engine import disclosure, helper, pipeline
from tests.conftest import REPO, example_with

AS_OF = dt.date(2026, 1, 15)


def test_the_two_shares_are_about_equal_and_hold_every_job_once():
    rng = random.Random(7)  # noqa: S311  # (test data, not a secret)
    for _ in range(200):
        costs = [
            rng.choice([0, 1, 3, 50, 400, 90_000]) * rng.random() for _ in range(rng.randint(0, 30))
        ]
        mine, theirs = helper.split(costs)
        assert sorted(mine + theirs) == list(range(len(costs)))
        load = [sum(costs[i] for i in mine), sum(costs[i] for i in theirs)]
        # greatest first, each to the lighter share: apart by at most the greatest job
        assert abs(load[0] - load[1]) <= max(costs, default=0) + 1e-9


@pytest.fixture(scope="module")
def project(tmp_path_factory):
    # the indicators where the example's small counts, ratios and identities meet (as in
    # test_disclosure): the audit's components there are large enough to share
    dest = tmp_path_factory.mktemp("helper") / "project"
    return example_with(dest, "[PROT-01, PROT-02, PROT-03, PROT-04, PROS-01, PROS-06, PREV-11]")


def _donor_table(bundle, monkeypatch, *, share: bool) -> tuple[pd.DataFrame, int]:
    sent: list[int] = []
    exit_ = helper.Helper.__exit__

    def noted_exit(self, *exc):
        sent.append(self.jobs_sent)
        return exit_(self, *exc)

    with monkeypatch.context() as m:
        m.setattr(helper.Helper, "__exit__", noted_exit)
        if share:  # every two jobs are shared, from the first
            m.setattr(helper, "MIN_WORK", 0)
            m.setattr(helper, "_cores", lambda: 2)
            m.setattr(disclosure, "HELPER_FROM", 0)
        else:
            m.setattr(helper, "_cores", lambda: 1)
        run = pipeline.run(bundle, up_to="FY2025-Q4", as_of=AS_OF, published=[])
    return run.table, sum(sent)


def test_the_audit_gives_the_same_table_with_the_helper_as_without(project, monkeypatch):
    bundle = load_project(project)
    alone, none_sent = _donor_table(bundle, monkeypatch, share=False)
    shared, sent = _donor_table(bundle, monkeypatch, share=True)
    assert none_sent == 0 and sent > 0  # the helper solved some of the programs
    pd.testing.assert_frame_equal(shared, alone, check_exact=True)
    assert alone["suppressed"].any() and (alone["flag"] == "protected").any()


def test_a_helper_that_stops_costs_time_not_answers():
    with helper.Helper(min_work=0, enabled=True) as h:
        assert h.map(math.sqrt, [4.0, 9.0, 16.0], [1, 1, 1]) == [2.0, 3.0, 4.0]
        assert h.jobs_sent > 0
        h._process.proc.kill()  # type: ignore[union-attr]  # (started by the map above)
        h._process.proc.wait()  # type: ignore[union-attr]
        assert h.map(math.sqrt, [25.0, 36.0], [1, 1]) == [5.0, 6.0]
        assert not h.enabled  # the rest is solved here


def test_an_error_in_the_helper_is_raised_here_as_without_it():
    # costs [1, 5]: the greater job here, the other (sqrt of -1) in the helper, where it fails;
    # its share is solved here again, so the error is the job's own, raised here
    with helper.Helper(min_work=0, enabled=True) as h:
        with pytest.raises(ValueError, match="math domain error"):
            h.map(math.sqrt, [-1.0, 4.0], [1, 5])
        assert h.jobs_sent == 0 and h.enabled  # nothing came back; the helper is still there
        assert h.map(math.sqrt, [9.0, 4.0], [1, 5]) == [3.0, 2.0]
        assert h.jobs_sent == 1


def test_the_helper_does_not_run_the_callers_script_again(tmp_path):
    script = tmp_path / "officer.py"  # a script with no main guard, as a user may write
    script.write_text(
        "import math\n"
        "from mel.engine.helper import Helper\n"
        "print('started')\n"
        "with Helper(min_work=0, enabled=True) as h:\n"
        "    print(h.map(math.sqrt, [4.0, 9.0, 16.0, 25.0], [1, 1, 1, 1]), h.jobs_sent)\n"
    )
    done = subprocess.run([sys.executable, str(script)], capture_output=True, text=True, cwd=REPO)
    assert done.returncode == 0, done.stderr
    assert done.stdout.splitlines() == ["started", "[2.0, 3.0, 4.0, 5.0] 2"]


def test_the_helper_ends_with_the_process_that_started_it(tmp_path):
    """A killed `mel report` leaves no helper behind (it would otherwise wait on its input)."""
    import os
    import signal
    import time

    script = tmp_path / "killed.py"
    script.write_text(
        "import time\n"
        "from mel.engine.helper import Helper\n"
        "h = Helper(min_work=0, enabled=True)\n"
        "h.start()\n"
        "print(h._process.proc.pid, flush=True)\n"
        "time.sleep(60)\n"
    )
    run = subprocess.Popen(
        [sys.executable, str(script)], stdout=subprocess.PIPE, text=True, cwd=REPO
    )
    child = int(run.stdout.readline())  # type: ignore[union-attr]  # (a pipe)
    assert os.path.exists(f"/proc/{child}")
    run.send_signal(signal.SIGKILL)
    run.wait(timeout=10)
    deadline = time.monotonic() + 10
    while time.monotonic() < deadline:
        try:
            state = (Path(f"/proc/{child}") / "stat").read_text().split()[2]
        except OSError:
            break  # gone
        if state == "Z":  # ended, not yet reaped by its (dead) parent's reaper
            break
        time.sleep(0.1)
    else:
        raise AssertionError(f"the helper {child} outlived its parent")
