"""Choco status payloads and their form encoding, against the partner's samples."""

import json
from datetime import UTC, datetime

from integrations.choco.payloads import build_status_payload, encode_form
from orders.models import Order, StatusMapping
from tests.conftest import FIXTURES

# 10:49:36 UTC is 16:49:36 in Almaty (UTC+6); the card is valid for one day.
NOW = datetime(2021, 10, 19, 10, 49, 36, tzinfo=UTC)


def fixture_json(name: str) -> dict:
    return json.loads((FIXTURES / name).read_text(encoding="utf-8"))


def ordered(data: dict) -> str:
    """The dict as JSON with its key order, so comparisons check the order too."""
    return json.dumps(data, ensure_ascii=False)


def make_order(**overrides) -> Order:
    return Order(**{"shop_order_id": "WEE-11122", "choco_user_id": 1234567, **overrides})


def make_mapping(**overrides) -> StatusMapping:
    fields = {
        "shop_status_id": 1, "code": "created", "name": "Created", "choco_enabled": True,
        "choco_external_status": "created",
        "choco_title_active_order_card": "Ожидает оплаты", "choco_title_call_to_action": "К заказу",
        "choco_subtitle_active_order_card": "Заказ отменен: товара нет в наличии",
        "choco_deeplink_call_to_action": "https://rahmetapp.kz/100/orders?tab=3",
        "choco_deeplink_card": "https://rahmetapp.kz/100/orders?tab=5",
        "choco_need_timer": False, "choco_countdown_timer": False, "choco_expires_in_minutes": 24 * 60,
    }
    return StatusMapping(**{**fields, **overrides})


def build(*, order=None, mapping=None, version=2, tz="Asia/Almaty", reason="") -> dict:
    return build_status_payload(
        order=order or make_order(), mapping=mapping or make_mapping(), now=NOW, version=version, tz=tz, reason=reason
    )


def test_version_2_payload_matches_the_sample():
    # given
    expected = fixture_json("choco_status_request_v2.json")

    # when
    payload = build()

    # then
    assert ordered(payload) == ordered(expected)


def test_version_1_payload_matches_the_sample():
    # given
    mapping = make_mapping(choco_need_timer=True, choco_subtitle_active_order_card="")
    expected = fixture_json("choco_status_request_v1.json")

    # when
    payload = build(mapping=mapping, version=1)

    # then
    assert ordered(payload) == ordered(expected)


def test_deeplink_templates_get_the_order_number():
    # given
    mapping = make_mapping(
        choco_deeplink_call_to_action="https://shop.example/orders/{order_id}/pay",
        choco_deeplink_card="https://shop.example/orders/{order_id}",
    )

    # when
    payload = build(order=make_order(shop_order_id="115"), mapping=mapping)

    # then
    assert [d["link"] for d in payload["deeplinks"]] == [
        "https://shop.example/orders/115/pay", "https://shop.example/orders/115",
    ]


def test_expired_at_is_written_in_the_given_zone():
    # given
    mapping = make_mapping(choco_expires_in_minutes=30)

    # when
    payload = build(mapping=mapping, tz="Europe/Kyiv")

    # then
    assert payload["external_data"]["expired_at"] == "2021-10-19 14:19:36"


def test_reason_becomes_the_subtitle_cut_to_120_characters_when_the_mapping_has_none():
    # given
    mapping = make_mapping(choco_subtitle_active_order_card="")

    # when
    payload = build(mapping=mapping, reason="x" * 200)

    # then
    assert payload["external_data"]["subtitle_active_order_card"] == "x" * 120


def test_the_mappings_subtitle_wins_over_the_reason():
    # given
    mapping = make_mapping(choco_subtitle_active_order_card="Отменён магазином")

    # when
    payload = build(mapping=mapping, reason="Нет в наличии")

    # then
    assert payload["external_data"]["subtitle_active_order_card"] == "Отменён магазином"


def test_no_subtitle_is_sent_while_the_timer_is_on():
    # given
    mapping = make_mapping(choco_need_timer=True, choco_countdown_timer=True)

    # when
    payload = build(mapping=mapping, reason="Нет в наличии")

    # then
    assert "subtitle_active_order_card" not in payload["external_data"]
    assert payload["external_data"]["need_timer"] is True
    assert payload["external_data"]["countdown_timer"] is True


def test_no_subtitle_is_sent_without_a_subtitle_or_a_reason():
    # given
    mapping = make_mapping(choco_subtitle_active_order_card="")

    # when
    payload = build(mapping=mapping)

    # then
    assert list(payload["external_data"]) == [
        "expired_at", "title_active_order_card", "title_call_to_action", "need_timer", "countdown_timer",
    ]


def test_version_1_sends_no_version_2_fields():
    # given
    mapping = make_mapping(choco_need_timer=False)

    # when
    payload = build(mapping=mapping, version=1, reason="Нет в наличии")

    # then
    assert payload["is_need_timer"] is False
    assert set(payload["external_data"]) == {"expired_at", "title_active_order_card", "title_call_to_action"}


def test_form_encoding_matches_the_sample_byte_for_byte():
    # given: the .form sample carries no subtitle, unlike the .json sample, so it is left out here
    payload = fixture_json("choco_status_request_v2.json")
    del payload["external_data"]["subtitle_active_order_card"]
    expected = (FIXTURES / "choco_status_request_v2.form").read_text(encoding="utf-8").rstrip("\n")

    # when
    body = encode_form(payload)

    # then
    assert body == expected


def test_form_encoding_writes_booleans_as_1_and_0_and_leaves_out_none():
    # given
    payload = {"a": True, "b": False, "c": None, "d": {"e": None, "f": 7}}

    # when
    body = encode_form(payload)

    # then
    assert body == "a=1&b=0&d%5Bf%5D=7"


def test_form_encoding_of_the_auth_request_matches_the_sample():
    # given
    payload = {"client_id": "merchant-client-id", "client_secret": "merchant-client-secret",
               "grant_type": "client_credentials"}
    expected = (FIXTURES / "choco_auth_token_request.form").read_text(encoding="utf-8").rstrip("\n")

    # when
    body = encode_form(payload)

    # then
    assert body == expected
