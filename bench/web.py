"""The ingest benchmark: the shop webhook under gunicorn at a fixed concurrency, beside the ceiling view.

Import after `django.setup()`.
"""

from __future__ import annotations

import itertools
from collections.abc import Iterator
from typing import Any

from bench.ceiling import CEILING_PATH, CEILING_TABLE
from bench.environment import SHOP_TOKEN
from bench.fixtures import body_template
from bench.load import LoadResult, closed_loop
from bench.processes import CpuMeter, child_pids, cpu_seconds, loadavg, postgres_backends, reaped_children_cpu
from orders.models import Order

WEBHOOK_PATH = f"/api/webhooks/shop/order_created/?token={SHOP_TOKEN}"
WARMUP_SECONDS = 1.0
COUNT_CHUNK = 5000


class ServerCpu:
    """CPU time the server used between `start()` and `stop()`: gunicorn's workers and, on PostgreSQL,
    the backends connected to the benchmark's database (read from /proc; other databases' are not counted).
    """

    def __init__(self, *, master: int, database: str | None) -> None:
        self.master, self.database = master, database
        self._web = 0.0
        self._db: dict[int, float] = {}

    def _backends(self) -> dict[int, float]:
        if not self.database:
            return {}
        return {pid: cpu_seconds([pid]) for pid in postgres_backends(self.database)}

    def _workers(self) -> float:
        """CPU of gunicorn's workers so far: the live ones, and those it replaced (WEB_MAX_REQUESTS)."""
        return cpu_seconds(child_pids(self.master)) + reaped_children_cpu(self.master)

    def start(self) -> None:
        self._web, self._db = self._workers(), self._backends()

    def stop(self) -> dict[str, float]:
        """Seconds of CPU: {"web": gunicorn workers, "db": this database's backends (0 on SQLite)}."""
        web = self._workers() - self._web
        # A backend that connected during the run counts from zero; one that left is lost (rare: pooled).
        db = sum(used - self._db.get(pid, 0.0) for pid, used in self._backends().items())
        return {"web": web, "db": db}


def _load(*, port: int, path: str, numbers: Iterator[int], concurrency: int, seconds: float,
          warmup: bool, server: ServerCpu | None) -> tuple[LoadResult, dict[str, float]]:
    body_for = body_template()
    if warmup:  # first requests of each worker import and connect: not part of the figures
        closed_loop(port=port, path=path, body_for=body_for, ids=numbers, concurrency=concurrency,
                    seconds=WARMUP_SECONDS)
    meter = CpuMeter()
    meter.start()
    if server:
        server.start()
    result = closed_loop(port=port, path=path, body_for=body_for, ids=numbers, concurrency=concurrency,
                         seconds=seconds)
    used = server.stop() if server else {}
    result.cpu = meter.stop()
    return result, used


def _cpu_per_request(summary: dict[str, Any], used: dict[str, float]) -> None:
    """Server CPU per request in ms (gunicorn workers; and with this database's backends), and the load."""
    n = summary["requests"] or 1
    if used:
        summary["web_cpu_ms_per_request"] = round(1000 * used["web"] / n, 2)
        summary["server_cpu_ms_per_request"] = round(1000 * (used["web"] + used["db"]) / n, 2)
    summary["loadavg"] = loadavg()


def ingest_run(*, port: int, numbers: Iterator[int], concurrency: int, seconds: float,
               warmup: bool = True, server: ServerCpu | None = None) -> dict[str, Any]:
    """Unique orders (three items each) PUT to the shop webhook for `seconds`; then check every 2xx was stored."""
    result, used = _load(port=port, path=WEBHOOK_PATH, numbers=numbers, concurrency=concurrency, seconds=seconds,
                         warmup=warmup, server=server)
    summary = result.summary()
    _cpu_per_request(summary, used)
    ok_ids = result.ok_ids
    summary["stored"] = orders_stored([str(n) for n in ok_ids])
    summary["missing"] = len(ok_ids) - summary["stored"]
    return summary


def ceiling_run(*, port: int, numbers: Iterator[int], concurrency: int, seconds: float,
                warmup: bool = True, server: ServerCpu | None = None) -> dict[str, Any]:
    """The same bodies PUT to the bare ceiling view (parse the JSON, upsert one row)."""
    result, used = _load(port=port, path=CEILING_PATH, numbers=numbers, concurrency=concurrency, seconds=seconds,
                         warmup=warmup, server=server)
    summary = result.summary()
    _cpu_per_request(summary, used)
    summary["stored"] = ceiling_rows_stored([str(n) for n in result.ok_ids])
    summary["missing"] = len(result.ok_ids) - summary["stored"]
    return summary


def _chunks(values: list[str]) -> Iterator[list[str]]:
    iterator = iter(values)
    while chunk := list(itertools.islice(iterator, COUNT_CHUNK)):
        yield chunk


def orders_stored(shop_order_ids: list[str]) -> int:
    """How many of these shop order numbers have an order row."""
    return sum(Order.objects.filter(shop_order_id__in=chunk).count() for chunk in _chunks(shop_order_ids))


def ceiling_rows_stored(order_ids: list[str]) -> int:
    from django.db import connection

    total = 0
    with connection.cursor() as cursor:
        for chunk in _chunks(order_ids):
            marks = ", ".join(["%s"] * len(chunk))
            cursor.execute(f"SELECT COUNT(*) FROM {CEILING_TABLE} WHERE order_id IN ({marks})", chunk)  # noqa: S608
            total += cursor.fetchone()[0]
    return total
