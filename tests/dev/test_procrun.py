"""scripts/procrun.py, the runner behind `make run`: a process that dies comes back, Ctrl-C stops all."""

from __future__ import annotations

import os
import re
import signal
import subprocess
import sys
import time
from pathlib import Path

from scripts.procrun import dotenv_read, procfile_read
from tests.worker import wait_for

ROOT = Path(__file__).resolve().parent.parent.parent
STARTED = re.compile(r"(\w+)\s*\| started with pid (\d+)")


def _started(log: Path) -> list[tuple[str, int]]:
    return [(name, int(pid)) for name, pid in STARTED.findall(log.read_text())]


def _alive(pid: int) -> bool:
    try:
        os.kill(pid, 0)
    except ProcessLookupError:
        return False
    return Path(f"/proc/{pid}").exists() and "zombie" not in Path(f"/proc/{pid}/status").read_text()


def test_a_process_that_dies_is_started_again_and_ctrl_c_stops_them_all(tmp_path: Path):
    # given: a steady process and one that dies a moment after each start
    procfile = tmp_path / "Procfile"
    procfile.write_text("steady: sleep 600\nflaky: sh -c 'echo up; sleep 0.3; exit 3'\n")
    log = tmp_path / "out.log"
    with log.open("wb") as out:
        runner = subprocess.Popen([sys.executable, str(ROOT / "scripts" / "procrun.py"), "--procfile", str(procfile),
                                   "--env-file", str(tmp_path / "none.env")], stdout=out, stderr=subprocess.STDOUT)
    try:
        # when: the flaky one has died twice
        wait_for(lambda: log.read_text().count("flaky exited with code 3") >= 2, timeout=20, what="two restarts")
        wait_for(lambda: [n for n, _ in _started(log)].count("flaky") >= 3, timeout=20, what="third start")

        # then: it was started again each time, and the steady one was never touched
        steady = [pid for name, pid in _started(log) if name == "steady"]
        assert len(steady) == 1
        assert _alive(steady[0])
        assert "flaky  | up" in log.read_text()

        # when: Ctrl-C
        runner.send_signal(signal.SIGINT)
        assert runner.wait(timeout=20) == 0
    finally:
        if runner.poll() is None:
            runner.kill()
    # then: nothing it started is left
    time.sleep(0.2)
    assert [pid for _, pid in _started(log) if _alive(pid)] == []
    assert "steady stopped" in log.read_text()


def test_the_procfile_and_env_file_are_read_like_honcho_reads_them(tmp_path: Path):
    # given
    (tmp_path / "Procfile").write_text(
        "# comment\n\nweb: gunicorn --bind ${HUB_BIND:-127.0.0.1:8000}\nbeat: celery beat\n")
    (tmp_path / ".env").write_text("# comment\nHUB_BIND=127.0.0.1:8141\nexport NAME='quoted value'\nEMPTY=\n")
    # when / then
    assert procfile_read(tmp_path / "Procfile") == {"web": "gunicorn --bind ${HUB_BIND:-127.0.0.1:8000}",
                                                    "beat": "celery beat"}
    assert dotenv_read(tmp_path / ".env") == {"HUB_BIND": "127.0.0.1:8141", "NAME": "quoted value", "EMPTY": ""}
    assert dotenv_read(tmp_path / "missing.env") == {}
