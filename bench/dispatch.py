"""The dispatch benchmark: how fast ONE Celery worker process drains a backlog of Imshop deliveries.

The backlog is inserted in bulk (payloads from integrations.imshop.payloads) and put on the queue
by the real sweeper (integrations.services.sweeper.deliveries_sweep, its batch raised). The rate
comes from the rows' `delivered_at`, first to last, so the worker's start-up does not count. The
ceiling is a plain loop of the same HTTP requests with one requests.Session.
Import after `django.setup()`.
"""

from __future__ import annotations

import time
from collections.abc import Callable, Iterator
from typing import Any

import requests
from django.db.models import QuerySet
from django.test.utils import override_settings

from bench.burst import largest_gap
from bench.environment import IMSHOP_KEY
from bench.fake_partner import PartnerClient
from bench.fixtures import imshop_backlog_create
from bench.processes import WaitTimeoutError, wait_until
from orders.models import Delivery
from orders.services.sweeper import deliveries_sweep

POLL_SECONDS = 0.2
DRAIN_POLL_SECONDS = 1.0  # counting a 100k-row backlog often would take CPU from the worker
MIN_RATE = 10.0  # deliveries/s below which a drain is taken for stuck and the run fails


def backlog_enqueue(*, batch: int) -> int:
    """Queue up to `batch` due deliveries through the real sweeper. Returns how many were queued."""
    with override_settings(DELIVERY_SWEEP_BATCH=batch):
        return deliveries_sweep()


def _range(first: int, last: int) -> QuerySet[Delivery]:
    return Delivery.objects.filter(pk__gte=first, pk__lte=last)


def backlog_states(first: int, last: int) -> dict[str, int]:
    rows = _range(first, last).values_list("state", flat=True)
    counts: dict[str, int] = {}
    for state in rows.iterator(chunk_size=5000):
        counts[state] = counts.get(state, 0) + 1
    return counts


def _settled(first: int, last: int) -> int:
    return _range(first, last).exclude(state__in=Delivery.OPEN_STATES).count()


def open_deliveries() -> int:
    return Delivery.objects.filter(state__in=Delivery.OPEN_STATES).count()


def drain_wait(*, expected_rate: float, alive: Callable[[], None]) -> float:
    """Wait until no delivery is PENDING or SENDING (the worker is running). Returns the seconds waited."""
    began = time.monotonic()
    timeout = 60 + open_deliveries() / min(expected_rate, MIN_RATE)
    wait_until(lambda: open_deliveries() == 0, timeout=timeout, what="the worker to drain the queue",
               interval=POLL_SECONDS, alive=alive)
    return time.monotonic() - began


def dispatch_run(*, numbers: Iterator[int], count: int, alive: Callable[[], None]) -> dict[str, Any]:
    """Insert and queue `count` deliveries, wait until the running worker has settled them all."""
    first, last = imshop_backlog_create(numbers=numbers, count=count)
    began = time.monotonic()
    queued = backlog_enqueue(batch=count)
    wait_until(lambda: _settled(first, last) >= count, timeout=60 + count / MIN_RATE,
               what=f"{count} deliveries", interval=POLL_SECONDS, alive=alive)
    wall = time.monotonic() - began
    delivered_at = _range(first, last).filter(state=Delivery.State.DELIVERED).values_list("delivered_at", flat=True)
    times = sorted(when for when in delivered_at if when is not None)  # set on every delivered row
    states = backlog_states(first, last)
    seconds = (times[-1] - times[0]).total_seconds() if times else 0.0
    delivered = states.get(Delivery.State.DELIVERED, 0)
    return {
        "n": count, "queued": queued, "delivered": delivered, "failed": count - delivered, "states": states,
        "deliveries_per_s": round((delivered - 1) / seconds, 1) if seconds > 0 else 0.0,
        "wall_s": round(wall, 2), "wall_per_s": round(count / wall, 1) if wall else 0.0,
        "largest_gap_s": largest_gap(times),
        "first_id": first, "last_id": last,
    }


def dispatch_ceiling(*, partner: PartnerClient, first: int, last: int) -> dict[str, Any]:
    """The same requests (payload, headers) as the backlog first..last, sent in a plain loop with one Session."""
    payloads = list(_range(first, last).order_by("pk").values_list("payload", flat=True))
    headers = {"Content-Type": "application/json", "Accept": "application/json",
               "Authorization": f"Bearer {IMSHOP_KEY}"}
    failed = 0
    with requests.Session() as session:
        began = time.perf_counter()
        for payload in payloads:
            response = session.post(partner.status_url, json=payload, headers=headers, timeout=(3, 15),
                                    allow_redirects=False)
            failed += response.status_code != 200 or response.json().get("success") is not True
        seconds = time.perf_counter() - began
    return {"n": len(payloads), "failed": failed, "seconds": round(seconds, 3),
            "requests_per_s": round(len(payloads) / seconds, 1) if seconds else 0.0}


def memory_drain(*, numbers: Iterator[int], count: int, chunk: int, alive: Callable[[], None],
                 on_progress: Callable[[int], None]) -> dict[str, Any]:
    """Drain `count` deliveries fed to the queue `chunk` at a time, as the sweeper would.

    `on_progress(settled)` is called each time about a tenth more is settled (for memory samples).
    """
    first, last = imshop_backlog_create(numbers=numbers, count=count)
    began, step, next_mark = time.monotonic(), max(1, count // 10), 0
    deadline = began + 60 + count / MIN_RATE
    settled = queued_total = 0
    while settled < count:
        alive()
        if time.monotonic() > deadline:
            raise WaitTimeoutError(f"the drain of {count} deliveries stalled at {settled}")
        if queued_total - settled < chunk // 2:
            queued_total += backlog_enqueue(batch=chunk)
        settled = _settled(first, last)
        if settled >= next_mark:
            on_progress(settled)
            next_mark = settled + step
        time.sleep(DRAIN_POLL_SECONDS)
    wall = time.monotonic() - began
    states = backlog_states(first, last)
    delivered = states.get(Delivery.State.DELIVERED, 0)
    return {"n": count, "delivered": delivered, "failed": count - delivered, "wall_s": round(wall, 1),
            "per_s": round(count / wall, 1) if wall else 0.0}
