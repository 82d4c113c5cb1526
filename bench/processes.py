"""The processes a benchmark run starts, and what it reads about them (readiness, resident memory).

Every process is started in a session of its own (so Ctrl-C reaches only the benchmark, which then
stops them in order) and is stopped by its own pid when the run ends, however it ends.
"""

from __future__ import annotations

import os
import signal
import subprocess
import sys
import time
from collections.abc import Callable
from pathlib import Path
from typing import IO, TypeVar

import requests

ROOT = Path(__file__).resolve().parent.parent
PYTHON = sys.executable
STOP_TIMEOUT = 15.0
T = TypeVar("T")


class ProcessFailedError(RuntimeError):
    """A benchmark process exited on its own, or never became ready."""


class WaitTimeoutError(ProcessFailedError):
    """What a benchmark waited for did not happen in time."""


class ProcessGroup:
    """Start named processes with one environment and stop every one of them on `close()`.

    Output goes to `<log_dir>/<name>.log`; the tail is quoted when a process fails.
    """

    def __init__(self, *, env: dict[str, str], log_dir: Path) -> None:
        self.env = env
        self.log_dir = log_dir
        self.log_dir.mkdir(parents=True, exist_ok=True)
        self._running: dict[str, tuple[subprocess.Popen, IO[bytes]]] = {}

    def start(self, name: str, argv: list[str]) -> subprocess.Popen:
        """Start `argv` in the project root. Raises ValueError if `name` is already running."""
        if name in self._running:
            raise ValueError(f"{name} is already running")
        log = (self.log_dir / f"{name}.log").open("ab")
        process = subprocess.Popen(  # noqa: S603 - our own interpreter and tools, no shell
            argv, cwd=ROOT, env=self.env, stdout=log, stderr=subprocess.STDOUT, stdin=subprocess.DEVNULL,
            start_new_session=True,
        )
        self._running[name] = (process, log)
        return process

    def running(self, name: str) -> bool:
        """Whether `name` was started and not stopped (it may have exited on its own: see `check`)."""
        return name in self._running

    def pid(self, name: str) -> int:
        return self._running[name][0].pid

    def check(self, name: str) -> None:
        """Raise ProcessFailedError, with the log's tail, if `name` has exited."""
        process = self._running[name][0]
        if process.poll() is not None:
            raise ProcessFailedError(f"{name} exited with {process.returncode}:\n{self.log_tail(name)}")

    def log_tail(self, name: str, lines: int = 25) -> str:
        path = self.log_dir / f"{name}.log"
        text = path.read_text(encoding="utf-8", errors="replace") if path.exists() else ""
        return "\n".join(text.splitlines()[-lines:])

    def stop(self, name: str, *, sig: int = signal.SIGTERM) -> None:
        """Stop one process: `sig`, then SIGKILL after STOP_TIMEOUT. Does nothing if it is not running."""
        entry = self._running.pop(name, None)
        if entry is None:
            return
        process, log = entry
        try:
            if process.poll() is None:
                process.send_signal(sig)
                try:
                    process.wait(timeout=STOP_TIMEOUT)
                except subprocess.TimeoutExpired:
                    process.kill()
                    process.wait(timeout=STOP_TIMEOUT)
        finally:
            log.close()

    def close(self) -> None:
        """Stop every process still running, the newest first."""
        for name in reversed(list(self._running)):
            self.stop(name)


def gunicorn_argv(*, port: int, workers: int, threads: int) -> list[str]:
    """The Procfile's web process (`gunicorn hub.wsgi`, access log on), on a port of the benchmark's.

    Through bench/serve.py, as the worker and beat are: see why there.
    """
    return [PYTHON, "-m", "bench.serve", "web", "hub.wsgi", "--bind", f"127.0.0.1:{port}", "--workers", str(workers),
            "--threads", str(threads), "--access-logfile", "-", "--graceful-timeout", "10",
            # gunicorn's control socket is one path per user: do not take it from another gunicorn.
            "--no-control-socket"]


def celery_worker_argv(*, pool: str = "threads", concurrency: int = 32, host: str = "bench") -> list[str]:
    """ONE worker process, as production runs it: `celery -A hub worker --pool threads --concurrency 32`.

    `host` names the worker (`<host>@<machine>`), as each host of a deployment names its own.
    """
    return [PYTHON, "-m", "bench.serve", "tasks", "-A", "hub", "worker", "--pool", pool, "--concurrency",
            str(concurrency), "--loglevel", "WARNING", "--without-mingle", "--without-gossip", "--hostname",
            f"{host}@%h"]


def celery_beat_argv() -> list[str]:
    return [PYTHON, "-m", "bench.serve", "tasks", "-A", "hub", "beat", "--loglevel", "WARNING"]


def wait_until(condition: Callable[[], T], *, timeout: float, what: str, interval: float = 0.05,
               alive: Callable[[], None] | None = None) -> T:
    """Poll `condition` until it is truthy and return its value. Raises WaitTimeoutError on time-out.

    `alive` is called on every round, so a process that died ends the wait at once.
    """
    deadline = time.monotonic() + timeout
    while True:
        value = condition()
        if value:
            return value
        if alive is not None:
            alive()
        if time.monotonic() > deadline:
            raise WaitTimeoutError(f"timed out after {timeout:.0f} s waiting for {what}")
        time.sleep(interval)


