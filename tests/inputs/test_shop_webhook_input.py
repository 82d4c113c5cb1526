"""The shop webhook under bad input: never a 5xx, a JSON error naming the problem, the request kept."""

from __future__ import annotations

import json
from typing import Any

import pytest
from hypothesis import assume, example, given
from rest_framework.test import APIClient

from integrations.models import InboundEvent
from orders.models import Order
from tests.conftest import load_fixture, webhook_url
from tests.inputs import FUZZ, MIB, assert_answered_well, bodies, body_hits_a_known_bug, send

pytestmark = pytest.mark.django_db

SAMPLE = load_fixture("shop_order_created.json")
URL = "/api/webhooks/shop/order_created/?token=test-shop-token"


def _client() -> APIClient:
    return APIClient(raise_request_exception=False)


def _put(payload: Any) -> Any:
    return _client().put(webhook_url(), data=json.dumps(payload), content_type="application/json")


@FUZZ
@given(case=bodies(SAMPLE))
@example(case=(b"[" * 100_000, "application/json"))
@example(case=(b'{"order_id": ' * 100_000, "application/json"))
@example(case=(json.dumps({**SAMPLE, "comment": "ё"}).encode("cp1251"), "application/json"))
@example(case=(json.dumps({**SAMPLE, "comment": "x" * MIB}).encode(), "application/json"))
@example(case=(b"\xff\xfe\x00{", "application/json"))
def test_any_body_is_answered_below_500_and_kept(default_mappings, case):
    # given
    body, content_type = case
    assume(not body_hits_a_known_bug(body))
    events_before = InboundEvent.objects.count()
    # when
    response = send(_client(), "PUT", URL, body, content_type)
    # then
    assert_answered_well(response, events_before=events_before)


def test_a_body_of_exactly_one_mebibyte_is_taken(default_mappings):
    # given
    empty = len(json.dumps({**SAMPLE, "comment": ""}).encode())
    body = json.dumps({**SAMPLE, "comment": "x" * (MIB - empty)}).encode()
    assert len(body) == MIB
    # when
    response = send(_client(), "PUT", URL, body, "application/json")
    # then
    assert response.status_code == 200
    assert len(Order.objects.get().comment) == MIB - empty


def test_one_byte_over_a_mebibyte_is_413(default_mappings):
    # given
    empty = len(json.dumps({**SAMPLE, "comment": ""}).encode())
    body = json.dumps({**SAMPLE, "comment": "x" * (MIB - empty + 1)}).encode()
    # when
    response = send(_client(), "PUT", URL, body, "application/json")
    # then
    assert response.status_code == 413
    assert response.json()["message"] == "The body is larger than the hub accepts (1,048,576 bytes at most)."
    assert not Order.objects.exists()


def test_the_largest_numbers_the_columns_hold_are_taken(shop_payload, default_mappings):
    # given
    shop_payload.update(user=2**63 - 1, choco_user_id=2**63 - 1, discount_percent="100.00")
    shop_payload["delivery_type"]["id"] = 2**31 - 1
    # when
    response = _put(shop_payload)
    # then
    assert response.status_code == 200, response.json()
    order = Order.objects.get()
    assert (order.shop_user_id, order.choco_user_id, order.delivery_type_id) == (2**63 - 1, 2**63 - 1, 2**31 - 1)




@pytest.mark.parametrize(
    ("field", "value"),
    [
        ("user", 2**63),
        ("choco_user_id", 2**63),
        ("delivery_type", {"id": 2**63, "title": "x"}),
        ("payment_type", {"id": 2**31, "title": "x"}),
        ("discount_percent", 123456789),
        ("coupon_percent", "100000"),
    ],
)
def test_a_number_beyond_its_column_is_a_400_naming_the_field(shop_payload, default_mappings, field, value):
    # given
    shop_payload[field] = value
    # when
    response = _put(shop_payload)
    # then
    assert response.status_code == 400
    assert any(name.split(".")[0] == field for name in response.json()["fields"])


def test_a_date_before_the_first_year_in_utc_is_a_400_naming_the_field(shop_payload, default_mappings):
    # given: 0001-01-01 00:00 in Kyiv is 0000-12-31 in UTC, which no database column holds
    shop_payload["stat_created"] = "0001-01-01 00:00:00"
    # when
    response = _put(shop_payload)
    # then
    assert response.status_code == 400
    assert "stat_created" in response.json()["fields"]


def test_an_order_with_a_deeply_nested_extra_field_is_never_a_500(shop_payload, default_mappings):
    # given: depths around Python's recursion limit, where parsing succeeds but encoding for the
    # database recursed deeper (where exactly that window lies depends on the stack)
    statuses = {}
    # when
    for depth in range(600, 1100, 3):
        payload = {**shop_payload, "order_id": depth}
        body = json.dumps(payload).encode()[:-1] + b', "extra": ' + b"[" * depth + b"]" * depth + b"}"
        statuses[depth] = send(_client(), "PUT", URL, body, "application/json").status_code
    # then
    assert {depth: status for depth, status in statuses.items() if status >= 500} == {}


def test_a_nul_character_in_an_unknown_field_is_never_a_500(shop_payload, default_mappings):
    # given: PostgreSQL's jsonb cannot hold U+0000, and the raw payload is kept
    shop_payload["note"] = "before\x00after"
    # when
    response = _put(shop_payload)
    # then
    assert response.status_code < 500
    assert InboundEvent.objects.count() == 1


