"""Benchmark data: webhook bodies built from the shop's sample order, and bulk-inserted orders and deliveries.

Import after `django.setup()`.
"""

from __future__ import annotations

import copy
import itertools
import json
from collections.abc import Callable, Iterable, Iterator
from typing import Any

from django.db import connection, transaction
from django.utils import timezone

from bench.processes import ROOT
from integrations.imshop.payloads import build_status_payload
from orders.models import Channel, Delivery, Order, OrderItem, StatusChange, StatusMapping

SHOP_FIXTURE = ROOT / "tests" / "fixtures" / "shop_order_created.json"
ITEMS_PER_ORDER = 3
BULK_BATCH = 2000
_SENTINEL = 987654321012345


def shop_payload(order_id: int) -> dict[str, Any]:
    """The sample `order_created` payload as order `order_id` with three different items."""
    payload = json.loads(SHOP_FIXTURE.read_text(encoding="utf-8"))
    product = payload["products"][0]
    products = []
    for n in range(ITEMS_PER_ORDER):
        item = copy.deepcopy(product)
        item.update(title=f"{product['title']} #{n + 1}", article=f"{product['article']}-{n + 1}",
                    price=product["price"] + n, total_price=product["price"] + n)
        products.append(item)
    payload.update(order_id=order_id, products=products, total_quantity=ITEMS_PER_ORDER,
                   total_sum=sum(p["total_price"] for p in products))
    return payload


def body_template() -> Callable[[int], bytes]:
    """A function order id -> JSON body, cheap enough for the load generator's hot loop."""
    text = json.dumps(shop_payload(_SENTINEL), ensure_ascii=False).encode()
    head, tail = text.split(str(_SENTINEL).encode())
    return lambda order_id: head + str(order_id).encode() + tail


class OrderNumbers:
    """Shop order numbers that no other part of the run uses: each caller takes from its own block."""

    BLOCK = 10_000_000

    def __init__(self) -> None:
        self._blocks = itertools.count(1)

    def block(self) -> Iterator[int]:
        start = next(self._blocks) * self.BLOCK
        return iter(range(start, start + self.BLOCK))


def _batched(values: Iterable[int], size: int) -> Iterator[list[int]]:
    iterator = iter(values)
    while chunk := list(itertools.islice(iterator, size)):
        yield chunk


def new_status() -> StatusMapping:
    return StatusMapping.objects.get(shop_status_id=1)


def statistics_refresh() -> None:
    """ANALYZE on PostgreSQL after a bulk insert, as autovacuum would do soon after in production.

    Without it the planner keeps the statistics of the empty tables (more so on a server running
    with autovacuum off) and picks plans no production database would.
    """
    if connection.vendor == "postgresql":
        with connection.cursor() as cursor:
            cursor.execute("ANALYZE")


def orders_bulk_create(*, numbers: Iterator[int], count: int, items: int = ITEMS_PER_ORDER) -> list[int]:
    """Insert `count` orders in status "new", each with `items` items and its first status change.

    Rows as the webhook would store them (raw payload included), written with bulk_create.
    Returns the status change ids, one per order.
    """
    mapping, now = new_status(), timezone.now()
    template = shop_payload(0)
    change_ids: list[int] = []
    for chunk in _batched(itertools.islice(numbers, count), BULK_BATCH):
        with transaction.atomic():
            orders = Order.objects.bulk_create([
                Order(shop_order_id=str(n), status=mapping, shop_status_id=1, shop_user_id=template["user"],
                      delivery_name=template["delivery_name"], delivery_email=template["delivery_email"],
                      delivery_phone=template["delivery_phone"], delivery_city=template["delivery_city"],
                      total_sum=template["total_sum"], total_default=template["total_default"],
                      total_quantity=items, currency="UAH", stat_created=now,
                      raw_payload={**template, "order_id": n}, payload_hash=f"bench-{n}")
                for n in chunk
            ], batch_size=BULK_BATCH)
            OrderItem.objects.bulk_create([
                OrderItem(order=order, position=i, title=p["title"], article=p["article"], price=p["price"],
                          quantity=p["quantity"], total_price=p["total_price"], discount_marker=p["discount_marker"])
                for order in orders for i, p in enumerate(template["products"][:items])
            ], batch_size=BULK_BATCH)
            changes = StatusChange.objects.bulk_create([
                StatusChange(order=order, to_status=mapping, source=StatusChange.Source.SHOP_WEBHOOK)
                for order in orders
            ], batch_size=BULK_BATCH)
        change_ids.extend(change.pk for change in changes)
    statistics_refresh()
    return change_ids


def imshop_backlog_create(*, numbers: Iterator[int], count: int) -> tuple[int, int]:
    """`count` new orders, each with one PENDING Imshop delivery built by the real payload builder.

    Returns the (first, last) delivery id: the backlog is exactly the deliveries in that range.
    """
    mapping, now = new_status(), timezone.now()
    first = last = 0
    for chunk in _batched(itertools.islice(numbers, count), BULK_BATCH):
        with transaction.atomic():
            orders = Order.objects.bulk_create([
                Order(shop_order_id=str(n), status=mapping, shop_status_id=1, delivery_name="Bench",
                      delivery_phone="+38 (012) 421-42-14", currency="UAH", stat_created=now, payload_hash=f"bench-{n}")
                for n in chunk
            ], batch_size=BULK_BATCH)
            changes = StatusChange.objects.bulk_create([
                StatusChange(order=order, to_status=mapping, source=StatusChange.Source.SHOP_WEBHOOK)
                for order in orders
            ], batch_size=BULK_BATCH)
            deliveries = Delivery.objects.bulk_create([
                Delivery(order=order, status_change=change, channel=Channel.IMSHOP, next_attempt_at=now,
                         payload=build_status_payload(order=order, mapping=mapping))
                for order, change in zip(orders, changes, strict=True)
            ], batch_size=BULK_BATCH)
        first = first or deliveries[0].pk
        last = deliveries[-1].pk
    statistics_refresh()
    return first, last
