import json

import pytest
from django.urls import reverse

from integrations.models import InboundEvent
from orders.models import Order
from tests.conftest import load_fixture, status_code

pytestmark = pytest.mark.django_db
URL = "/api/callbacks/imshop/cancel/"


def post(client, body, key: str | None = "test-imshop-key"):
    headers = {"HTTP_AUTHORIZATION": f"Bearer {key}"} if key else {}
    return client.post(URL, data=json.dumps(body), content_type="application/json", **headers)


def test_url_is_the_documented_one():
    assert reverse("imshop-cancel") == URL


def test_current_shape_cancels_and_answers_both_generations(api_client, make_order):
    # given
    make_order(order_id=12345, imshop_uuid="cfe64e76")
    # when
    response = post(api_client, load_fixture("imshop_cancel_callback_request.json"))
    # then
    assert response.status_code == 200
    assert response.json() == {**load_fixture("imshop_cancel_callback_response.json"),
                               **load_fixture("imshop_cancel_callback_response_legacy.json")}
    order = Order.objects.get(shop_order_id="12345")
    assert status_code(order) == "cancelled"
    change = order.status_changes.first()
    assert change is not None
    assert (change.source, change.reason) == ("imshop", "Не дозвонились, купил в другом магазине")


def test_legacy_shape_finds_the_order_by_internal_id(api_client, make_order):
    # given
    make_order(order_id=12345, imshop_uuid="cfe64e76")
    # when
    response = post(api_client, load_fixture("imshop_cancel_callback_request_legacy.json"))
    # then
    assert response.json()["newStatus"] == "cancelled"
    assert status_code(Order.objects.get(shop_order_id="12345")) == "cancelled"


def test_legacy_shape_finds_the_order_by_uuid(api_client, make_order):
    # given
    make_order(order_id=777, imshop_uuid="f5315818-cccc-4444-aaaa-31b6aebceb54")
    # when
    response = post(api_client, {"uuid": "f5315818-cccc-4444-aaaa-31b6aebceb54", "reason": "передумал"})
    # then
    assert response.json()["success"] is True
    assert status_code(Order.objects.get(shop_order_id="777")) == "cancelled"


def test_key_in_the_body_authenticates(api_client, make_order):
    # given
    make_order(order_id=12345, imshop_uuid="cfe64e76")
    body = {**load_fixture("imshop_cancel_callback_request.json"), "key": "test-imshop-key"}
    # when
    response = post(api_client, body, key=None)
    # then
    assert response.json()["success"] is True
    assert "test-imshop-key" not in InboundEvent.objects.get().body


def test_a_body_over_the_limit_with_its_key_inside_is_413_not_401(api_client, make_order):
    # given: the key is in the body, and the body is over the limit (so the hub reads neither)
    make_order(order_id=12345, imshop_uuid="cfe64e76")
    body = {**load_fixture("imshop_cancel_callback_request.json"), "key": "test-imshop-key",
            "reason": "x" * (1024 * 1024)}
    # when
    response = post(api_client, body, key=None)
    # then: the answer says what is wrong, and the request is kept (its head only, the key masked)
    assert response.status_code == 413
    assert response.json()["message"] == "The body is larger than the hub accepts (1,048,576 bytes at most)."
    event = InboundEvent.objects.get()
    assert (event.response_status, event.outcome) == (413, InboundEvent.Outcome.REFUSED)
    assert event.body_size > 1024 * 1024
    assert 0 < len(event.body) <= 4 * 1024
    assert "test-imshop-key" not in event.body
    assert status_code(Order.objects.get(shop_order_id="12345")) == "new"


