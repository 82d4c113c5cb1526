"""The database unreachable when a webhook arrives: 503 so the shop retries, and nothing half-written."""

from __future__ import annotations

import json
from collections.abc import Iterator
from contextlib import contextmanager

import pytest
from django.db import connection
from rest_framework.test import APIClient

from integrations.models import InboundEvent
from orders.models import Delivery, Order, StatusChange
from tests.conftest import webhook_url

pytestmark = pytest.mark.django_db(transaction=True)


@contextmanager
def database_unreachable() -> Iterator[None]:
    """Point this thread's connection where no database is: a closed port, or a file in no directory."""
    saved = dict(connection.settings_dict)
    connection.close()
    if connection.vendor == "sqlite":
        connection.settings_dict["NAME"] = "/nonexistent-directory/hub.sqlite3"
    else:
        connection.settings_dict.update(HOST="127.0.0.1", PORT=1)
    try:
        yield
    finally:
        connection.close()
        connection.settings_dict.clear()
        connection.settings_dict.update(saved)


def test_a_webhook_is_answered_503_while_the_database_is_down(shop_payload, default_mappings):
    # given
    payload = {**shop_payload, "choco_user_id": 1234567, "imshop_uuid": "cfe64e76"}
    with database_unreachable():
        # when
        response = APIClient().put(webhook_url(), data=json.dumps(payload), content_type="application/json")
    # then
    assert response.status_code == 503
    assert response.json() == {"message": "The database is unavailable; try again later.", "fields": {}}
    assert (InboundEvent.objects.count(), Order.objects.count(), StatusChange.objects.count(),
            Delivery.objects.count()) == (0, 0, 0, 0)


def test_the_shops_retry_after_the_outage_makes_the_order_once(shop_payload, default_mappings):
    # given: the first copy came while the database was down
    body = json.dumps(shop_payload)
    with database_unreachable():
        APIClient().put(webhook_url(), data=body, content_type="application/json")
    # when
    response = APIClient().put(webhook_url(), data=body, content_type="application/json")
    # then
    assert response.status_code == 200
    assert response.json()["created"] is True
    assert Order.objects.count() == StatusChange.objects.count() == InboundEvent.objects.count() == 1
