"""From a webhook or callback to the partners, through a real broker and a real Celery worker."""

import json

import pytest
from rest_framework.test import APIClient

from integrations.models import Delivery
from tests.conftest import webhook_url
from tests.partners import CHOCO_STATUS, HOROSHOP_UPDATE, IMSHOP_SYNC
from tests.worker import celery_worker, wait_for

pytestmark = [pytest.mark.worker, pytest.mark.django_db(transaction=True)]


def states() -> list[tuple[str, str]]:
    return sorted(Delivery.objects.values_list("channel", "state"))


def test_webhook_reaches_choco_and_imshop_through_a_worker(partners, shop_payload, default_mappings):
    # given
    payload = {**shop_payload, "choco_user_id": 1234567, "imshop_uuid": "cfe64e76"}
    with celery_worker():
        # when
        response = APIClient().put(webhook_url(), data=json.dumps(payload), content_type="application/json")
        # then
        assert response.status_code == 200
        wait_for(lambda: states() == [("choco", "delivered"), ("imshop", "delivered")], what="deliveries")
    assert len(partners.requests_to(CHOCO_STATUS)) == 1
    assert json.loads(partners.requests_to(IMSHOP_SYNC)[0].get_data())["code"] == "new"
    assert partners.requests_to(HOROSHOP_UPDATE) == []


def test_imshop_cancellation_reaches_choco_and_the_shop_not_imshop(partners, make_order):
    # given
    order = make_order(order_id=12345, choco_user_id=1234567, imshop_uuid="cfe64e76")
    Delivery.objects.all().delete()  # what the creation sent is not this test's business
    client = APIClient()
    client.credentials(HTTP_AUTHORIZATION="Bearer test-imshop-key")
    body = {"id": "12345", "status": "canceled", "reason": "Купил в другом магазине"}
    with celery_worker():
        # when
        first = client.post("/api/callbacks/imshop/cancel/", body, format="json")
        again = client.post("/api/callbacks/imshop/cancel/", body, format="json")
        # then
        wait_for(lambda: states() == [("choco", "delivered"), ("shop", "delivered")], what="deliveries")
    assert first.json()["success"] is True
    assert again.json() == first.json()
    assert json.loads(partners.requests_to(HOROSHOP_UPDATE)[0].get_data())["orders"] == [
        {"order_id": 12345, "status": 4}]
    choco = partners.requests_to(CHOCO_STATUS)
    assert len(choco) == 1
    assert "external_status=cancelled" in choco[0].get_data(as_text=True)
    assert partners.requests_to(IMSHOP_SYNC) == []
    assert order.status_changes.count() == 2
