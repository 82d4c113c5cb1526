"""A worker killed (SIGKILL) while it waits on the partner: its lease runs out and another worker sends."""

from __future__ import annotations

import json
import os
import signal
import threading
from datetime import timedelta

import pytest
from django.utils import timezone
from rest_framework.test import APIClient
from werkzeug import Request, Response

from orders.models import Delivery
from orders.services.sweeper import deliveries_sweep
from tests.conftest import load_fixture, webhook_url
from tests.faults import delivery_states, lost_tasks_requeued_soon, wait_with_worker  # noqa: F401 - a fixture
from tests.partners import IMSHOP_SYNC
from tests.worker import celery_worker, wait_for

pytestmark = [pytest.mark.worker, pytest.mark.django_db(transaction=True),
              pytest.mark.usefixtures("lost_tasks_requeued_soon")]

# How long the hung partner holds the first request at most (the test releases it far sooner).
HANG_SECONDS = 60


def _delivered() -> bool:
    deliveries_sweep()  # what beat does every few seconds
    return delivery_states() == [("imshop", "delivered")]


def test_a_delivery_whose_worker_was_killed_mid_send_is_sent_by_another(partners, shop_payload, default_mappings):
    # given: Imshop holds the first request without answering, and the first worker waits on it
    arrived, release = threading.Event(), threading.Event()

    def hang(request: Request) -> Response:
        arrived.set()
        release.wait(HANG_SECONDS)
        return Response(json.dumps(load_fixture("imshop_status_response.json")), content_type="application/json")

    partners.unsubscribe()  # this is about Imshop's one delivery
    partners.server.expect_oneshot_request(IMSHOP_SYNC, method="POST").respond_with_handler(hang)
    payload = {**shop_payload, "imshop_uuid": "cfe64e76"}
    try:
        with celery_worker(PARTNER_READ_TIMEOUT=str(HANG_SECONDS)) as first:
            APIClient().put(webhook_url(), data=json.dumps(payload), content_type="application/json")
            wait_for(arrived.is_set, what="the first worker's request to reach Imshop")
            # when: that worker is killed mid-send; later its lease runs out and another worker starts
            os.kill(first.pid, signal.SIGKILL)
            first.wait(timeout=10)
    finally:
        release.set()  # the stand-in answers a socket nobody reads any more
    wait_for(lambda: partners.requests_to(IMSHOP_SYNC), what="the stand-in to log the request it held")
    seen_before_restart = len(partners.server.log)
    delivery = Delivery.objects.get()
    leased = (delivery.state, delivery.attempts, deliveries_sweep())
    Delivery.objects.filter(pk=delivery.pk).update(lease_until=timezone.now() - timedelta(seconds=1))  # time passes
    with celery_worker() as second:
        wait_with_worker(second, _delivered, what="the delivery to be sent by the second worker")
    # then
    assert leased == ("sending", 1, 0)  # while its lease runs, nobody takes the row from the dead worker
    delivery.refresh_from_db()
    assert delivery.attempts == 2
    # the dead worker's attempt was written before its request left, and says how it ended
    assert list(delivery.attempt_log.values_list("number", "outcome", "response_status")) == [
        (1, "interrupted", None), (2, "delivered", 200)]
    # both sends carried one id, so the partner could drop the repeat
    assert {r.headers.get("Idempotency-Key") for r in partners.requests_to(IMSHOP_SYNC)} == {
        f"hub-delivery-{delivery.pk}"}
    after_restart = [response for request, response in partners.server.log[seen_before_restart:]
                     if request.path == IMSHOP_SYNC]
    assert [response.status_code for response in after_restart] == [200]
