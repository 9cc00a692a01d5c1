"""worker/build/child.py: a full build's Pelican run happens in a forked child, whose
result, exception or death reaches the parent (the build then fails, never hangs)."""

from __future__ import annotations

import os
import signal

import pytest

from worker.build.child import ChildDied, run_in_child


def test_the_result_comes_from_another_process() -> None:
    assert run_in_child(os.getpid) != os.getpid()
    assert run_in_child(lambda: (["line"], 2, False)) == (["line"], 2, False)


def test_the_childs_exception_is_raised_in_the_parent() -> None:
    def fails() -> None:
        raise ValueError("broken post")

    with pytest.raises(ValueError, match="broken post"):
        run_in_child(fails)


def test_a_killed_child_is_a_failure_not_a_hang() -> None:
    def killed() -> None:
        os.kill(os.getpid(), signal.SIGKILL)

    with pytest.raises(ChildDied, match="SIGKILL"):
        run_in_child(killed)
