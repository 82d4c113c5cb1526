import json
from datetime import datetime
from decimal import Decimal
from unittest import mock
from zoneinfo import ZoneInfo

import pytest
from django.db import OperationalError

from integrations.models import InboundEvent
from orders.models import Order, StatusChange
from tests.conftest import status_code, webhook_url

pytestmark = pytest.mark.django_db


def test_order_created_stores_every_field(send_webhook, shop_payload):
    # given
    shop_payload["products"][0].update(url="https://shop.example/p/1", photo_url="https://shop.example/p/1.jpg")
    # when
    response = send_webhook(shop_payload)
    # then
    assert response.status_code == 200
    assert response.json() == {"order_id": "115", "created": True, "changed": [], "status": "new",
                               "status_changed": True}
    order = Order.objects.get(shop_order_id="115")
    assert order.shop_user_id == 99
    assert order.delivery_name == "sdbgdasgdasg"
    assert order.delivery_email == "dasgdsga@zz.cc"
    assert order.delivery_phone == "+38 (012) 421-42-14"
    assert order.delivery_city == "Киев"
    assert order.delivery_address == ""
    assert (order.delivery_type_id, order.delivery_type_title) == (42, "Самовывоз")
    assert order.delivery_price == Decimal("0")
    assert (order.payment_type_id, order.payment_type_title) == (13, "Наличными")
    assert order.payed is False
    assert order.total_default == Decimal("31799")
    assert order.total_sum == Decimal("31799")
    assert order.total_quantity == Decimal("1")
    assert order.discount_percent == order.discount_value == Decimal("0")
    assert order.coupon_code == ""
    assert order.coupon_percent == order.coupon_discount_value == Decimal("0")
    assert order.coupon_type == 0
    assert order.shop_status_id == 1
    assert status_code(order) == "new"
    assert order.stat_created == datetime(2016, 12, 5, 15, 46, 40, tzinfo=ZoneInfo("Europe/Kyiv"))
    assert order.currency == "UAH"
    assert order.order_without_callback is True
    assert order.raw_payload == shop_payload
    item = order.items.get()
    assert (item.title, item.article) == ('MacBook Air 11.6" 128 ГБ, Зеленый', "MJVM2UAA")
    assert (item.price, item.quantity, item.total_price) == (Decimal("31799"), Decimal("1"), Decimal("31799"))
    assert item.discount_marker == "DISCOUNT_CARD"
    assert (item.url, item.photo_url) == ("https://shop.example/p/1", "https://shop.example/p/1.jpg")


def test_first_status_is_recorded_as_history(send_webhook, shop_payload):
    # when
    send_webhook(shop_payload)
    # then
    change = StatusChange.objects.get()
    assert change.from_status is None
    assert change.to_status.code == "new"
    assert change.source == StatusChange.Source.SHOP_WEBHOOK


def test_same_payload_twice_changes_nothing(send_webhook, shop_payload):
    # given
    send_webhook(shop_payload)
    updated_at = Order.objects.get().updated_at
    # when
    response = send_webhook(shop_payload)
    # then
    assert response.status_code == 200
    assert response.json()["created"] is False
    assert response.json()["status_changed"] is False
    assert Order.objects.count() == 1
    assert Order.objects.get().updated_at == updated_at
    assert StatusChange.objects.count() == 1
    latest = InboundEvent.objects.order_by("-id").first()
    assert latest is not None
    assert latest.outcome == InboundEvent.Outcome.UNCHANGED


def test_an_order_announced_as_new_again_is_updated_not_created_twice(send_webhook, shop_payload):
    # given: the hub has the order (the announcement is inserted first, without a read)
    send_webhook(shop_payload)
    # when: the shop announces it as new once more, with a new status and comment
    response = send_webhook({**shop_payload, "stat_status": 6, "comment": "again"}, event="order_created")
    # then: the one order is updated, and its status moves once
    assert (response.status_code, response.json()["created"], response.json()["status"]) == (200, False, "shipping")
    order = Order.objects.get()
    assert (order.comment, status_code(order)) == ("again", "shipping")
    assert order.status_changes.count() == 2