def http_ok(url: str) -> bool:
    """Whether `url` answers 200 (connection errors are "not yet")."""
    try:
        return requests.get(url, timeout=5).status_code == 200
    except requests.RequestException:
        return False


def rss_mb(pid: int) -> float:
    """Resident memory of `pid` in MB (VmRSS from /proc), 0.0 if the process is gone."""
    try:
        for line in Path(f"/proc/{pid}/status").read_text().splitlines():
            if line.startswith("VmRSS:"):
                return int(line.split()[1]) / 1024
    except OSError:
        return 0.0
    return 0.0


def child_pids(pid: int) -> list[int]:
    """The direct children of `pid` (from /proc/*/stat), e.g. gunicorn's workers."""
    children = []
    for entry in Path("/proc").iterdir():
        if not entry.name.isdigit():
            continue
        try:
            stat = (entry / "stat").read_text()
        except OSError:
            continue
        # The command name may hold spaces and parentheses: fields start after the last ")".
        fields = stat.rsplit(")", 1)[1].split()
        if int(fields[1]) == pid:
            children.append(int(entry.name))
    return sorted(children)


def cpu_seconds(pids: list[int]) -> float:
    """CPU time (user + system, from /proc) the live processes `pids` have used so far; gone ones count 0."""
    hz = os.sysconf("SC_CLK_TCK")
    total = 0
    for pid in pids:
        try:
            fields = Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()
        except OSError:
            continue
        total += int(fields[11]) + int(fields[12])
    return total / hz


def reaped_children_cpu(pid: int) -> float:
    """CPU time (user + system) of the children of `pid` that have exited and been waited for.

    gunicorn replaces a worker after WEB_MAX_REQUESTS: the old one's CPU leaves the live children's
    sum and lands here, in its master's `cutime` and `cstime`.
    """
    try:
        fields = Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()
    except OSError:
        return 0.0
    return (int(fields[13]) + int(fields[14])) / os.sysconf("SC_CLK_TCK")


def postgres_backends(database: str) -> list[int]:
    """Pids of the PostgreSQL backends connected to `database`.

    Their title names it: "postgres: [cluster:] user database host(port) state".
    """
    pids = []
    for entry in Path("/proc").iterdir():
        if not entry.name.isdigit():
            continue
        try:
            title = (entry / "cmdline").read_bytes().replace(b"\0", b" ").decode(errors="replace").split()
        except OSError:
            continue
        if title[:1] == ["postgres:"] and database in title[1:4]:
            pids.append(int(entry.name))
    return pids


def loadavg() -> list[float]:
    """The machine's load average over 1, 5 and 15 minutes."""
    return [round(v, 2) for v in os.getloadavg()]


def install_sigterm_handler() -> None:
    """Turn SIGTERM into KeyboardInterrupt, so `finally` blocks stop the processes on `kill` too."""

    def handler(signum: int, frame: object) -> None:
        raise KeyboardInterrupt

    signal.signal(signal.SIGTERM, handler)


def process_cpu_seconds() -> float:
    """CPU time (user + system) this process has used so far."""
    times = os.times()
    return times.user + times.system


class CpuMeter:
    """Where the machine's CPU went between `start()` and `stop()`, in % of one core.

    "hub" is every process this run started (web, worker, beat, fake partner), "loadgen" this
    process, "database+broker" the postgres and redis-server processes, and "other" the rest of
    the machine: other people's work that makes the figures noisy. Each group's CPU includes that
    of its children that exited (cutime), so short-lived PostgreSQL backends are counted too.
    """

    def __init__(self) -> None:
        self._start: dict[str, int] = {}
        self._began = 0.0

    @staticmethod
    def _snapshot() -> dict[str, int]:
        ticks = [int(v) for v in Path("/proc/stat").read_text().splitlines()[0].split()[1:]]
        totals = {"busy": sum(ticks[:8]) - ticks[3] - ticks[4], "hub": 0, "loadgen": 0, "database+broker": 0}
        parents: dict[int, int] = {}
        used: dict[int, tuple[str, list[int]]] = {}
        for entry in Path("/proc").iterdir():
            if not entry.name.isdigit():
                continue
            try:
                stat = (entry / "stat").read_text()
            except OSError:
                continue
            name, _, rest = stat.partition(" (")[2].rpartition(")")
            fields = rest.split()
            parents[int(entry.name)] = int(fields[1])
            used[int(entry.name)] = (name, [int(v) for v in fields[11:15]])  # utime stime cutime cstime
        me = os.getpid()
        for pid, (name, (utime, stime, cutime, cstime)) in used.items():
            ancestor = parents.get(pid, 0)
            while ancestor not in (0, 1, me):
                ancestor = parents.get(ancestor, 0)
            if pid == me:
                totals["loadgen"] += utime + stime
                totals["hub"] += cutime + cstime  # our children that have exited
            elif ancestor == me:
                totals["hub"] += utime + stime + cutime + cstime
            elif name.startswith(("postgres", "redis-server")):
                totals["database+broker"] += utime + stime + cutime + cstime
        return totals

    def start(self) -> None:
        self._start, self._began = self._snapshot(), time.monotonic()

    def stop(self) -> dict[str, int]:
        end, seconds = self._snapshot(), max(time.monotonic() - self._began, 1e-6)
        hz = os.sysconf("SC_CLK_TCK")
        share = {k: round(100 * (end[k] - self._start[k]) / hz / seconds) for k in end}
        share["other"] = max(0, share.pop("busy") - share["hub"] - share["loadgen"] - share["database+broker"])
        return share
