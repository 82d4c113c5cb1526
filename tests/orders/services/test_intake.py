"""Creating an order row once, whoever inserts it first; the plain statements the intake writes with."""

from __future__ import annotations

from decimal import Decimal
from unittest import mock

import pytest
from django.db import IntegrityError, connection

from integrations.models import InboundEvent
from orders.models import Order, OrderItem, StatusMapping
from orders.services import intake
from orders.services.statements import INSERT_MAX_ROWS, insert, row_by

pytestmark = pytest.mark.django_db


def _new(number: str) -> Order:
    return Order(shop_order_id=number, shop_status_id=1, raw_payload={}, payload_hash="x")


@pytest.mark.parametrize("returning", [
    pytest.param(True, id="insert-on-conflict"),
    # Only SQLite has versions without RETURNING; PostgreSQL's backend always reads it.
    pytest.param(False, id="savepoint-fallback",
                 marks=pytest.mark.skipif(connection.vendor != "sqlite", reason="an old SQLite's path")),
])
def test_an_order_number_is_inserted_once(returning):
    # given: the database can (or, as SQLite before 3.35, cannot) say whether an INSERT … ON CONFLICT wrote
    with mock.patch.object(connection.features, "can_return_columns_from_insert", returning):
        # when: the number is inserted, then again as a concurrent request would
        first, second = _new("5001"), _new("5001")
        inserted = (insert([first], ignore_conflicts=True), insert([second], ignore_conflicts=True))
    # then: one row, and the first copy knows its id
    assert inserted == (1, 0)
    assert list(Order.objects.filter(shop_order_id="5001").values_list("pk", flat=True)) == [first.pk]
    assert first._state.adding is False
    assert Order.objects.get(pk=first.pk).created_at is not None


def test_an_insert_skipped_for_another_reason_raises_that_reason(monkeypatch):
    # given: the database skipped the insert, though no order has the number (SQLite's OR IGNORE on a
    # failed constraint does that)
    monkeypatch.setattr(intake, "insert", lambda objs, ignore_conflicts=False: 0)
    values = {"raw_payload": {}, "payload_hash": "x"}
    # when / then: the plain insert is tried: the row is made, or its error (a negative status, here) raised
    order, created = intake._lock_or_create(shop_order_id="5002", shop_status_id=1, values=values, announced_new=True)
    assert (created, Order.objects.get(shop_order_id="5002").pk) == (True, order.pk)
    assert Order.objects.get(pk=order.pk).status == StatusMapping.objects.get(shop_status_id=1)
    with pytest.raises(IntegrityError):
        intake._lock_or_create(shop_order_id="5003", shop_status_id=-1, values=values, announced_new=True)


@pytest.mark.parametrize("count", [3, INSERT_MAX_ROWS + 1], ids=["one-statement", "over-the-limit-orm"])
def test_rows_are_written_as_the_orm_writes_them(count):
    # given: an order and new items with every kind of value (text with quotes, decimals)
    order = _new("5004")
    insert([order])
    items = [OrderItem(order=order, position=n, title=f'MacBook "Air" #{n}', price=Decimal("31799.50"),
                       quantity=Decimal("1.250"), total_price=Decimal("39749.38")) for n in range(count)]
    # when: they are inserted together
    assert insert(items) == count
    # then: the ORM reads back what was given, in order, and each instance knows its row
    stored = list(OrderItem.objects.filter(order=order).order_by("position"))
    assert [(i.pk, i.title, i.price, i.quantity) for i in stored] == \
        [(i.pk, i.title, i.price, i.quantity) for i in items]
    assert all(i.pk is not None and not i._state.adding for i in items)


def test_a_json_field_and_a_default_time_are_stored():
    event = InboundEvent(source="shop", event="order_created", method="PUT", path="/x",
                         headers={"Content-Type": "application/json", "X-Empty": ""}, body="{}", body_size=2)
    insert([event])
    stored = InboundEvent.objects.get(pk=event.pk)
    assert stored.headers == {"Content-Type": "application/json", "X-Empty": ""}
    assert stored.created_at == event.created_at


def test_ignoring_conflicts_takes_one_row_only():
    with pytest.raises(ValueError, match="one instance"):
        insert([_new("5005"), _new("5006")], ignore_conflicts=True)
    assert insert([]) == 0


def test_a_row_is_read_by_a_unique_column_with_its_values_converted():
    mapping = row_by(StatusMapping, "shop_status_id", 1)
    assert mapping == StatusMapping.objects.get(shop_status_id=1)
    assert (mapping.created_at, mapping.is_final) == StatusMapping.objects.values_list(
        "created_at", "is_final").get(shop_status_id=1)
    assert row_by(StatusMapping, "shop_status_id", 987654) is None


def test_an_insert_stores_what_save_stores():
    # given: two orders alike but for their number, with decimals to round, JSON, an aware time
    import datetime as dt
    from zoneinfo import ZoneInfo

    values = {"status": StatusMapping.objects.get(shop_status_id=1), "shop_status_id": 1, "payed": True,
              "total_sum": Decimal("12.345"), "total_quantity": Decimal("1.5"), "raw_payload": {"a": [1, "ї", None]},
              "stat_created": dt.datetime(2016, 12, 5, 15, 46, 40, tzinfo=ZoneInfo("Europe/Kyiv"))}
    saved, inserted = Order(shop_order_id="A", **values), Order(shop_order_id="B", **values)
    # when: one is saved by the ORM, the other inserted
    saved.save()
    insert([inserted])
    # then: the rows differ only in what must differ
    with connection.cursor() as cursor:
        cursor.execute(f"SELECT * FROM {connection.ops.quote_name(Order._meta.db_table)} WHERE id IN (%s, %s) "
                       "ORDER BY id", [saved.pk, inserted.pk])
        columns = [column[0] for column in cursor.description]
        first, second = cursor.fetchall()
    differ = {name for name, a, b in zip(columns, first, second, strict=True) if a != b}
    assert differ <= {"id", "shop_order_id", "created_at", "updated_at"}
