"""A real Celery worker process for end-to-end tests, on the test database and broker."""

from __future__ import annotations

import os
import subprocess
import sys
import tempfile
import time
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from pathlib import Path

from django.conf import settings
from django.db import connection

ROOT = Path(__file__).resolve().parent.parent
PARTNER_SETTINGS = (
    "CHOCO_API_URL", "CHOCO_CLIENT_ID", "CHOCO_CLIENT_SECRET", "IMSHOP_STATUS_URL", "IMSHOP_API_KEY",
    "HOROSHOP_API_URL", "HOROSHOP_LOGIN", "HOROSHOP_PASSWORD", "PARTNER_CONNECT_TIMEOUT", "PARTNER_READ_TIMEOUT",
    "IMSHOP_SYNC_ALL_ORDERS", "PARTNER_ALLOW_HTTP",
)


def test_database_url() -> str:
    db = connection.settings_dict
    if connection.vendor == "sqlite":
        return f"sqlite:///{db['NAME']}"
    auth = db["USER"] + (f":{db['PASSWORD']}" if db["PASSWORD"] else "")
    return f"postgres://{auth}@{db['HOST'] or '127.0.0.1'}:{db['PORT'] or 5432}/{db['NAME']}"


def worker_env(**extra: str) -> dict[str, str]:
    env = {**os.environ, "DJANGO_SETTINGS_MODULE": "tests.settings", "DATABASE_URL": test_database_url(),
           "CELERY_BROKER_URL": settings.CELERY_BROKER_URL}
    for name in PARTNER_SETTINGS:
        env[name] = str(getattr(settings, name))
    env.update(extra)
    return env


class WorkerProcess(subprocess.Popen[bytes]):
    """A worker process, and the file its stderr goes to."""

    log_path: str


def start_worker(**extra: str) -> WorkerProcess:
    # stderr goes to a file, not a pipe nobody reads (a chatty worker would block on a full pipe).
    log = tempfile.NamedTemporaryFile(prefix="hub-test-worker-", suffix=".log", delete=False)  # noqa: SIM115
    process = WorkerProcess(
        # The threads pool, as in production: several sends wait on partners at once.
        [sys.executable, "-m", "celery", "-A", "hub", "worker", "--pool", "threads", "--concurrency", "4",
         "--loglevel", "WARNING", "--without-heartbeat", "--without-mingle", "--without-gossip"],
        cwd=ROOT, env=worker_env(**extra), stdout=subprocess.DEVNULL, stderr=log,
    )
    process.log_path = log.name
    log.close()
    return process


@contextmanager
def celery_worker(**extra: str) -> Iterator[WorkerProcess]:
    """Run a worker for the duration of the block; its stderr is shown if the test fails."""
    from hub.celery import app

    app.control.purge()  # messages left by earlier tests name rows that no longer exist
    process = start_worker(**extra)
    try:
        yield process
    finally:
        process.terminate()
        try:
            process.wait(timeout=10)
        except subprocess.TimeoutExpired:
            process.kill()
            process.wait()


def wait_for(condition: Callable[[], object], *, timeout: float = 30, what: str = "condition") -> object:
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        value = condition()
        if value:
            return value
        time.sleep(0.1)
    raise AssertionError(f"Timed out after {timeout}s waiting for {what}")