def test_order_update_with_new_status_is_a_status_change(send_webhook, shop_payload):
    # given
    send_webhook(shop_payload)
    # when
    response = send_webhook({**shop_payload, "stat_status": 6}, event="order_update")
    # then
    assert response.json()["status"] == "shipping"
    assert response.json()["status_changed"] is True
    order = Order.objects.get()
    assert (status_code(order), order.shop_status_id) == ("shipping", 6)
    assert list(order.status_changes.values_list("to_status__code", flat=True)) == ["shipping", "new"]


def test_changed_fields_are_saved_without_a_status_change(send_webhook, shop_payload):
    # given
    send_webhook(shop_payload)
    # when
    response = send_webhook({**shop_payload, "payed": 1, "comment": "call first"}, event="order_paid")
    # then
    assert sorted(response.json()["changed"]) == ["comment", "payed"]
    order = Order.objects.get()
    assert order.payed is True
    assert order.comment == "call first"
    assert order.status_changes.count() == 1


def test_changed_items_are_replaced(send_webhook, shop_payload):
    # given
    send_webhook(shop_payload)
    second = {**shop_payload["products"][0], "article": "X2", "title": "Case"}
    # when
    response = send_webhook({**shop_payload, "products": [shop_payload["products"][0], second]})
    # then
    assert response.json()["changed"] == ["items"]
    assert list(Order.objects.get().items.values_list("article", flat=True)) == ["MJVM2UAA", "X2"]


def test_links_in_the_payload_are_kept(send_webhook, shop_payload):
    # when
    send_webhook({**shop_payload, "choco_user_id": 1234567, "imshop_uuid": "f5315818-cccc"})
    # then
    order = Order.objects.get()
    assert (order.choco_user_id, order.imshop_uuid) == (1234567, "f5315818-cccc")


def test_unknown_shop_status_gets_a_placeholder_mapping_that_sends_nothing(send_webhook, shop_payload):
    # when
    response = send_webhook({**shop_payload, "stat_status": 17})
    # then
    assert response.status_code == 200
    order = Order.objects.get()
    assert order.status is not None
    assert order.status.shop_status_id == 17
    assert order.status.needs_setup is True
    assert order.deliveries.count() == 0


def test_numbers_as_strings_and_empty_values_are_tolerated(send_webhook, shop_payload):
    # given
    shop_payload.update(total_sum="31 799,50", delivery_price="", coupon_code=None, user=None, stat_created="")
    shop_payload["unknown_new_field"] = {"anything": True}
    # when
    response = send_webhook(shop_payload)
    # then
    assert response.status_code == 200, response.json()
    order = Order.objects.get()
    assert order.total_sum == Decimal("31799.50")
    assert order.delivery_price is None
    assert order.stat_created is None


@pytest.mark.parametrize("event", ["order_created", "order_update", "order_paid"])
def test_post_is_accepted_like_put(api_client, shop_payload, event):
    # when
    response = api_client.post(webhook_url(event), data=shop_payload, format="json")
    # then
    assert response.status_code == 200
    assert Order.objects.filter(shop_order_id="115").exists()


def test_bearer_header_works_instead_of_query_token(api_client, shop_payload):
    # when
    response = api_client.put(webhook_url(token=None), data=shop_payload, format="json",
                               HTTP_AUTHORIZATION="Bearer test-shop-token")
    # then
    assert response.status_code == 200


def test_missing_token_is_401_and_kept(api_client, shop_payload):
    # when
    response = api_client.put(webhook_url(token=None), data=shop_payload, format="json")
    # then
    assert response.status_code == 401
    assert response.json() == {"message": "token: missing.", "fields": {}}
    event = InboundEvent.objects.get()
    assert (event.outcome, event.response_status) == (InboundEvent.Outcome.REFUSED, 401)
    assert json.loads(event.body) == shop_payload
    assert not Order.objects.exists()


