"""Choco and Imshop down (nothing listening) for the whole retry schedule, then back: a resend delivers once."""

from __future__ import annotations

import json
from collections.abc import Iterator

import pytest
from pytest_httpserver import HTTPServer
from rest_framework.test import APIClient

from orders.models import Delivery
from orders.services.outbox import deliveries_resend
from orders.services.sweeper import deliveries_sweep
from tests.conftest import load_fixture, webhook_url
from tests.faults import delivery_states, lost_tasks_requeued_soon, wait_with_worker  # noqa: F401 - a fixture
from tests.worker import celery_worker

pytestmark = [pytest.mark.worker, pytest.mark.django_db(transaction=True),
              pytest.mark.usefixtures("lost_tasks_requeued_soon")]

CHOCO_AUTH, CHOCO_STATUS = "/choco/auth/token", "/choco/orders/v2/preorder/external/status"
IMSHOP_SYNC = "/imshop/statuses/sync"
# Three tries in all (the first and two retries), 0.2 s apart, then the delivery fails.
SCHEDULE = "0.2,0.2"


@pytest.fixture
def partner_host(settings) -> Iterator[HTTPServer]:
    """Choco and Imshop on one loopback host, configured but stopped: connections to it are refused.

    `start()` brings it back on the same port, answering as the partners' documents show.
    """
    server = HTTPServer(host="127.0.0.1", port=0, threaded=True)
    server.expect_request(CHOCO_AUTH, method="POST").respond_with_json(load_fixture("choco_auth_token_response.json"))
    server.expect_request(CHOCO_STATUS, method="PUT").respond_with_json(load_fixture("choco_status_response.json"))
    server.expect_request(IMSHOP_SYNC, method="POST").respond_with_json(load_fixture("imshop_status_response.json"))
    server.start()  # only to be given a free port, which it keeps
    server.stop()
    settings.CHOCO_API_URL = server.url_for("/choco")
    settings.CHOCO_CLIENT_ID, settings.CHOCO_CLIENT_SECRET = "merchant-client-id", "merchant-client-secret"
    settings.IMSHOP_STATUS_URL, settings.IMSHOP_API_KEY = server.url_for(IMSHOP_SYNC), "imshop-api-key"
    settings.PARTNER_CONNECT_TIMEOUT, settings.PARTNER_READ_TIMEOUT = 1, 1
    try:
        yield server
    finally:
        if server.is_running():
            server.stop()


def _answered(server: HTTPServer, path: str, status: int) -> int:
    return sum(1 for request, response in server.log if request.path == path and response.status_code == status)


def _failed_for_good() -> bool:
    deliveries_sweep()  # what beat does every few seconds
    return delivery_states() == [("choco", "failed"), ("imshop", "failed")]


def _resends_delivered() -> bool:
    deliveries_sweep()
    return delivery_states(resend_of__isnull=False) == [("choco", "delivered"), ("imshop", "delivered")]


def test_deliveries_fail_visibly_when_the_partner_is_down_for_the_whole_schedule(
    partner_host, shop_payload, default_mappings
):
    # given
    payload = {**shop_payload, "choco_user_id": 1234567, "imshop_uuid": "cfe64e76"}
    with celery_worker(DELIVERY_RETRY_SCHEDULE=SCHEDULE) as worker:
        # when
        response = APIClient().put(webhook_url(), data=json.dumps(payload), content_type="application/json")
        wait_with_worker(worker, _failed_for_good, what="both deliveries to fail")
    # then
    assert response.status_code == 200
    for delivery in Delivery.objects.all():
        assert delivery.attempts == 3
        assert delivery.last_error.startswith("Gave up after 3 attempts: Connection failed")
        assert list(delivery.attempt_log.values_list("number", "outcome")) == [
            (1, "retry"), (2, "retry"), (3, "rejected")]
    detail = APIClient().get("/api/orders/115/", HTTP_AUTHORIZATION="Bearer test-api-token").json()
    assert sorted((d["channel"], d["state"], d["attempts"]) for d in detail["deliveries"]) == [
        ("choco", "failed", 3), ("imshop", "failed", 3)]
    assert all(d["last_error"] for d in detail["deliveries"])


def test_a_resend_after_the_partner_is_back_delivers_each_once(partner_host, shop_payload, default_mappings):
    # given: the schedule spent while the partner was down
    payload = {**shop_payload, "choco_user_id": 1234567, "imshop_uuid": "cfe64e76"}
    with celery_worker(DELIVERY_RETRY_SCHEDULE=SCHEDULE) as worker:
        APIClient().put(webhook_url(), data=json.dumps(payload), content_type="application/json")
        wait_with_worker(worker, _failed_for_good, what="both deliveries to fail")
        failed = list(Delivery.objects.values_list("pk", flat=True))
        partner_host.start()
        # when
        resent = deliveries_resend(delivery_ids=failed)
        wait_with_worker(worker, _resends_delivered, what="the resends to be delivered")
        left = deliveries_sweep()
    # then
    assert resent == (2, 0)
    assert left == 0
    assert _answered(partner_host, CHOCO_STATUS, 200) == 1
    assert _answered(partner_host, IMSHOP_SYNC, 200) == 1
    assert len(partner_host.log) == 3  # Choco's token, Choco's status, Imshop's status
    assert sorted(Delivery.objects.filter(resend_of__isnull=True).values_list("state", flat=True)) == [
        "failed", "failed"]
