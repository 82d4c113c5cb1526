"""Imshop status payloads, against the partner's samples."""

import json

from integrations.imshop.payloads import build_status_payload
from orders.models import Order, StatusMapping
from tests.conftest import FIXTURES


def fixture_json(name: str) -> dict:
    return json.loads((FIXTURES / name).read_text(encoding="utf-8"))


def ordered(data: dict) -> str:
    return json.dumps(data, ensure_ascii=False)


def make_order(**overrides) -> Order:
    return Order(**{"shop_order_id": "05671863", "delivery_phone": "", "payed": False, **overrides})


def make_mapping(**overrides) -> StatusMapping:
    fields = {
        "shop_status_id": 7, "code": "packed", "name": "Packed", "imshop_enabled": True, "imshop_code": "packed",
        "imshop_message": "Готов к выдаче",
        "imshop_tracking_url": "https://www.cdek.ru/ru/tracking?order_id=1234567890",
    }
    return StatusMapping(**{**fields, **overrides})


def test_payload_matches_the_sample():
    # given
    expected = fixture_json("imshop_status_request.json")

    # when
    payload = build_status_payload(order=make_order(), mapping=make_mapping())

    # then
    assert ordered(payload) == ordered(expected)


def test_full_payload_matches_the_full_sample():
    # given: the hub knows no gateway payment id, so it sends the order number (Imshop asks for one when paid)
    expected = fixture_json("imshop_status_request_full.json")
    expected["payment"]["paymentId"] = "05671863"
    order = make_order(delivery_phone="+7 (999) 999-99-99", payed=True)

    # when
    payload = build_status_payload(order=order, mapping=make_mapping(), payment_changed=True)

    # then
    assert ordered(payload) == ordered(expected)


def test_only_id_and_code_when_nothing_else_is_known():
    # given
    mapping = make_mapping(imshop_message="", imshop_tracking_url="")

    # when
    payload = build_status_payload(order=make_order(delivery_phone="12-34"), mapping=mapping)

    # then
    assert payload == {"id": "05671863", "code": "packed"}


def test_tracking_url_template_gets_the_order_number():
    # given
    mapping = make_mapping(imshop_tracking_url="https://track.example/{order_id}")

    # when
    payload = build_status_payload(order=make_order(shop_order_id="115"), mapping=mapping)

    # then
    assert payload["trackingUrl"] == "https://track.example/115"


def test_a_phone_with_fewer_than_ten_digits_is_not_a_user_id():
    # given
    order = make_order(delivery_phone="+7 999 123 45")

    # when
    payload = build_status_payload(order=order, mapping=make_mapping())

    # then
    assert "userId" not in payload


def test_an_unpaid_order_sends_a_null_payment_id():
    # given
    order = make_order(payed=False)

    # when
    payload = build_status_payload(order=order, mapping=make_mapping(), payment_changed=True)

    # then
    assert payload["payment"] == {"paid": False, "paymentId": None}


def test_no_payment_when_the_payment_did_not_change():
    # given
    order = make_order(payed=True)

    # when
    payload = build_status_payload(order=order, mapping=make_mapping())

    # then
    assert "payment" not in payload