def test_wrong_token_is_403_and_masked_in_the_record(api_client, shop_payload):
    # when
    response = api_client.put(webhook_url(token="guess"), data=shop_payload, format="json")
    # then
    assert response.status_code == 403
    assert response.json()["message"] == "token: wrong token."
    assert "guess" not in InboundEvent.objects.get().path


def test_right_token_is_not_stored(send_webhook, shop_payload):
    # when
    send_webhook(shop_payload)
    # then
    event = InboundEvent.objects.get()
    assert "test-shop-token" not in event.path
    assert event.path.endswith("token=***")


def test_webhooks_are_refused_until_the_token_is_set(send_webhook, shop_payload, settings):
    # given
    settings.SHOP_WEBHOOK_TOKEN = ""
    # when
    response = send_webhook(shop_payload)
    # then
    assert response.status_code == 403
    assert "SHOP_WEBHOOK_TOKEN" in response.json()["message"]


def test_malformed_json_is_400_and_kept(api_client):
    # when
    response = api_client.put(webhook_url(), data='{"order_id": 115,', content_type="application/json")
    # then
    assert response.status_code == 400
    assert response.json()["message"].startswith("JSON parse error")
    event = InboundEvent.objects.get()
    assert event.body == '{"order_id": 115,'
    assert event.outcome == InboundEvent.Outcome.REFUSED


def test_json_that_is_not_an_object_is_400(api_client):
    # when
    response = api_client.put(webhook_url(), data="[1, 2]", content_type="application/json")
    # then
    assert response.status_code == 400
    assert response.json()["message"] == "Expected a JSON object."


def test_missing_fields_are_named(send_webhook, shop_payload):
    # given
    del shop_payload["order_id"]
    del shop_payload["stat_status"]
    # when
    response = send_webhook(shop_payload)
    # then
    assert response.status_code == 400
    body = response.json()
    assert body["fields"] == {"order_id": ["This field is required."], "stat_status": ["This field is required."]}
    assert body["message"] == "order_id: This field is required. | stat_status: This field is required."


def test_wrongly_typed_fields_are_named(send_webhook, shop_payload):
    # given
    shop_payload.update(stat_status="new", total_sum="a lot", stat_created="yesterday")
    shop_payload["products"][0]["price"] = {"amount": 1}
    # when
    response = send_webhook(shop_payload)
    # then
    assert response.status_code == 400
    fields = response.json()["fields"]
    assert set(fields) == {"stat_status", "total_sum", "stat_created", "products.0.price"}
    assert fields["stat_status"] == ["A valid integer is required."]


def test_a_body_over_one_mebibyte_is_413_and_its_head_kept(api_client, shop_payload):
    # given
    shop_payload["comment"] = "x" * (1024 * 1024)
    # when
    response = api_client.put(webhook_url(), data=json.dumps(shop_payload), content_type="application/json")
    # then
    assert response.status_code == 413
    assert response.json()["message"] == "The body is larger than the hub accepts (1,048,576 bytes at most)."
    event = InboundEvent.objects.get()
    assert event.body_size > 1024 * 1024
    assert event.body.startswith('{"order_id": 115')
    assert event.response_status == 413


def test_unknown_event_is_404_naming_the_event(send_webhook, shop_payload):
    # when
    response = send_webhook(shop_payload, event="user_signup")
    # then
    assert response.status_code == 404
    assert response.json()["fields"] == {
        "event": ["Unknown event 'user_signup'; expected one of order_created, order_update, order_paid."]
    }


def test_delete_from_horoshop_is_answered_and_recorded(api_client):
    # when
    response = api_client.delete(webhook_url("order_created"))
    # then
    assert response.status_code == 200
    event = InboundEvent.objects.get()
    assert (event.method, event.outcome) == ("DELETE", InboundEvent.Outcome.ACCEPTED)


def test_database_down_is_503_not_500(send_webhook, shop_payload):
    # given: the request's first write fails as it does when PostgreSQL is gone
    with mock.patch("orders.services.intake._lock_or_create", side_effect=OperationalError("gone")):
        # when
        response = send_webhook(shop_payload)
    # then
    assert response.status_code == 503
    assert response.json()["message"] == "The database is unavailable; try again later."


