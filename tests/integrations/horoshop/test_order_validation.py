"""The quick validation of a plain shop order gives what ShopOrderSerializer gives, or leaves it to it."""

from __future__ import annotations

import json
from decimal import Decimal
from typing import Any

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from hub.validation import validated_data
from integrations.horoshop.order_format import ShopOrderSerializer
from integrations.horoshop.order_validation import shop_order_plain, shop_order_validated
from tests.conftest import load_fixture

SAMPLE = load_fixture("shop_order_created.json")
ORDERS_GET = load_fixture("horoshop_orders_get_response.json")["response"]["orders"]


def _exact(value: Any) -> Any:
    """Values compared with their types and a decimal's places (Decimal("1.0") == Decimal("1.00") otherwise)."""
    if isinstance(value, dict):
        return {key: _exact(item) for key, item in value.items()}
    if isinstance(value, list):
        return [_exact(item) for item in value]
    if isinstance(value, Decimal):
        return ("decimal", str(value))
    return (type(value).__name__, value)


def _by_serializer(body: Any) -> Any:
    from rest_framework.exceptions import ValidationError

    try:
        return validated_data(ShopOrderSerializer, body)
    except ValidationError:
        return "refused"


@pytest.mark.parametrize("body", [SAMPLE, *ORDERS_GET], ids=lambda body: f"order-{body['order_id']}")
def test_the_partners_samples_take_the_quick_way_to_the_serializers_answer(body):
    # when
    quick = shop_order_plain(body)
    # then
    assert quick is not None
    assert _exact(quick) == _exact(_by_serializer(body))


ODD_VALUES = st.one_of(
    st.none(), st.booleans(), st.integers(), st.integers(min_value=-2, max_value=2),
    st.integers(min_value=2**31 - 2, max_value=2**31 + 1), st.integers(min_value=2**63 - 2, max_value=2**63 + 1),
    st.floats(allow_nan=True, allow_infinity=True), st.floats(min_value=-2, max_value=200),
    st.decimals(allow_nan=False, places=4).map(float),
    st.text(max_size=12), st.sampled_from(["", " ", " 12 ", "31 799,50", "1e3", "2016-12-05 15:46:40", "NaN", "-1",
                                          "a\x00b", "\ud800", "x" * 70, "x" * 256, "x" * 1001, "0", "1", "true"]),
    st.just([]), st.just({}), st.lists(st.integers(), max_size=2), st.dictionaries(st.text(max_size=3), st.integers(),
                                                                                  max_size=2),
)
FIELDS = sorted({*SAMPLE, "choco_user_id", "imshop_uuid"})
PRODUCT_FIELDS = sorted({*SAMPLE["products"][0], "url", "photo_url"})


@st.composite
def odd_orders(draw: st.DrawFn) -> Any:
    body = json.loads(json.dumps(SAMPLE))
    for name in draw(st.lists(st.sampled_from(FIELDS), max_size=4)):
        if draw(st.booleans()):
            body.pop(name, None)
        else:
            body[name] = draw(ODD_VALUES)
    if isinstance(body.get("products"), list) and body["products"] and isinstance(body["products"][0], dict):
        for name in draw(st.lists(st.sampled_from(PRODUCT_FIELDS), max_size=3)):
            body["products"][0][name] = draw(ODD_VALUES)
    for key in ("delivery_type", "payment_type"):
        if isinstance(body.get(key), dict) and draw(st.booleans()):
            body[key][draw(st.sampled_from(["id", "title"]))] = draw(ODD_VALUES)
    return body


@settings(max_examples=600, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(body=odd_orders())
def test_an_order_taken_the_quick_way_is_what_the_serializer_gives(body):
    # when
    quick = shop_order_plain(body)
    # then: the quick way answers only what the serializer would answer the same
    if quick is not None:
        assert _exact(quick) == _exact(_by_serializer(body))


@pytest.mark.parametrize(("field", "value"), [
    ("stat_status", "5"), ("payed", "yes"), ("total_sum", "31 799,50"), ("delivery_name", 12), ("user", 2**63),
    ("currency", "X" * 20), ("products", "none"), ("delivery_type", "courier"), ("order_id", [115]),
])
def test_what_needs_a_conversion_or_an_error_is_left_to_the_serializer(field, value):
    # given
    body = {**SAMPLE, field: value}
    # when
    quick = shop_order_plain(body)
    # then: no quick answer, and the validation answers as the serializer does
    assert quick is None
    expected = _by_serializer(body)
    if expected == "refused":
        from rest_framework.exceptions import ValidationError

        with pytest.raises(ValidationError):
            shop_order_validated(body)
    else:
        assert _exact(shop_order_validated(body)) == _exact(expected)
