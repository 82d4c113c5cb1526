"""Faults with real processes: a partner down, a worker killed, the broker or the database unreachable, a burst.

Each test starts what it needs (a Celery worker, partner stand-ins on loopback) and stops it in a
`finally`. Beat is not run: the tests call the sweeper themselves, as beat would every few seconds.
"""

from __future__ import annotations

from collections.abc import Callable
from pathlib import Path

import pytest

from orders.models import Delivery
from tests.worker import WorkerProcess, wait_for

# A task the broker lost is queued again by the sweeper after DELIVERY_REQUEUE_AFTER (120 s by
# default). A worker stopped while it holds tasks loses them (they live in its memory until acked);
# a short window lets these tests recover the way production does.
REQUEUE_AFTER_SECONDS = 3


@pytest.fixture
def lost_tasks_requeued_soon(settings) -> None:
    settings.DELIVERY_REQUEUE_AFTER = REQUEUE_AFTER_SECONDS


def delivery_states(**filters: object) -> list[tuple[str, str]]:
    return sorted(Delivery.objects.filter(**filters).values_list("channel", "state"))


def wait_with_worker(worker: WorkerProcess, condition: Callable[[], object], *, what: str,
                     timeout: float = 60) -> object:
    """`wait_for`, and on time-out stop the worker and show what it wrote to stderr."""
    try:
        return wait_for(condition, timeout=timeout, what=what)
    except AssertionError as exc:
        worker.terminate()
        worker.wait(timeout=10)
        err = Path(worker.log_path).read_bytes()
        rows = list(Delivery.objects.values("id", "channel", "state", "attempts", "next_attempt_at", "enqueued_at",
                                            "lease_until", "last_error"))
        raise AssertionError(f"{exc}\n--- deliveries ---\n{rows}\n"
                             f"--- worker stderr ---\n{(err or b'').decode(errors='replace')[-6000:]}") from None
