"""The sandbox Horoshop API: `auth`, `orders/update|get|get_available_statuses`, hooks, and its envelopes."""

from __future__ import annotations

import copy
import json
from datetime import timedelta
from typing import Any

import pytest
from django.urls import reverse
from django.utils import timezone

from integrations.sandbox.models import SandboxRequest, SandboxShopOrder, SandboxToken
from integrations.sandbox.services import sandbox_shop_order_set
from tests.conftest import load_fixture

pytestmark = pytest.mark.django_db

UNAUTHORIZED = {"status": "UNAUTHORIZED", "response": {"message": "token: missing, unknown or older than 600 s"}}


@pytest.fixture(autouse=True)
def horoshop_login(settings) -> None:
    settings.HOROSHOP_LOGIN, settings.HOROSHOP_PASSWORD = "api-manager", "secret"


def url(function: str) -> str:
    return reverse("sandbox:horoshop", kwargs={"function": function})


def call(client, function: str, body: Any):
    data = body if isinstance(body, bytes) else json.dumps(body, ensure_ascii=False)
    return client.post(url(function), data, content_type="application/json")


@pytest.fixture
def token(client) -> str:
    return call(client, "auth", load_fixture("horoshop_auth_request.json")).json()["response"]["token"]


def error(message: str, status: str = "ERROR") -> dict[str, Any]:
    return {"status": status, "response": {"message": message}}


def test_auth_issues_a_32_character_token(client):
    # when
    response = call(client, "auth", load_fixture("horoshop_auth_request.json"))
    # then
    body = response.json()
    assert (response.status_code, body["status"], len(body["response"]["token"])) == (200, "OK", 32)
    record = SandboxRequest.objects.get()
    assert '"password": "***"' in record.body
    assert body["response"]["token"] not in record.response_body


def test_auth_refuses_a_wrong_password(client):
    # when
    response = call(client, "auth", {"login": "api-manager", "password": "guess"})
    # then
    assert response.json() == error("login/password: not HOROSHOP_LOGIN/HOROSHOP_PASSWORD")
    assert not SandboxToken.objects.exists()


def test_orders_update_answers_like_the_sample_and_keeps_the_status(client, token):
    # given
    body = {**load_fixture("horoshop_orders_update_request.json"), "token": token}
    # when
    response = call(client, "orders/update", body)
    # then
    assert response.json() == load_fixture("horoshop_orders_update_response.json")
    assert list(SandboxShopOrder.objects.values_list("order_id", "status")) == [("115", 4)]


def test_orders_update_reports_each_bad_order_and_applies_the_good_ones(client, token):
    # given
    orders = [{"order_id": 115, "status": 2}, {"order_id": 116, "status": 5}, {"order_id": 117, "status": "3"},
              {"order_id": 118, "status": 3, "paid": 1}]
    # when
    response = call(client, "orders/update", {"token": token, "orders": orders})
    # then
    assert response.json() == {"status": "WARNING", "response": {"log": [
        {"order_id": 115, "status": "OK", "message": "Order updated"},
        {"order_id": 116, "status": "ERROR", "message": "orders[1][status]: unknown status 5"},
        {"order_id": 117, "status": "ERROR", "message": "orders[2][status]: must be an integer"},
        {"order_id": 118, "status": "ERROR", "message": "orders[3][paid]: unknown field (Horoshop spells it payed)"},
    ]}}
    assert list(SandboxShopOrder.objects.values_list("order_id", flat=True)) == ["115"]
    assert not SandboxRequest.objects.get(endpoint="/api/orders/update/").accepted


@pytest.mark.parametrize(("body", "message"), [
    ({}, "orders: required"),
    ({"orders": {"order_id": 115}}, "orders: must be a list"),
])
def test_orders_update_refuses_a_body_without_an_orders_list(client, token, body, message):
    # when
    response = call(client, "orders/update", {**body, "token": token})
    # then
    assert response.json() == error(message)


def test_refuses_a_token_it_never_issued(client):
    # when
    response = call(client, "orders/update", load_fixture("horoshop_orders_update_request.json"))
    # then
    assert response.json() == UNAUTHORIZED
    assert not SandboxShopOrder.objects.exists()


def test_refuses_a_token_older_than_600_seconds(client, token):
    # given
    SandboxToken.objects.update(expires_at=timezone.now() - timedelta(seconds=1))
    # when
    response = call(client, "orders/get", {"token": token})
    # then
    assert response.json() == UNAUTHORIZED


def test_orders_get_answers_empty_when_the_shop_has_no_orders(client, token):
    # when
    response = call(client, "orders/get", {**load_fixture("horoshop_orders_get_by_ids_request.json"), "token": token})
    # then
    assert response.json() == load_fixture("horoshop_orders_get_empty_response.json")


def test_orders_get_honours_ids_limit_and_offset(client, token):
    # given
    for number in (115, 116, 117):
        SandboxShopOrder.objects.create(order_id=str(number), status=2)
    # when
    by_ids = call(client, "orders/get", {"token": token, "ids": [115, "117", 999]}).json()
    page = call(client, "orders/get", {"token": token, "limit": 1, "offset": 1}).json()
    # then
    assert [o["order_id"] for o in by_ids["response"]["orders"]] == [115, 117]
    assert [o["order_id"] for o in page["response"]["orders"]] == [116]
    assert page["status"] == "OK"