@pytest.mark.django_db(transaction=True)
def test_a_request_the_database_could_not_keep_is_not_answered_200(api_client, shop_payload, default_mappings):
    # given: the order is taken, then writing the request with its outcome fails
    with mock.patch("integrations.api.base.inbound_event_store", side_effect=OperationalError("gone")):
        # when
        response = api_client.put(webhook_url(), data=json.dumps(shop_payload), content_type="application/json")
    # then: the shop is told to come back (it retries), and nothing half-kept stays behind
    assert response.status_code == 503
    assert (Order.objects.count(), InboundEvent.objects.count()) == (0, 0)


@pytest.mark.postgres
@pytest.mark.django_db(transaction=True)
def test_concurrent_copies_of_one_webhook_make_one_order(shop_payload, default_mappings):
    # given
    from rest_framework.test import APIClient

    from tests.concurrency import run_together

    body = json.dumps(shop_payload)

    def send() -> int:
        return APIClient().put(webhook_url(), data=body, content_type="application/json").status_code

    # when
    statuses = run_together(*[send] * 10)
    # then
    assert statuses == [200] * 10
    assert Order.objects.count() == 1
    assert Order.objects.get().items.count() == 1
    assert StatusChange.objects.count() == 1
    assert InboundEvent.objects.count() == 10


@pytest.mark.django_db(transaction=True)
def test_a_webhook_is_taken_in_one_commit(shop_payload, default_mappings, partners, monkeypatch):
    # given: every commit, and every write with whether it ran inside a transaction, is recorded
    from django.db import connection
    from django.db.backends.base.base import BaseDatabaseWrapper
    from rest_framework.test import APIClient

    commits, writes = [], []
    real_commit = BaseDatabaseWrapper.commit

    def counted(self):
        commits.append(self.alias)
        return real_commit(self)

    statements = []

    def watch(execute, sql, params, many, context):
        text = sql.lstrip().upper()
        statements.append(text)
        if text.startswith(("INSERT", "UPDATE", "DELETE")) or (text.startswith("WITH") and "INSERT" in text):
            writes.append(connection.in_atomic_block)
        return execute(sql, params, many, context)

    monkeypatch.setattr(BaseDatabaseWrapper, "commit", counted)
    payload = {**shop_payload, "choco_user_id": 1234567, "imshop_uuid": "cfe64e76"}
    # when
    with connection.execute_wrapper(watch):
        response = APIClient().put(webhook_url(), data=json.dumps(payload), content_type="application/json")
    # then: the request, the order, its items, history, deliveries and the outcome, together
    assert response.status_code == 200
    assert commits == ["default"]
    assert len(writes) >= 5  # the order, its items, history, deliveries (one INSERT) and the request
    assert all(writes)
    # No savepoint round trips on the way: only a failure pays for keeping the request apart.
    assert not [text for text in statements if text.startswith(("SAVEPOINT", "RELEASE"))]
    event = InboundEvent.objects.get()
    assert event.order is not None
    assert (event.outcome, event.order.shop_order_id) == ("accepted", "115")
    assert Order.objects.get().deliveries.count() == 3  # Choco, Imshop and the subscriber


@pytest.mark.django_db(transaction=True)
def test_a_body_refused_half_way_is_kept_with_its_outcome(shop_payload, default_mappings, monkeypatch):
    # given: the order's write fails after the request was recorded
    from django.db import IntegrityError
    from rest_framework.test import APIClient

    def fail(**kwargs):
        raise IntegrityError("the order's write failed")

    monkeypatch.setattr("integrations.horoshop.intake.order_upsert_from_shop", fail)
    # when
    response = APIClient(raise_request_exception=False).put(
        webhook_url(), data=json.dumps(shop_payload), content_type="application/json")
    # then
    assert response.status_code >= 400
    event = InboundEvent.objects.get()
    assert event.response_status == response.status_code
    assert Order.objects.count() == 0

