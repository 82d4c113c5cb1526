"""Partner latency benchmarks: a burst of new orders, and a steady rate, against a partner that takes its time.

Burst: the worker processes are paused (SIGSTOP) while `count` webhooks go through gunicorn, so
the burst is a backlog of `count` queued send tasks whatever the intake's own speed (a sale
brings orders faster than a slow partner answers), then resumed (SIGCONT). The rate is from the
first to the last `delivered_at`. Every order must reach the fake partner exactly once, which
counts the requests of each order; the attempt rows must say the same. Optionally every row is
also queued a second time by the sweeper taking them all for lost, so that duplicate tasks race
for each row (on two worker processes: the scale-out check).
Import after `django.setup()`.
"""

from __future__ import annotations

import itertools
import os
import signal
import time
from collections import Counter
from collections.abc import Callable, Iterator
from datetime import datetime
from typing import Any

from django.db.models import Count
from django.test.utils import override_settings

from bench.fake_partner import PartnerClient
from bench.fixtures import body_template
from bench.load import percentile, send_all
from bench.processes import cpu_seconds, loadavg, postgres_backends, rss_mb, wait_until
from bench.web import WEBHOOK_PATH
from orders.models import Channel, Delivery, DeliveryAttempt
from orders.services.sweeper import deliveries_sweep

MIN_RATE = 10.0  # deliveries/s below which a burst is taken for stuck and the run fails
CHUNK = 5000


def _chunks(values: list[str]) -> Iterator[list[str]]:
    iterator = iter(values)
    while chunk := list(itertools.islice(iterator, CHUNK)):
        yield chunk


def _deliveries(order_ids: list[str]) -> list[dict[str, Any]]:
    rows: list[dict[str, Any]] = []
    for chunk in _chunks(order_ids):
        rows += (dict(row) for row in Delivery.objects.filter(
            order__shop_order_id__in=chunk, channel=Channel.IMSHOP).values("pk", "state", "attempts", "delivered_at"))
    return rows


def _settled(order_ids: list[str]) -> int:
    return sum(Delivery.objects.filter(order__shop_order_id__in=chunk, channel=Channel.IMSHOP)
               .exclude(state__in=Delivery.OPEN_STATES).count() for chunk in _chunks(order_ids))


def exactly_once(*, order_ids: list[str], stats: dict[str, Any]) -> dict[str, Any]:
    """Did each of these orders reach the partner exactly once? From the partner's counts and the attempt rows.

    `stats` is the partner's `stats(arrivals=True)`.
    """
    arrived = stats["arrivals"]
    repeated = {k: n for k, n in stats["counts"].items() if k in set(order_ids)}
    deliveries = _deliveries(order_ids)
    pks = [d["pk"] for d in deliveries]
    attempts: Counter[str] = Counter()
    multi = 0
    for chunk in _chunks(pks):
        for row in DeliveryAttempt.objects.filter(delivery_id__in=chunk).values("outcome").annotate(n=Count("id")):
            attempts[row["outcome"]] += row["n"]
        multi += (DeliveryAttempt.objects.filter(delivery_id__in=chunk).values("delivery_id")
                  .annotate(n=Count("id")).filter(n__gt=1).count())
    states = Counter(d["state"] for d in deliveries)
    return {
        "orders": len(order_ids), "received": sum(1 for k in order_ids if k in arrived),
        "lost": sum(1 for k in order_ids if k not in arrived), "sent_twice": len(repeated),
        "deliveries": len(deliveries), "states": dict(states), "attempt_rows": sum(attempts.values()),
        "attempt_outcomes": dict(attempts), "deliveries_with_several_attempts": multi,
        "claimed_more_than_once": sum(1 for d in deliveries if d["attempts"] > 1),
    }


def _backends_cpu(database: str | None) -> dict[int, float]:
    """CPU seconds so far of each PostgreSQL backend connected to `database` (the web is idle while a burst drains)."""
    return {pid: cpu_seconds([pid]) for pid in postgres_backends(database)} if database else {}


def _requeue_all(count: int) -> int:
    """The sweeper takes every queued row for lost and queues it again: each row now has two tasks."""
    with override_settings(DELIVERY_REQUEUE_AFTER=0, DELIVERY_SWEEP_BATCH=max(count, 1)):
        return deliveries_sweep()