def test_orders_get_returns_the_shop_copy_of_an_order_the_hub_knows(client, token, make_order, shop_payload):
    # given
    make_order(order_id=115)
    sandbox_shop_order_set(order_id="115", status=6)
    # when
    answer = call(client, "orders/get", {"token": token, "from": "2016-12-05 00:00:00", "to": "05.12.2016 23:59:59"})
    # then
    expected = {**copy.deepcopy(shop_payload), "stat_status": 6}
    assert answer.json() == {"status": "OK", "response": {"orders": [expected]}}


def test_orders_get_knows_orders_the_shop_only_sent_by_webhook(client, token, send_webhook, shop_payload):
    # given
    send_webhook({**shop_payload, "stat_status": 2})
    # when
    answer = call(client, "orders/get", {"token": token, "ids": [115]}).json()
    # then
    assert answer["response"]["orders"][0]["stat_status"] == 2


def test_a_payload_the_shop_sent_after_a_write_back_wins(client, token, make_order, send_webhook, shop_payload):
    # given: the hub wrote 6 back, then the shop itself sent a newer payload with 3
    make_order(order_id=115)
    sandbox_shop_order_set(order_id="115", status=6)
    send_webhook({**shop_payload, "stat_status": 3, "comment": "delivered"}, event="order_update")
    # when
    answer = call(client, "orders/get", {"token": token, "ids": [115]}).json()
    # then
    assert answer["response"]["orders"][0]["stat_status"] == 3


def test_orders_get_filters_by_placement_date(client, token):
    # given
    SandboxShopOrder.objects.create(order_id="115", status=1)
    # when
    answer = call(client, "orders/get", {"token": token, "from": "2999-01-01"}).json()
    # then
    assert answer["status"] == "EMPTY"


@pytest.mark.parametrize(("body", "message"), [
    ({"ids": "115"}, "ids: must be a list of order numbers"),
    ({"from": "yesterday"}, "from: must be a date like 2024-01-31 10:00:00 or 31.01.2024"),
    ({"limit": -1}, "limit: must be a non-negative integer"),
])
def test_orders_get_refuses_bad_filters(client, token, body, message):
    # when
    response = call(client, "orders/get", {**body, "token": token})
    # then
    assert response.json() == error(message)


def test_get_available_statuses_lists_the_five_standard_statuses(client, token):
    # when
    statuses = call(client, "orders/get_available_statuses", {"token": token}).json()["response"]["statuses"]
    # then
    assert [(s["id"], s["title"]["en"], s["is_successful"]) for s in statuses] == [
        (1, "New", 0), (2, "In processing", 0), (3, "Delivered", 1), (4, "Not delivered / Cancelled", 0),
        (6, "Shipping", 0)]
    assert all(set(s["title"]) == {"ua", "ru", "en"} for s in statuses)


def test_hooks_subscribe_answers_201_with_an_id_and_unsubscribe_410(client, token):
    # given
    body = {**load_fixture("horoshop_hooks_subscribe_request.json"), "token": token}
    # when
    subscribed = call(client, "hooks/subscribe", body)
    removed = call(client, "hooks/unSubscribe", {"token": token, "id": subscribed.json()["id"],
                                                 "target_url": body["target_url"]})
    # then
    assert subscribed.status_code == 201
    assert set(subscribed.json()) == {"id"}
    assert (removed.status_code, removed.json()) == (410, {"status": "OK"})


def test_hooks_subscribe_refuses_an_unknown_event_with_a_non_2xx(client, token):
    # when
    response = call(client, "hooks/subscribe", {"token": token, "event": "order_deleted",
                                                "target_url": "https://hub.example.com/x"})
    # then
    assert response.status_code == 400
    assert response.json() == error("event: unknown event 'order_deleted'")


def test_an_unknown_function_is_undefined(client, token):
    # when
    response = call(client, "orders/set_status", {"token": token})
    # then
    assert response.json() == error("function: orders/set_status is not defined", "UNDEFINED_FUNCTION")


@pytest.mark.parametrize(("body", "message"), [
    (b"{", "body: not valid JSON"),
    (b"\"token\"", "body: must be a JSON object"),
    (b"\xff", "body: not UTF-8"),
])
def test_a_malformed_body_gets_the_error_envelope(client, body, message):
    # when
    response = call(client, "orders/get", body)
    # then
    assert (response.status_code, response.json()) == (200, error(message))


def test_works_without_the_trailing_slash_and_refuses_get(client):
    # when
    without_slash = client.post("/sandbox/horoshop/api/auth", json.dumps(load_fixture("horoshop_auth_request.json")),
                                content_type="application/json")
    get = client.get(url("orders/get"))
    # then
    assert without_slash.json()["status"] == "OK"
    assert (get.status_code, get.json()) == (405, error("method: GET is not allowed, use POST"))
