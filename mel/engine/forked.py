"""A share of the engine's work done in a forked copy of this process, on a second core.

The indicators are independent of one another: each one's cells are computed from the
records alone. So where the machine has a second core and processes can be forked, a share
of the indicators is computed in a child forked from this process (which holds the validated
records already: nothing is sent to it, and the memory pages it only reads stay shared), while
this process computes the rest. The child sends back its indicators' cells and counts,
pickled through a pipe, and ends.

Where the child fails in any way (it cannot be forked, it raises an error, it is killed), its
share is computed here again, so that an error is raised here as it would be without it. The
child ignores Ctrl-C (this process handles it) and ends with this process however this one
ends.
"""

from __future__ import annotations

import contextlib
import os
import pickle
from collections.abc import Callable
from typing import Any

from mel.engine.helper import _cores, die_with_parent

# seconds a child may take beyond three times the parent's own share before it is taken for
# stuck, stopped, and its share computed by the parent
PATIENCE = 60.0


def can_fork() -> bool:
    """Whether a share of the work can go to a forked child here: a second core, and fork."""
    return hasattr(os, "fork") and _cores() >= 2


class Forked:
    """``work()`` run in a forked child from the start; :meth:`result` gives its answer, or
    raises :class:`ChildFailed` where the child could not give one."""

    def __init__(self, work: Callable[[], Any]) -> None:
        parent = os.getpid()
        read, write = os.pipe()
        try:
            pid = os.fork()
        except OSError:
            os.close(read)
            os.close(write)
            raise ChildFailed("no fork") from None
        if pid == 0:  # the child: its answer down the pipe, then gone (no atexit, no flush)
            _child(work, parent, read, write)
        os.close(write)
        self.pid, self._read = pid, read
        self._done = False

    def result(self, timeout: float | None = None) -> Any:
        """The child's answer, waiting for it at most ``timeout`` seconds (then the child is
        stopped, and :class:`ChildFailed` raised)."""
        import select
        import time

        deadline = None if timeout is None else time.monotonic() + timeout
        chunks = []
        while True:
            left = None if deadline is None else max(0.0, deadline - time.monotonic())
            ready, _, _ = select.select([self._read], [], [], left)
            if not ready:  # (stuck: it never takes this long)
                self.close()
                raise ChildFailed("no answer in time")
            chunk = os.read(self._read, 1 << 20)
            if not chunk:
                break
            chunks.append(chunk)
        os.close(self._read)
        self._reap()
        data = b"".join(chunks)
        try:
            status, value = pickle.loads(data)  # noqa: S301  # (from our own child)
        except Exception:  # (the child ended before it wrote its answer)
            raise ChildFailed("no answer") from None
        if status != "ok":
            raise ChildFailed(value)
        return value

    def close(self) -> None:
        """Stop the child if it is still at work (this process is ending or interrupted)."""
        if not self._done:
            import signal

            with contextlib.suppress(ProcessLookupError):
                os.kill(self.pid, signal.SIGKILL)
            with contextlib.suppress(OSError):
                os.close(self._read)
            self._reap()

    def _reap(self) -> None:
        if not self._done:
            self._done = True
            with contextlib.suppress(ChildProcessError):
                os.waitpid(self.pid, 0)


def _child(work: Callable[[], Any], parent: int, read: int, write: int) -> None:
    import signal

    code = 0
    try:
        os.close(read)
        signal.signal(signal.SIGINT, signal.SIG_IGN)  # (this process's parent handles it)
        die_with_parent(parent)
        _quiet()
        try:
            answer: tuple = ("ok", work())
        except BaseException as e:  # (the parent computes it again)
            answer = ("error", f"{type(e).__name__}: {e}")
        data = pickle.dumps(answer, protocol=pickle.HIGHEST_PROTOCOL)
        with os.fdopen(write, "wb") as out:
            out.write(data)
    except BaseException:  # (no answer: the parent computes it again)
        code = 1
    finally:
        os._exit(code)


def _quiet() -> None:
    """The child writes nothing: its standard output and error go nowhere, through new file
    objects (a lock of the old ones may have been held by another thread of the parent when
    it forked, a console's spinner, and would never be released here), and warnings are
    ignored (the parent gives its own)."""
    import sys
    import warnings

    null = os.open(os.devnull, os.O_WRONLY)
    os.dup2(null, 1)
    os.dup2(null, 2)
    os.close(null)
    sys.stdout = open(os.devnull, "w")  # noqa: SIM115  # (for the child's life)
    sys.stderr = open(os.devnull, "w")  # noqa: SIM115
    warnings.simplefilter("ignore")


class ChildFailed(Exception):
    """The child gave no answer (its share is then computed here)."""
