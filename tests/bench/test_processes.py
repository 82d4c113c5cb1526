"""The benchmark's CPU accounting: a process's exited children still count (gunicorn replaces its workers)."""

from __future__ import annotations

import os
import subprocess
import sys

from bench.processes import reaped_children_cpu


def test_the_cpu_of_children_that_exited_is_counted_for_their_parent():
    # given
    before = reaped_children_cpu(os.getpid())
    # when: a child burns some CPU, exits and is waited for (as gunicorn's master waits for a replaced worker)
    subprocess.run([sys.executable, "-c", "import time\nend = time.process_time() + 0.3\n"
                    "while time.process_time() < end: pass"], check=True)
    # then
    assert reaped_children_cpu(os.getpid()) - before >= 0.25
