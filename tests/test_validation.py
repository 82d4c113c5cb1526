"""A serializer reused per thread answers like a new one: same errors, in the language of the request."""

from __future__ import annotations

import pytest
from django.utils import translation
from rest_framework import serializers

from hub import validation
from integrations.horoshop.order_format import ShopOrderSerializer
from integrations.horoshop.order_validation import shop_order_validated

pytestmark = pytest.mark.django_db


def _too_long_currency(shop_payload: dict) -> dict:
    return {**shop_payload, "currency": "X" * 20}  # at most 8


def _currency_error(body: dict) -> str:
    with pytest.raises(serializers.ValidationError) as refused:
        shop_order_validated(body)
    return str(refused.value.detail["currency"][0])  # type: ignore[call-overload, index]


def _fresh_currency_error(body: dict) -> str:
    fresh = ShopOrderSerializer(data=body)
    assert not fresh.is_valid()
    return str(fresh.errors["currency"][0])


def test_each_request_gets_its_own_language_in_limit_messages(shop_payload):
    # given: a thread that answered a request in Russian first
    body = _too_long_currency(shop_payload)
    with translation.override("ru"):
        russian = _currency_error(body)
    # when: it answers the same mistake in English
    with translation.override("en"):
        english, expected = _currency_error(body), _fresh_currency_error(body)
    # then: each in its own language, as a new serializer would say it
    assert english == expected
    assert english != russian


def test_a_valid_body_after_a_refused_one_is_taken_and_nothing_of_either_is_held(shop_payload):
    with pytest.raises(serializers.ValidationError):
        shop_order_validated(_too_long_currency(shop_payload))
    data = shop_order_validated(shop_payload)
    assert data["currency"] == shop_payload["currency"]
    held = [vars(s) for s in validation._local.serializers.values()]
    assert held
    assert not any({"initial_data", "_validated_data", "_errors"} & state.keys() for state in held)


@pytest.mark.parametrize(("field", "value"), [("order_id", [1, 2]), ("stat_created", "yesterday"),
                                              ("stat_created", 5), ("stat_created", "1900-01-01 00:00:00")])
def test_the_shop_formats_own_messages_are_in_the_requests_language(shop_payload, field, value):
    body = {**shop_payload, field: value}
    with translation.override("ru"), pytest.raises(serializers.ValidationError) as refused:
        shop_order_validated(body)
    message = str(refused.value.detail[field][0])  # type: ignore[index]
    assert message.startswith("Ожидал"), message
