"""Imshop's cancellation callback under bad input: never a 5xx, a JSON answer, the request kept."""

from __future__ import annotations

import json

import pytest
from hypothesis import example, given
from hypothesis import strategies as st
from rest_framework.test import APIClient

from integrations.models import InboundEvent
from tests.inputs import FUZZ, MIB, assert_answered_well, bodies, send

pytestmark = pytest.mark.django_db

URL = "/api/callbacks/imshop/cancel/"
ORDER_NUMBER = "4242"
VALID = {"id": ORDER_NUMBER, "status": "canceled", "reason": "Передумал"}
AUTHORIZATION = st.sampled_from(["Bearer test-imshop-key"] * 4 + ["", "Bearer", "Bearer wrong", "Basic dGVzdA=="])


@pytest.fixture
def order(make_order):
    """The order the callbacks name: made once per test, shared by all its examples."""
    return make_order(order_id=int(ORDER_NUMBER), imshop_uuid="cfe64e76")


@FUZZ
@given(case=bodies(VALID), authorization=AUTHORIZATION)
@example(case=(b"[" * 100_000, "application/json"), authorization="Bearer test-imshop-key")
@example(case=(b"[" * 100_000, "application/json"), authorization="")
@example(case=(json.dumps(VALID, ensure_ascii=False).encode("cp1251"), "application/json"), authorization="")
@example(case=(json.dumps({**VALID, "reason": "x" * MIB}).encode(), "application/json"),
         authorization="Bearer test-imshop-key")
def test_any_body_is_answered_below_500_and_kept(order, case, authorization):
    # given
    body, content_type = case
    headers = {"HTTP_AUTHORIZATION": authorization} if authorization else {}
    events_before = InboundEvent.objects.count()
    # when
    response = send(APIClient(raise_request_exception=False), "POST", URL, body, content_type, **headers)
    # then
    assert_answered_well(response, events_before=events_before)


def test_the_key_in_a_body_that_does_not_parse_is_no_key(order):
    # given: without a bearer header the key is looked for in the body, which is not JSON
    body = b'{"key": "test-imshop-key", "id": "4242"' + b"[" * 100_000
    # when
    response = send(APIClient(), "POST", URL, body, "application/json")
    # then
    assert response.status_code == 401
    assert response.json()["message"] == "token: missing."
    assert InboundEvent.objects.get().response_status == 401
