"""Optional profiles (`--profile`): py-spy attached to the web workers during ingest and to the Celery
worker during dispatch, summarised as the functions that take the most CPU samples.

The raw collapsed stacks stay in var/<name>-profiles/ (open them with any flamegraph tool).
"""

from __future__ import annotations

import re
import shutil
import signal
import sys
from collections import Counter
from pathlib import Path
from typing import Any

from bench.processes import ProcessGroup

FRAME_LINE = re.compile(r":\d+\)$")
PROJECT_FRAME = re.compile(r"\((hub|orders|integrations)/")
TOP = 25


def py_spy() -> str | None:
    """The py-spy executable (requirements-dev.txt installs it), or None."""
    local = Path(sys.executable).parent / "py-spy"
    return str(local) if local.exists() else shutil.which("py-spy")


class Profiler:
    """Start and stop py-spy recordings by name; each ends in a summary dict."""

    def __init__(self, *, group: ProcessGroup, out_dir: Path, rate: int = 200, gil: bool = False) -> None:
        self.group, self.out_dir, self.rate, self.gil = group, out_dir, rate, gil
        self.out_dir.mkdir(parents=True, exist_ok=True)
        self.executable = py_spy()

    def start(self, name: str, pid: int, *, subprocesses: bool = False) -> bool:
        """Attach to `pid` (and its children); False when py-spy is not installed."""
        if self.executable is None:
            return False
        argv = [self.executable, "record", "--pid", str(pid), "--format", "raw", "--output",
                str(self.out_dir / f"{name}.txt"), "--rate", str(self.rate), "--nonblocking"]
        argv += ["--subprocesses"] if subprocesses else []
        # --gil: only the thread holding the GIL (where the CPU goes); else every thread not idle
        # (waits on locks and the database show up too).
        self.group.start(f"py-spy-{name}", argv + (["--gil"] if self.gil else []))
        return True

    def stop(self, name: str) -> dict[str, Any]:
        """Stop the recording (py-spy writes its file on SIGINT) and summarise it."""
        self.group.stop(f"py-spy-{name}", sig=signal.SIGINT)
        path = self.out_dir / f"{name}.txt"
        return summarize(path) if path.exists() else {"error": self.group.log_tail(f"py-spy-{name}")}


def _frames(stack: str) -> list[str]:
    # "func (path/file.py:123)" -> "func (path/file.py)": lines of one function are added up.
    return [FRAME_LINE.sub(")", frame) for frame in stack.split(";") if not frame.startswith(("process ", "thread "))]


def summarize(path: Path, top: int = TOP) -> dict[str, Any]:
    """Samples in which each function is on the stack (inclusive) and on top (self), as percentages."""
    inclusive: Counter[str] = Counter()
    own: Counter[str] = Counter()
    total = 0
    for line in path.read_text(encoding="utf-8", errors="replace").splitlines():
        stack, _, count = line.rpartition(" ")
        if not stack or not count.isdigit():
            continue
        frames, samples = _frames(stack), int(count)
        total += samples
        for frame in set(frames):
            inclusive[frame] += samples
        if frames:
            own[frames[-1]] += samples

    def share(counter: Counter[str]) -> list[list[Any]]:
        return [[frame, round(100 * n / total, 1)] for frame, n in counter.most_common(top)] if total else []

    project = Counter({frame: n for frame, n in inclusive.items() if PROJECT_FRAME.search(frame)})
    return {"file": str(path), "samples": total, "inclusive": share(inclusive), "project": share(project),
            "self": share(own)}