@pytest.mark.parametrize(("key", "body_key", "status"), [(None, None, 401), ("wrong", None, 403), (None, "bad", 403)])
def test_missing_or_wrong_key_is_refused(api_client, make_order, key, body_key, status):
    # given
    make_order(order_id=12345, imshop_uuid="cfe64e76")
    body = load_fixture("imshop_cancel_callback_request.json")
    if body_key:
        body["key"] = body_key
    # when
    response = post(api_client, body, key=key)
    # then
    assert response.status_code == status
    assert status_code(Order.objects.get(shop_order_id="12345")) == "new"
    assert InboundEvent.objects.get().outcome == InboundEvent.Outcome.REFUSED


def test_unknown_order_is_success_false_with_a_message(api_client):
    # when
    response = post(api_client, {"id": "404", "status": "canceled"})
    # then
    assert response.status_code == 200
    assert response.json() == {"success": False, "message": "Order 404 is not known to the shop."}


def test_delivered_order_cannot_be_cancelled(api_client, make_order):
    # given
    make_order(order_id=12345, stat_status=3, imshop_uuid="cfe64e76")
    # when
    response = post(api_client, {"id": "12345", "status": "canceled"})
    # then
    assert response.json() == {
        "success": False,
        "message": "Order 12345 is already 'Доставлен' and can no longer be cancelled.",
    }
    assert status_code(Order.objects.get(shop_order_id="12345")) == "delivered"


def test_repeated_callback_answers_the_same_and_changes_nothing(api_client, make_order):
    # given
    make_order(order_id=12345, imshop_uuid="cfe64e76")
    first = post(api_client, {"id": "12345", "status": "canceled", "reason": "x"})
    # when
    second = post(api_client, {"id": "12345", "status": "canceled", "reason": "x"})
    # then
    assert second.json() == first.json()
    assert Order.objects.get(shop_order_id="12345").status_changes.count() == 2


@pytest.mark.parametrize(("body", "message"), [
    ("{not json", "JSON parse error"),
    ('{"status": "canceled"}', "id: Required"),
    ('["12345"]', "Invalid data"),
])
def test_bad_bodies_are_400_json(api_client, body, message):
    # when
    response = api_client.post(URL, data=body, content_type="application/json",
                               HTTP_AUTHORIZATION="Bearer test-imshop-key")
    # then
    assert response.status_code == 400
    assert message in response.json()["message"]


@pytest.mark.parametrize("status", ["done", "delivered", "processing", "closed", "canceled-not"])
def test_a_status_that_is_not_a_cancellation_cancels_nothing(api_client, make_order, status):
    # given
    make_order(order_id=900, imshop_uuid="cfe64e76")
    # when
    response = post(api_client, {"id": "900", "status": status})
    # then
    assert response.status_code == 200
    assert response.json()["success"] is False
    assert "cancel" in response.json()["message"]
    order = Order.objects.get(shop_order_id="900")
    assert (status_code(order), order.status_changes.count()) == ("new", 1)


@pytest.mark.parametrize("status", ["canceled", "cancelled", " CANCELED ", ""])
def test_a_cancellation_in_any_spelling_or_with_no_status_cancels(api_client, make_order, status):
    # given
    make_order(order_id=900, imshop_uuid="cfe64e76")
    # when
    response = post(api_client, {"id": "900", "status": status})
    # then
    assert response.json()["success"] is True
    assert status_code(Order.objects.get(shop_order_id="900")) == "cancelled"


def test_an_order_never_linked_to_imshop_cannot_be_cancelled_from_it(api_client, make_order):
    # given: an order placed on the website, not in the app
    make_order(order_id=901)
    # when
    response = post(api_client, {"id": "901", "status": "canceled"})
    # then
    assert response.json() == {"success": False, "message": "Order 901 was not placed through the Imshop app."}
    assert status_code(Order.objects.get(shop_order_id="901")) == "new"


def test_when_every_order_is_synced_to_imshop_any_order_can_be_cancelled_from_it(api_client, make_order, settings):
    # given
    settings.IMSHOP_SYNC_ALL_ORDERS = True
    make_order(order_id=901)
    # when
    response = post(api_client, {"id": "901", "status": "canceled"})
    # then
    assert response.json()["success"] is True