def test_a_nul_character_in_the_event_is_a_404_and_kept(shop_payload, default_mappings):
    # when
    response = _client().put("/api/webhooks/shop/order%00created/?token=test-shop-token",
                             data=json.dumps(shop_payload), content_type="application/json")
    # then
    assert response.status_code == 404
    assert InboundEvent.objects.count() == 1


@pytest.mark.parametrize("number", [1001, "1001", " 1001 ", "0001001"])
def test_an_order_number_as_horoshop_writes_it_is_taken(shop_payload, default_mappings, number):
    # when
    response = _put({**shop_payload, "order_id": number})
    # then
    assert response.status_code == 200, response.json()
    assert list(Order.objects.values_list("shop_order_id", flat=True)) == ["1001"]


@pytest.mark.parametrize("number", [
    "abc", "１００１", "١٠٠١", "../x", "a/b", "12a", "", "1.5", 1.5, True, -5, 0, "-5", "1e3", None, [1001], 2**63,
])
def test_anything_else_as_an_order_number_is_a_400_naming_order_id(shop_payload, default_mappings, number):
    # when
    response = _put({**shop_payload, "order_id": number})
    # then
    assert response.status_code == 400
    assert "order_id" in response.json()["fields"]
    assert Order.objects.count() == 0
    assert InboundEvent.objects.get().outcome == "refused"


@pytest.mark.parametrize(("field", "value"), [
    ("total_sum", -1), ("total_default", "-0.01"), ("total_quantity", -2), ("discount_value", -5),
    ("coupon_discount_value", -1), ("discount_percent", 99999), ("discount_percent", -1), ("coupon_percent", 101),
    ("delivery_price", -2),
])
def test_an_amount_that_cannot_be_negative_or_over_100_percent_is_a_400(shop_payload, default_mappings, field, value):
    # when
    response = _put({**shop_payload, field: value})
    # then
    assert response.status_code == 400
    assert field in response.json()["fields"]


@pytest.mark.parametrize("field", ["price", "quantity", "total_price"])
def test_a_negative_item_amount_is_a_400_naming_it(shop_payload, default_mappings, field):
    # given
    shop_payload["products"][0][field] = -1
    # when
    response = _put(shop_payload)
    # then
    assert response.status_code == 400
    assert list(response.json()["fields"]) == [f"products.0.{field}"]


def test_delivery_price_minus_one_means_carrier_rates_and_is_taken(shop_payload, default_mappings):
    # when
    response = _put({**shop_payload, "delivery_price": -1})
    # then
    assert response.status_code == 200
    assert Order.objects.get().delivery_price == -1


@pytest.mark.parametrize(("body", "kept"), [
    (b'{"order_id": 1001, "stat_status": 1, "\\ud800": 1}', {"\ufffd": 1}),
    (b'{"order_id": 1001, "stat_status": 1, "delivery_type": {"\\udc00x": 1}}', {"delivery_type": {"\ufffdx": 1}}),
    (b'{"order_id": 1001, "stat_status": 1, "comment": "a\\ud800b"}', {"comment": "a\ufffdb"}),
])
def test_a_lone_surrogate_is_kept_as_a_replacement_character_never_a_500(default_mappings, body, kept):
    # when: JSON escapes that decode to no character (PHP never writes them; a broken client may)
    response = send(_client(), "PUT", URL, body, "application/json")
    # then: like undecodable bytes, they become U+FFFD, and the order is taken
    assert response.status_code == 200, response.json()
    event = InboundEvent.objects.get()
    assert (event.outcome, event.response_status) == ("accepted", 200)
    raw = Order.objects.get().raw_payload
    assert {key: raw[key] for key in kept} == kept


@pytest.mark.parametrize("charset", ["windows-1251", "latin-1", "bogus-xx"])
def test_json_is_read_as_utf_8_whatever_charset_the_header_names(shop_payload, default_mappings, charset):
    # given: UTF-8 JSON (all JSON between systems is: RFC 8259) labelled with another charset
    body = json.dumps({**shop_payload, "delivery_city": "Киев"}, ensure_ascii=False).encode()
    # when
    response = _client().put(webhook_url(), data=body, content_type=f"application/json; charset={charset}")
    # then: the city is stored as sent, not re-read in the named charset
    assert response.status_code == 200
    assert Order.objects.get().delivery_city == "Киев"


def test_a_byte_order_mark_before_the_json_is_ignored(shop_payload, default_mappings):
    # when
    response = _client().put(webhook_url(), data=b"\xef\xbb\xbf" + json.dumps(shop_payload).encode(),
                             content_type="application/json")
    # then
    assert response.status_code == 200


@pytest.mark.parametrize(("body", "says"), [
    (b"\x1f\x8b\x08\x00 compressed", "not UTF-8"),
    (json.dumps({"order_id": 1, "stat_status": 1}).replace("1}", "1" * 5000 + "}").encode(), "4300 digits"),
], ids=["gzip", "5000-digit number"])
def test_a_body_that_is_not_json_text_says_why_in_words(default_mappings, body, says):
    # when
    response = _client().put(webhook_url(), data=body, content_type="application/json")
    # then: a 400 in plain words, not Python's
    assert response.status_code == 400
    assert says in response.json()["message"]
    assert "codec" not in response.json()["message"]
    assert "sys.set_int_max_str_digits" not in response.json()["message"]
    assert InboundEvent.objects.count() == 1
