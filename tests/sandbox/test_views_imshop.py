"""The sandbox Imshop status sync: `success` answers, `success: false` refusals, 401 for a wrong key."""

from __future__ import annotations

import json
from typing import Any

import pytest
from django.urls import reverse

from integrations.sandbox.models import SandboxRequest
from tests.conftest import load_fixture

pytestmark = pytest.mark.django_db

URL = reverse("sandbox:imshop-status")
KEY = "imshop-api-key"
BEARER = {"HTTP_AUTHORIZATION": f"Bearer {KEY}"}


@pytest.fixture(autouse=True)
def imshop_key(settings) -> None:
    settings.IMSHOP_API_KEY = KEY


def post(client, payload: Any, headers: dict[str, str] | None = None, content_type: str = "application/json"):
    body = payload if isinstance(payload, bytes) else json.dumps(payload, ensure_ascii=False)
    return client.post(URL, body, content_type=content_type, **(BEARER if headers is None else headers))


def refusal(message: str) -> dict[str, Any]:
    return {"success": False, "error": "validation_error", "message": message}


@pytest.mark.parametrize("name", ["imshop_status_request.json", "imshop_status_request_full.json"])
def test_accepts_the_documented_samples_and_echoes_them(client, name):
    # when
    response = post(client, load_fixture(name))
    # then
    answer = response.json()
    expected = load_fixture("imshop_status_response.json")
    assert response.status_code == 200
    assert set(answer) == set(expected)
    assert {k: answer[k] for k in ("success", "internalId", "newStatus", "message")} == {
        k: expected[k] for k in ("success", "internalId", "newStatus", "message")}
    assert SandboxRequest.objects.get().accepted


def test_the_uuid_is_stable_per_order(client):
    # when
    first, second = (post(client, {"id": "115", "code": "new"}).json() for _ in range(2))
    # then
    assert first["uuid"] == second["uuid"]


def test_accepts_the_key_in_the_body(client):
    # when
    response = post(client, {"id": "115", "code": "new", "key": KEY}, headers={})
    # then
    assert response.json()["success"] is True
    assert KEY not in SandboxRequest.objects.get().body


def test_accepts_any_key_when_imshop_api_key_is_not_set(client, settings):
    # given
    settings.IMSHOP_API_KEY = ""
    # when
    response = post(client, {"id": "115", "code": "new"}, headers={})
    # then
    assert response.json()["success"] is True


@pytest.mark.parametrize("headers", [{}, {"HTTP_AUTHORIZATION": "Bearer wrong"}])
def test_refuses_a_missing_or_wrong_key_with_401(client, headers):
    # when
    response = post(client, {"id": "115", "code": "new"}, headers=headers)
    # then
    assert response.status_code == 401
    assert response.json() == {"success": False, "error": "unauthorized", "message": "Invalid API key"}


@pytest.mark.parametrize(("payload", "message"), [
    ({"id": "115", "code": "paid", "payment": {"paid": True}},
     "payment[paymentId]: required (null when paid is false)"),
    ({"id": "115", "code": "paid", "payment": {"paid": True, "paymentId": None}},
     "payment[paymentId]: required when paid is true"),
    ({"id": "115", "code": "paid", "payment": {"paymentId": "p-1"}}, "payment[paid]: required, true or false"),
    ({"id": "115", "code": "paid", "payment": {"paid": "1", "paymentId": 7}},
     "payment[paid]: required, true or false; payment[paymentId]: must be a string, or null when paid is false"),
    ({"id": "115", "code": "paid", "payment": True}, "payment: must be an object with paid and paymentId"),
    ({"id": 115, "code": "new"}, "id: must be a string"),
    ({"id": "115"}, "code: required"),
    ({"id": "115", "code": "new", "status": "new"}, "status: unknown field"),
    ({"id": "115", "code": "new", "trackingUrl": "ftp://track"}, "trackingUrl: must be an http(s) URL"),
    ({"id": "115", "code": "new", "userId": 79999999999}, "userId: must be a string"),
])
def test_refuses_what_imshop_would_with_success_false(client, payload, message):
    # when
    response = post(client, payload)
    # then
    assert response.status_code == 200
    assert response.json() == refusal(message)
    assert SandboxRequest.objects.get().problems == message.split("; ")


def test_accepts_an_unpaid_payment_with_a_null_id(client):
    # when
    response = post(client, {"id": "115", "code": "new", "payment": {"paid": False, "paymentId": None}})
    # then
    assert response.json()["success"] is True


@pytest.mark.parametrize(("body", "content_type", "message"), [
    (b"id=115&code=new", "application/x-www-form-urlencoded",
     "Content-Type: must be application/json, not application/x-www-form-urlencoded"),
    (b"\xc3\x28", "application/json", "body: not UTF-8"),
    (b"null", "application/json", "body: must be a JSON object"),
])
def test_answers_a_malformed_body_with_success_false(client, body, content_type, message):
    # when
    response = post(client, body, content_type=content_type)
    # then
    assert response.status_code == 200
    assert response.json() == refusal(message)


def test_refuses_get(client):
    # when
    response = client.get(URL, **BEARER)
    # then
    assert response.status_code == 405
    assert response.json()["success"] is False
