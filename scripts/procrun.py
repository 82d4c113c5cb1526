"""Run the processes of a Procfile in the foreground; bring back any that dies; stop all on Ctrl-C.

`make run` uses it for the web server, the Celery worker and beat. Each process gets its own
session, so a crash of one touches no other: the web keeps answering while a dead worker is
started again (after 1 s, doubling up to 30 s while it keeps dying within a minute). Ctrl-C
(SIGINT) or SIGTERM sends SIGTERM to each process, waits for all to finish (SIGKILL after
`--stop-timeout` seconds), and exits. On Linux a process also gets SIGTERM if this runner is killed,
so nothing is left holding the port.

Output lines are prefixed with the time and the process name, as honcho and foreman do. The values
of `.env` (when present) are added to the processes' environment; the real environment wins.

    python scripts/procrun.py [--procfile Procfile] [--stop-timeout 20]
"""

from __future__ import annotations

import argparse
import contextlib
import ctypes
import os
import signal
import subprocess
import sys
import threading
import time
from dataclasses import dataclass, field
from pathlib import Path

RESTART_DELAY_FIRST = 1.0
RESTART_DELAY_MAX = 30.0
HEALTHY_AFTER = 60.0  # a process that ran this long is restarted after the first delay again
PR_SET_PDEATHSIG = 1

_print_lock = threading.Lock()


def say(name: str, line: str) -> None:
    with _print_lock:
        sys.stdout.write(f"{time.strftime('%H:%M:%S')} {name:<7}| {line.rstrip()}\n")
        sys.stdout.flush()


def procfile_read(path: Path) -> dict[str, str]:
    """`name: command` lines; blank lines and `#` comments skipped."""
    commands: dict[str, str] = {}
    for line in path.read_text().splitlines():
        if not line.strip() or line.lstrip().startswith("#"):
            continue
        name, sep, command = line.partition(":")
        if not sep or not name.strip().isidentifier():
            raise SystemExit(f"{path}: not a `name: command` line: {line!r}")
        commands[name.strip()] = command.strip()
    return commands


def dotenv_read(path: Path) -> dict[str, str]:
    """KEY=value lines of a .env file (no interpolation), quotes around a value removed."""
    values: dict[str, str] = {}
    if not path.exists():
        return values
    for line in path.read_text().splitlines():
        line = line.strip()
        if not line or line.startswith("#") or "=" not in line:
            continue
        name, _, value = line.removeprefix("export ").partition("=")
        value = value.strip()
        if len(value) >= 2 and value[0] == value[-1] and value[0] in "'\"":
            value = value[1:-1]
        values[name.strip()] = value
    return values


def _die_with_parent() -> None:
    """In the child before exec: SIGTERM when the runner goes away, however it goes."""
    if sys.platform.startswith("linux"):
        libc = ctypes.CDLL(None, use_errno=True)
        libc.prctl(PR_SET_PDEATHSIG, signal.SIGTERM)


@dataclass
class Managed:
    name: str
    command: str
    env: dict[str, str]
    process: subprocess.Popen | None = None
    started_at: float = 0.0
    restart_at: float | None = None
    delay: float = RESTART_DELAY_FIRST
    restarts: int = 0
    readers: list[threading.Thread] = field(default_factory=list)

    def start(self) -> None:
        # `exec`: the shell only expands ${VAR:-default}; signals reach the program itself.
        self.process = subprocess.Popen(  # noqa: S603
            ["/bin/sh", "-c", f"exec {self.command}"], env=self.env, stdin=subprocess.DEVNULL,
            stdout=subprocess.PIPE, stderr=subprocess.STDOUT, start_new_session=True,
            preexec_fn=_die_with_parent,  # noqa: PLW1509 - only prctl, before exec
        )
        self.started_at = time.monotonic()
        self.restart_at = None
        say(self.name, f"started with pid {self.process.pid}")
        reader = threading.Thread(target=self._pump, args=(self.process,), daemon=True)
        reader.start()
        self.readers.append(reader)

    def _pump(self, process: subprocess.Popen) -> None:
        assert process.stdout is not None
        for raw in iter(process.stdout.readline, b""):
            say(self.name, raw.decode(errors="replace"))
        process.stdout.close()

    def signal(self, signum: int) -> None:
        if self.process is not None and self.process.poll() is None:
            with contextlib.suppress(ProcessLookupError):
                os.kill(self.process.pid, signum)

    def kill_group(self) -> None:
        if self.process is not None:
            with contextlib.suppress(ProcessLookupError, PermissionError):
                os.killpg(self.process.pid, signal.SIGKILL)


class Runner:
    def __init__(self, commands: dict[str, str], env: dict[str, str], stop_timeout: float) -> None:
        self.managed = [Managed(name=name, command=command, env=env) for name, command in commands.items()]
        self.stop_timeout = stop_timeout
        self.stopping = False

    def _on_signal(self, signum: int, frame: object) -> None:  # noqa: ARG002
        if not self.stopping:
            say("system", f"{signal.Signals(signum).name} received: stopping all processes")
        self.stopping = True

    def run(self) -> int:
        signal.signal(signal.SIGINT, self._on_signal)
        signal.signal(signal.SIGTERM, self._on_signal)
        for managed in self.managed:
            managed.start()
        while not self.stopping:
            self._watch()
            time.sleep(0.2)
        return self._stop()

    def _watch(self) -> None:
        now = time.monotonic()
        for managed in self.managed:
            assert managed.process is not None
            if managed.restart_at is not None:
                if now >= managed.restart_at:
                    managed.restarts += 1
                    managed.start()
                continue
            code = managed.process.poll()
            if code is None:
                continue
            ran = now - managed.started_at
            managed.delay = RESTART_DELAY_FIRST if ran >= HEALTHY_AFTER else managed.delay
            managed.kill_group()  # children it left behind (a gunicorn or pool worker) go with it
            say("system", f"{managed.name} exited with code {code} after {ran:.0f} s; "
                          f"starting it again in {managed.delay:.0f} s")
            managed.restart_at = now + managed.delay
            managed.delay = min(managed.delay * 2, RESTART_DELAY_MAX)

    def _stop(self) -> int:
        for managed in self.managed:
            managed.signal(signal.SIGTERM)
        deadline = time.monotonic() + self.stop_timeout
        for managed in self.managed:
            if managed.process is None:
                continue
            try:
                managed.process.wait(timeout=max(deadline - time.monotonic(), 0.1))
            except subprocess.TimeoutExpired:
                say("system", f"{managed.name} did not stop in {self.stop_timeout:.0f} s: killing it")
            managed.kill_group()
            managed.process.wait()
            say("system", f"{managed.name} stopped (code {managed.process.returncode})")
        for managed in self.managed:
            for reader in managed.readers:
                reader.join(timeout=2)
        return 0


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--procfile", default="Procfile", type=Path)
    parser.add_argument("--env-file", default=".env", type=Path)
    parser.add_argument("--stop-timeout", default=20.0, type=float)
    args = parser.parse_args(argv)
    env = {**dotenv_read(args.env_file), **os.environ, "PYTHONUNBUFFERED": "1"}
    return Runner(procfile_read(args.procfile), env, args.stop_timeout).run()


if __name__ == "__main__":
    sys.exit(main())
