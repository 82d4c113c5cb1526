"""Creating an order row once, whoever inserts it first."""

from __future__ import annotations

from unittest import mock

import pytest
from django.db import connection

from orders.models import Order
from orders.services.intake import _insert_unless_exists

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
        inserted = (_insert_unless_exists(first), _insert_unless_exists(second))
    # then: one row, and the first copy knows its id
    assert inserted == (True, False)
    assert list(Order.objects.filter(shop_order_id="5001").values_list("pk", flat=True)) == [first.pk]
    assert first._state.adding is False
    assert Order.objects.get(pk=first.pk).created_at is not None


def test_an_insert_skipped_for_another_reason_raises_that_reason(monkeypatch):
    # given: the database skipped the insert, though no order has the number (SQLite's OR IGNORE on a
    # failed constraint does that)
    from django.db import IntegrityError

    from orders.services import intake

    monkeypatch.setattr(intake, "_insert_unless_exists", lambda order: False)
    # when / then: the plain insert is tried: the row is made, or its error (a negative status, here) raised
    order, created = intake._lock_or_create(shop_order_id="5002", values={"shop_status_id": 1, "raw_payload": {},
                                                                          "payload_hash": "x"}, announced_new=True)
    assert (created, Order.objects.get(shop_order_id="5002").pk) == (True, order.pk)
    with pytest.raises(IntegrityError):
        intake._lock_or_create(shop_order_id="5003", values={"shop_status_id": -1, "raw_payload": {},
                                                             "payload_hash": "x"}, announced_new=True)
