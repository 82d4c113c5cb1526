"""The broker unreachable when a webhook arrives: the webhook still answers, the sweeper sends later."""

from __future__ import annotations

import json
import time
from collections.abc import Iterator
from contextlib import contextmanager

import pytest
from rest_framework.test import APIClient

from hub.celery import app
from orders.models import Delivery, Order
from orders.services.sweeper import deliveries_sweep
from tests.conftest import webhook_url
from tests.faults import delivery_states, wait_with_worker
from tests.partners import CHOCO_STATUS, IMSHOP_SYNC
from tests.worker import celery_worker

pytestmark = [pytest.mark.worker, pytest.mark.django_db(transaction=True)]

CLOSED_PORT_BROKER = "redis://127.0.0.1:9/0"  # the discard port: nothing listens on loopback


def _drop_connection_pools() -> None:
    # Celery builds its connection and producer pools on first use and keeps them: a changed URL
    # is not seen until they are dropped. This is what Celery itself does in a forked child.
    # Private attributes the stubs do not declare.
    app._pool = None  # type: ignore[attr-defined]
    app.amqp._producer_pool = None  # type: ignore[attr-defined]


@contextmanager
def broker_unreachable() -> Iterator[None]:
    """Publishing from this process fails as it does when the broker is down; workers are not touched.

    `broker_write_url` rather than `broker_url`: Celery reads CELERY_BROKER_URL from the
    environment before its configuration, so in CI a changed `broker_url` would not be used.
    """
    _drop_connection_pools()
    # Item assignment is what `conf.broker_write_url = ...` does; the stub has that name read-only.
    app.conf["broker_write_url"] = CLOSED_PORT_BROKER
    try:
        yield
    finally:
        app.conf["broker_write_url"] = None
        _drop_connection_pools()


def _delivered() -> bool:
    deliveries_sweep()  # what beat does every few seconds
    states = delivery_states()
    return len(states) == 3 and {state for _, state in states} == {"delivered"}  # Choco, Imshop, the subscriber


def test_a_webhook_is_answered_and_kept_while_the_broker_is_down(partners, shop_payload, default_mappings, settings):
    # given
    settings.DELIVERY_REQUEUE_AFTER = 1
    settings.DELIVERY_WAKEUP = "publish"  # the request itself talks to the broker
    payload = {**shop_payload, "choco_user_id": 1234567, "imshop_uuid": "cfe64e76"}
    with broker_unreachable():
        # when
        started = time.monotonic()
        response = APIClient().put(webhook_url(), data=json.dumps(payload), content_type="application/json")
        took = time.monotonic() - started
    print(f"webhook answered in {took:.3f}s with the broker down")
    # then
    assert response.status_code == 200
    assert took < 10  # a sanity bound only: publishing gives up fast (CELERY_TASK_PUBLISH_RETRY_POLICY)
    assert Order.objects.filter(shop_order_id="115").exists()
    assert list(Delivery.objects.values_list("state", "enqueued_at")) == [("pending", None)] * 3


def test_the_sweeper_sends_what_waited_for_the_broker(partners, shop_payload, default_mappings, settings):
    # given: a webhook taken while the broker was down
    settings.DELIVERY_REQUEUE_AFTER = 1
    payload = {**shop_payload, "choco_user_id": 1234567, "imshop_uuid": "cfe64e76"}
    with broker_unreachable():
        APIClient().put(webhook_url(), data=json.dumps(payload), content_type="application/json")
    # when: the broker is back, beat sweeps and a worker runs
    with celery_worker() as worker:
        wait_with_worker(worker, _delivered, what="the deliveries to be sent once the broker is back")
    # then
    assert len(partners.requests_to(CHOCO_STATUS)) == 1
    assert len(partners.requests_to(IMSHOP_SYNC)) == 1
    assert len(partners.events_received()) == 1
