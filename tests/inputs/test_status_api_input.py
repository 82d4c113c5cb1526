"""The status API under bad input: never a 5xx, a JSON error naming the problem, the request kept."""

from __future__ import annotations

import json
from urllib.parse import quote

import pytest
from hypothesis import example, given
from hypothesis import strategies as st
from rest_framework.test import APIClient

from integrations.models import InboundEvent
from tests.inputs import FUZZ, MIB, assert_answered_well, bodies, send

pytestmark = pytest.mark.django_db

ORDER_NUMBER = "5151"
VALID = {"status": "processing", "reason": "Собран", "choco_user_id": 1234567, "imshop_uuid": "cfe64e76"}
AUTHORIZATION = st.sampled_from(["Bearer test-api-token"] * 4 + ["", "Bearer", "Bearer wrong", "Token test-api-token"])
# Any order number that can stand in one path segment.
ORDER_NUMBERS = st.just(ORDER_NUMBER) | st.text(st.characters(codec="utf-8", exclude_characters="/"), min_size=1,
                                                max_size=80)


def url(order_number: str) -> str:
    return f"/api/orders/{quote(order_number, safe='')}/status/"


@pytest.fixture
def order(make_order):
    """The order the requests name: made once per test, shared by all its examples."""
    return make_order(order_id=int(ORDER_NUMBER))


@FUZZ
@given(case=bodies(VALID), order_number=ORDER_NUMBERS, authorization=AUTHORIZATION)
@example(case=(b"[" * 100_000, "application/json"), order_number=ORDER_NUMBER, authorization="Bearer test-api-token")
@example(case=(json.dumps({**VALID, "reason": "x" * MIB}).encode(), "application/json"), order_number=ORDER_NUMBER,
         authorization="Bearer test-api-token")
@example(case=(json.dumps(VALID, ensure_ascii=False).encode("cp1251"), "application/json"), order_number=ORDER_NUMBER,
         authorization="Bearer test-api-token")
def test_any_body_is_answered_below_500_and_kept(order, case, order_number, authorization):
    # given
    body, content_type = case
    headers = {"HTTP_AUTHORIZATION": authorization} if authorization else {}
    events_before = InboundEvent.objects.count()
    # when
    response = send(APIClient(raise_request_exception=False), "POST", url(order_number), body, content_type, **headers)
    # then
    assert_answered_well(response, events_before=events_before)


def test_the_largest_choco_user_id_is_taken(order, hub_client):
    # when
    response = hub_client.post(url(ORDER_NUMBER), {"choco_user_id": 2**63 - 1}, format="json")
    # then
    assert response.status_code == 200
    assert response.json()["choco_user_id"] == 2**63 - 1


def test_a_choco_user_id_beyond_its_column_is_a_400_naming_the_field(order):
    # given
    client = APIClient(raise_request_exception=False)
    client.credentials(HTTP_AUTHORIZATION="Bearer test-api-token")
    # when
    response = client.post(url(ORDER_NUMBER), {"choco_user_id": 2**63}, format="json")
    # then
    assert response.status_code == 400
    assert "choco_user_id" in response.json()["fields"]


def test_a_nul_character_in_the_order_number_is_a_404_and_kept(order):
    # given: PostgreSQL text cannot hold NUL, and the order number is part of the kept request
    client = APIClient(raise_request_exception=False)
    client.credentials(HTTP_AUTHORIZATION="Bearer test-api-token")
    # when
    response = client.post(url("51\x0051"), {"status": "processing"}, format="json")
    # then
    assert response.status_code == 404
    assert InboundEvent.objects.count() == 1


def test_reading_an_order_number_with_a_nul_character_is_a_404(order):
    # given
    client = APIClient(raise_request_exception=False)
    client.credentials(HTTP_AUTHORIZATION="Bearer test-api-token")
    # when
    response = client.get(f"/api/orders/{quote(chr(0))}/")
    # then
    assert response.status_code == 404
