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
from bench.processes import CpuMeter
from orders.models import Order

WEBHOOK_PATH = f"/api/webhooks/shop/order_created/?token={SHOP_TOKEN}"
WARMUP_SECONDS = 1.0
COUNT_CHUNK = 5000


def _load(*, port: int, path: str, numbers: Iterator[int], concurrency: int, seconds: float,
          warmup: bool) -> LoadResult:
    body_for = body_template()
    if warmup:  # first requests of each worker import and connect: not part of the figures
        closed_loop(port=port, path=path, body_for=body_for, ids=numbers, concurrency=concurrency,
                    seconds=WARMUP_SECONDS)
    meter = CpuMeter()
    meter.start()
    result = closed_loop(port=port, path=path, body_for=body_for, ids=numbers, concurrency=concurrency,
                         seconds=seconds)
    result.cpu = meter.stop()
    return result


def ingest_run(*, port: int, numbers: Iterator[int], concurrency: int, seconds: float,
               warmup: bool = True) -> dict[str, Any]:
    """Unique orders (three items each) PUT to the shop webhook for `seconds`; then check every 2xx was stored."""
    result = _load(port=port, path=WEBHOOK_PATH, numbers=numbers, concurrency=concurrency, seconds=seconds,
                   warmup=warmup)
    summary = result.summary()
    ok_ids = result.ok_ids
    summary["stored"] = orders_stored([str(n) for n in ok_ids])
    summary["missing"] = len(ok_ids) - summary["stored"]
    return summary


def ceiling_run(*, port: int, numbers: Iterator[int], concurrency: int, seconds: float,
                warmup: bool = True) -> dict[str, Any]:
    """The same bodies PUT to the bare ceiling view (parse the JSON, upsert one row)."""
    result = _load(port=port, path=CEILING_PATH, numbers=numbers, concurrency=concurrency, seconds=seconds,
                   warmup=warmup)
    summary = result.summary()
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
