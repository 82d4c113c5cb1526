"""From a webhook or callback to the partners, through a real broker and a real Celery worker."""

import json
from urllib.parse import parse_qs

import pytest
from rest_framework.test import APIClient

from orders.models import Delivery, Order
from tests.conftest import webhook_url
from tests.partners import CHOCO_STATUS, HOROSHOP_GET, HOROSHOP_UPDATE, IMSHOP_SYNC
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
        wait_for(lambda: states() == [("choco", "delivered"), ("imshop", "delivered"),
                                      (partners.subscription.channel, "delivered")], what="deliveries")
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
        wait_for(lambda: states() == [("choco", "delivered"), ("shop", "delivered"),
                                      (partners.subscription.channel, "delivered")], what="deliveries")
    assert first.json()["success"] is True
    assert again.json() == first.json()
    assert json.loads(partners.requests_to(HOROSHOP_UPDATE)[0].get_data())["orders"] == [
        {"order_id": 12345, "status": 4}]
    choco = partners.requests_to(CHOCO_STATUS)
    assert len(choco) == 1
    assert "external_status=cancelled" in choco[0].get_data(as_text=True)
    assert partners.requests_to(IMSHOP_SYNC) == []
    assert order.status_changes.count() == 2


def sent_codes(partners) -> tuple[list[str], list[str]]:
    choco = [parse_qs(r.get_data(as_text=True))["external_status"][0] for r in partners.requests_to(CHOCO_STATUS)]
    imshop = [json.loads(r.get_data())["code"] for r in partners.requests_to(IMSHOP_SYNC)]
    return choco, imshop


def test_production_profile_webhook_confirmation_and_poll_reach_both_apps(partners, shop_payload, default_mappings):
    """The shop's API is on: a webhook's status is confirmed through orders/get, which answers with
    the very body the webhook carried, and a change made only in the shop is caught by the poll."""
    # given: the shop holds order 115, linked to both apps
    from integrations.tasks import horoshop_poll_task

    partners.shop_has({**shop_payload, "choco_user_id": 1234567, "imshop_uuid": "cfe64e76"})
    client = APIClient()
    with celery_worker():
        # when: the order is placed
        assert partners.shop_sends(client, "order_created", 115).status_code == 200
        wait_for(lambda: sent_codes(partners) == (["new"], ["new"]), what="the new order at both apps")
        # and a manager ships it in the shop, which announces it
        partners.shop_orders["115"]["stat_status"] = 6
        assert partners.shop_sends(client, "order_update", 115).status_code == 200
        wait_for(lambda: sent_codes(partners) == (["new", "shipping"], ["new", "shipping"]),
                 what="the confirmed status at both apps")
        # and marks it delivered in the shop, with no webhook at all
        partners.shop_orders["115"]["stat_status"] = 3
        horoshop_poll_task.delay()
        wait_for(lambda: sent_codes(partners) == (["new", "shipping", "delivered"], ["new", "shipping", "delivered"]),
                 what="the polled status at both apps")
    # then
    assert partners.requests_to(HOROSHOP_UPDATE) == []  # nothing the shop said is echoed back to it
    assert [json.loads(r.get_data()).get("ids") for r in partners.requests_to(HOROSHOP_GET)][0] == [115]
    order = Order.objects.get(shop_order_id="115")
    assert list(order.status_changes.values_list("to_status__code", "source")) == [
        ("delivered", "shop_poll"), ("shipping", "shop_webhook"), ("new", "shop_webhook")]
