"""Horoshop orders/update payloads, against the partner's sample."""

import json

from integrations.horoshop.payloads import build_status_update_payload
from orders.models import Order, StatusMapping
from tests.conftest import FIXTURES


def test_payload_matches_the_sample_without_the_token():
    # given
    expected = json.loads((FIXTURES / "horoshop_orders_update_request.json").read_text(encoding="utf-8"))
    del expected["token"]
    order, mapping = Order(shop_order_id="115"), StatusMapping(shop_status_id=4, code="canceled", name="Canceled")

    # when
    payload = build_status_update_payload(order=order, mapping=mapping)

    # then
    assert payload == expected
    assert isinstance(payload["orders"][0]["order_id"], int)


def test_an_order_number_with_letters_stays_a_string():
    # given
    order, mapping = Order(shop_order_id="WEE-115"), StatusMapping(shop_status_id=2, code="processing", name="P")

    # when
    payload = build_status_update_payload(order=order, mapping=mapping)

    # then
    assert payload == {"orders": [{"order_id": "WEE-115", "status": 2}]}
