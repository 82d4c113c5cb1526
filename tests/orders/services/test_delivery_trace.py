"""At-least-once delivery: partners get a stable id to drop duplicates, and every send leaves a trace first."""

from __future__ import annotations

import json

import pytest
from django.db import connections
from werkzeug import Request, Response

from orders.models import Delivery, DeliveryAttempt
from orders.services.dispatch import delivery_send
from tests.conftest import load_fixture
from tests.partners import IMSHOP_SYNC

# Committed rows must be visible to the partner stand-in's thread, as to an operator during a send.
pytestmark = pytest.mark.django_db(transaction=True)


def test_an_attempt_is_on_record_before_the_request_leaves(make_order, partners):
    # given: Imshop looks at the hub's attempts while the hub's request is in its hands
    delivery = make_order(imshop_uuid="u-1").deliveries.get(channel="imshop")
    seen: list[tuple] = []

    def imshop(request: Request) -> Response:
        seen.extend(DeliveryAttempt.objects.filter(delivery=delivery).values_list("number", "outcome"))
        connections.close_all()  # this thread's connection; the test's own is another
        return Response(json.dumps(load_fixture("imshop_status_response.json")), content_type="application/json")

    partners.server.clear()
    partners.server.expect_request(IMSHOP_SYNC, method="POST").respond_with_handler(imshop)
    # when
    delivery_send(delivery_id=delivery.pk)
    # then: while in flight the attempt said "sending"; afterwards it holds the outcome
    assert seen == [(1, "sending")]
    attempt = DeliveryAttempt.objects.get(delivery=delivery)
    assert (attempt.outcome, attempt.response_status) == ("delivered", 200)


def test_partners_get_the_same_delivery_id_on_every_retry(make_order, partners, settings):
    # given: Imshop fails once, then accepts
    settings.DELIVERY_RETRY_SCHEDULE = [0]
    delivery = make_order(imshop_uuid="u-1").deliveries.get(channel="imshop")
    partners.server.clear()
    partners.answer(IMSHOP_SYNC, "POST", status=503, body={"success": False}, once=True)
    partners.answer(IMSHOP_SYNC, "POST", body=load_fixture("imshop_status_response.json"))
    # when
    delivery_send(delivery_id=delivery.pk)
    Delivery.objects.filter(pk=delivery.pk).update(next_attempt_at=None)
    delivery_send(delivery_id=delivery.pk)
    # then
    keys = [(r.headers.get("Idempotency-Key"), r.headers.get("X-Hub-Delivery-Id"))
            for r in partners.requests_to(IMSHOP_SYNC)]
    assert keys == [(f"hub-delivery-{delivery.pk}", str(delivery.pk))] * 2
    assert list(DeliveryAttempt.objects.filter(delivery=delivery).values_list("outcome", flat=True)) == [
        "retry", "delivered"]
