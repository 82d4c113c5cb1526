"""Twenty copies of one webhook at once (PostgreSQL): one order, one delivery per channel, one request each."""

from __future__ import annotations

import json

import pytest
from rest_framework.test import APIClient

from integrations.models import InboundEvent
from orders.models import Delivery, Order, StatusChange
from orders.services.sweeper import deliveries_sweep
from tests.concurrency import run_together
from tests.conftest import webhook_url
from tests.faults import delivery_states, lost_tasks_requeued_soon, wait_with_worker  # noqa: F401 - a fixture
from tests.partners import CHOCO_STATUS, IMSHOP_SYNC
from tests.worker import celery_worker

pytestmark = [pytest.mark.postgres, pytest.mark.django_db(transaction=True),
              pytest.mark.usefixtures("lost_tasks_requeued_soon")]

COPIES = 20


def _burst(body: str) -> list[int]:
    """Send `body` from COPIES threads released together; the status codes they got."""
    def send() -> int:
        return APIClient().put(webhook_url(), data=body, content_type="application/json").status_code

    return run_together(*[send] * COPIES)


def _delivered() -> bool:
    deliveries_sweep()  # what beat does every few seconds
    states = delivery_states()
    return len(states) == 3 and {state for _, state in states} == {"delivered"}  # Choco, Imshop, the subscriber


def test_a_burst_of_one_webhook_makes_one_order_and_one_delivery_per_channel(partners, shop_payload, default_mappings):
    # given
    body = json.dumps({**shop_payload, "choco_user_id": 1234567, "imshop_uuid": "cfe64e76"})
    # when
    statuses = _burst(body)
    # then
    assert statuses == [200] * COPIES
    assert Order.objects.count() == 1
    assert StatusChange.objects.count() == 1
    assert sorted(Delivery.objects.values_list("channel", flat=True)) == ["choco", "imshop",
                                                                          partners.subscription.channel]
    assert InboundEvent.objects.count() == COPIES


@pytest.mark.worker
def test_a_burst_of_one_webhook_reaches_each_partner_once(partners, shop_payload, default_mappings):
    # given
    body = json.dumps({**shop_payload, "choco_user_id": 1234567, "imshop_uuid": "cfe64e76"})
    with celery_worker() as worker:
        # when
        _burst(body)
        wait_with_worker(worker, _delivered, what="the three deliveries")
    # then
    assert len(partners.requests_to(CHOCO_STATUS)) == 1
    assert len(partners.requests_to(IMSHOP_SYNC)) == 1
    assert len(partners.events_received()) == 1