def burst_run(*, port: int, partner: PartnerClient, numbers: Iterator[int], count: int, latency_ms: float,
              workers: list[int], concurrency: int, alive: Callable[[], None],
              requeue_all: bool = False, database: str | None = None) -> dict[str, Any]:
    """`count` new orders while the `workers` are paused, then how fast they deliver them (see the module).

    With `database` (PostgreSQL), the CPU its backends use while the burst drains is counted too.
    """
    partner.reset(latency_ms=latency_ms)
    ids = [next(numbers) for _ in range(count)]
    rss_before = [round(rss_mb(pid), 1) for pid in workers]
    for pid in workers:
        os.kill(pid, signal.SIGSTOP)
    try:
        intake = send_all(port=port, path=WEBHOOK_PATH, body_for=body_template(), ids=ids, concurrency=concurrency)
        requeued = _requeue_all(count) if requeue_all else 0
    finally:
        for pid in workers:
            os.kill(pid, signal.SIGCONT)
    released = time.time()
    cpu_before = [cpu_seconds([pid]) for pid in workers]
    backends = _backends_cpu(database)
    accepted = [str(s.order_id) for s in intake.sent if s.ok]
    wait_until(lambda: _settled(accepted) >= len(accepted) and partner.stats()["answered_orders"] >= len(accepted),
               timeout=60 + count / MIN_RATE, what=f"{len(accepted)} burst deliveries", interval=0.2, alive=alive)
    load = loadavg()
    stats = partner.stats(arrivals=True)
    worker_cpu = [round(cpu_seconds([pid]) - before, 1) for pid, before in zip(workers, cpu_before, strict=True)]
    db_cpu = sum(used - backends.get(pid, 0.0) for pid, used in _backends_cpu(database).items())
    check = exactly_once(order_ids=accepted, stats=stats)
    times = sorted(d["delivered_at"] for d in _deliveries(accepted) if d["state"] == Delivery.State.DELIVERED)
    seconds = (times[-1] - times[0]).total_seconds() if times else 0.0
    delivered = len(times)
    arrivals = sorted(stats["arrivals"][k] for k in accepted if k in stats["arrivals"])
    answered = [stats["answered"][k] for k in accepted if k in stats["answered"]]
    web = intake.summary()
    return {
        "n": count, "latency_ms": latency_ms, "workers": len(workers), "accepted": len(accepted),
        "intake_per_s": web["rps"], "webhook_p99_ms": web["p99_ms"], "errors": web["errors"],
        "error_kinds": web["error_kinds"], "requeued": requeued, "delivered": delivered,
        "deliveries_per_s": round((delivered - 1) / seconds, 1) if seconds > 0 else 0.0,
        "arrivals_per_s": round((len(arrivals) - 1) / (arrivals[-1] - arrivals[0]), 1)
        if len(arrivals) > 1 and arrivals[-1] > arrivals[0] else 0.0,
        "release_to_last_s": round(max(answered) - released, 2) if answered else 0.0,
        "largest_gap_s": largest_gap(times), "peak_in_flight": stats["peak_in_flight"], **check,
        "worker_cpu_ms_per_delivery": round(1000 * sum(worker_cpu) / max(1, delivered), 1),
        "db_cpu_ms_per_delivery": round(1000 * db_cpu / max(1, delivered), 1) if database else None,
        "rss_before_mb": rss_before, "rss_after_mb": [round(rss_mb(pid), 1) for pid in workers],
        "worker_cpu_s": worker_cpu, "loadavg": load,
    }


def largest_gap(times: list[datetime]) -> float:
    """The longest pause, in seconds, between two consecutive deliveries (sorted `delivered_at`s).

    A pause of about DELIVERY_SWEEP_INTERVAL means rows waited for the sweeper.
    """
    return round(max(((b - a).total_seconds() for a, b in itertools.pairwise(times)), default=0.0), 2)


def latencies_summary(*, accepted: dict[str, float], stats: dict[str, Any], latency_ms: float) -> dict[str, Any]:
    """Webhook sent -> partner received (and -> partner answered), p50/p99, for the accepted orders."""
    received = [(stats["arrivals"][k] - sent) * 1000 for k, sent in accepted.items() if k in stats["arrivals"]]
    answered = [(stats["answered"][k] - sent) * 1000 for k, sent in accepted.items() if k in stats["answered"]]
    p99_answered = percentile(answered, 99)
    return {
        "latency_ms": latency_ms, "arrived": len(received), "missing": len(accepted) - len(received),
        "p50_ms": round(percentile(received, 50), 1), "p99_ms": round(percentile(received, 99), 1),
        "max_ms": round(max(received, default=0.0), 1), "answered_p50_ms": round(percentile(answered, 50), 1),
        "answered_p99_ms": round(p99_answered, 1),
        "p99_beyond_partner_ms": round(p99_answered - latency_ms, 1) if answered else 0.0,
    }
