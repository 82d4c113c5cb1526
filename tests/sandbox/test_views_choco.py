"""The sandbox Choco gateway: `/auth/token` and the active-order status call, answered like Choco."""

from __future__ import annotations

import copy
import json
from datetime import timedelta
from typing import Any

import pytest
from django.urls import reverse
from django.utils import timezone

from integrations.sandbox.models import SandboxRequest, SandboxToken
from tests.conftest import load_fixture

pytestmark = pytest.mark.django_db

FORM = "application/x-www-form-urlencoded"
AUTH_URL = reverse("sandbox:choco-auth")
STATUS_URL = reverse("sandbox:choco-status")


@pytest.fixture(autouse=True)
def choco_credentials(settings) -> None:
    settings.CHOCO_CLIENT_ID, settings.CHOCO_CLIENT_SECRET = "merchant-client-id", "merchant-client-secret"


@pytest.fixture
def bearer(client) -> dict[str, str]:
    """The Authorization header with a token the sandbox issued."""
    answer = client.post(AUTH_URL, load_fixture("choco_auth_token_request.form"), content_type=FORM).json()
    return {"HTTP_AUTHORIZATION": f"Bearer {answer['data']['token']}"}


def put_json(client, payload: Any, headers: dict[str, str]):
    return client.put(STATUS_URL, json.dumps(payload, ensure_ascii=False), content_type="application/json",
                      **headers)


def refusal(message: str) -> dict[str, Any]:
    return {"error_code": 3, "status": "error", "message": message, "data": None}


def v2(**external: Any) -> dict[str, Any]:
    payload = copy.deepcopy(load_fixture("choco_status_request_v2.json"))
    payload["external_data"].update(external)
    return payload


def test_auth_issues_a_bearer_token_for_three_hours(client):
    # when
    response = client.post(AUTH_URL, load_fixture("choco_auth_token_request.form"), content_type=FORM)
    # then
    body = response.json()
    assert response.status_code == 200
    assert {**body, "data": {**body["data"], "token": "T"}} == {
        "error_code": 0, "status": "success", "message": "",
        "data": {"token_type": "Bearer", "token": "T", "expire_in": 10800},
    }
    assert SandboxToken.objects.get().token_hash != body["data"]["token"]
    record = SandboxRequest.objects.get()
    assert "merchant-client-secret" not in record.body
    assert body["data"]["token"] not in record.response_body


def test_auth_refuses_a_wrong_secret_like_choco(client):
    # when
    response = client.post(AUTH_URL, "client_id=merchant-client-id&client_secret=nope&grant_type=client_credentials",
                           content_type=FORM)
    # then
    assert response.status_code == 401
    assert response.json() == load_fixture("choco_error_response.json")


def test_auth_refuses_another_grant_type(client):
    # when
    response = client.post(AUTH_URL, "client_id=a&client_secret=b&grant_type=password", content_type=FORM)
    # then
    assert response.status_code == 400
    assert response.json() == refusal("grant_type: must be client_credentials")


@pytest.mark.parametrize(("body", "content_type"), [
    (json.dumps(load_fixture("choco_status_request_v1.json")), "application/json"),
    (json.dumps(load_fixture("choco_status_request_v2.json")), "application/json; charset=utf-8"),
    (load_fixture("choco_status_request_v2.form"), FORM),
])
def test_status_accepts_the_documented_samples(client, bearer, body, content_type):
    # when
    response = client.put(STATUS_URL, body, content_type=content_type, **bearer)
    # then
    answer = response.json()
    assert response.status_code == 200
    assert (answer["error_code"], answer["status"], answer["message"]) == (0, "success", "Статус успешно обновлён")
    assert set(answer["data"]) == set(load_fixture("choco_status_response.json")["data"])
    assert answer["data"]["merchant_order_id"] == "WEE-11122"
    assert SandboxRequest.objects.filter(endpoint="/orders/v2/preorder/external/status").get().accepted


@pytest.mark.parametrize(("payload", "message"), [
    (v2(title_active_order_card="Заказ собран и передан курьеру!"),
     "external_data[title_active_order_card]: longer than 30 characters"),
    (v2(expired_at="2021-10-20T16:49:36"),
     "external_data[expired_at]: must be a date-time like 2021-10-10 00:00:00"),
    (v2(expired_at="2021-02-30 10:00:00"),
     "external_data[expired_at]: must be a date-time like 2021-10-10 00:00:00"),
    ({**v2(), "deeplinks": [{"link": "https://rahmetapp.kz/1", "type": "active_order_call_to_action"},
                            {"link": "https://rahmetapp.kz/2", "type": "order_detail"}]},
     "deeplinks[1][type]: unknown type 'order_detail', expected one of active_order_call_to_action, "
     "active_order_card; deeplinks: no active_order_card link"),
    ({**v2(), "deeplinks": [{"link": "rahmet://orders", "type": "active_order_call_to_action"},
                            {"link": "https://rahmetapp.kz/2", "type": "active_order_card"}]},
     "deeplinks[0][link]: must be an http(s) URL"),
    ({k: v for k, v in v2().items() if k != "user_id"}, "user_id: required"),
    ({**v2(), "user_id": "abc"}, "user_id: must be an integer"),
    ({**v2(), "is_need_timer": False},
     "is_need_timer: version 1 field sent together with external_data[need_timer] (version 2)"),
    (v2(need_timer="yes"), "external_data[need_timer]: must be a boolean (1/0 in a form, true/false in JSON), "
                           "not 'yes'"),
    ({k: v for k, v in v2().items() if k != "external_data"}, "external_data: required"),
])
def test_status_refuses_what_choco_would(client, bearer, payload, message):
    # when
    response = put_json(client, payload, bearer)
    # then
    assert response.status_code == 400
    assert response.json() == refusal(message)
    assert SandboxRequest.objects.get(endpoint="/orders/v2/preorder/external/status").problems == message.split("; ")


def test_status_refuses_the_string_true_in_a_form_like_laravel(client, bearer):
    # given
    form = load_fixture("choco_status_request_v2.form").replace("need_timer%5D=0", "need_timer%5D=true")
    # when
    response = client.put(STATUS_URL, form, content_type=FORM, **bearer)
    # then
    assert response.status_code == 400
    assert response.json()["message"] == ("external_data[need_timer]: must be a boolean (1/0 in a form, "
                                          "true/false in JSON), not 'true'")


@pytest.mark.parametrize(("body", "content_type", "message"), [
    (b"{not json", "application/json", "body: not valid JSON"),
    (b"[1, 2]", "application/json", "body: must be a JSON object"),
    (b"\xff\xfe\x00", "application/json", "body: not UTF-8"),
    (b"merchant_order_id=%FF", FORM, "body: a %-escape is not UTF-8"),
    (b"merchant_order_id=1", "text/plain",
     "Content-Type: must be application/x-www-form-urlencoded or application/json, not text/plain"),
])
def test_status_answers_a_malformed_body_with_the_error_envelope(client, bearer, body, content_type, message):
    # when
    response = client.put(STATUS_URL, body, content_type=content_type, **bearer)
    # then
    assert response.status_code == 400
    assert response.json() == refusal(message)


@pytest.mark.parametrize("headers", [{}, {"HTTP_AUTHORIZATION": "Bearer forged"}, {"HTTP_AUTHORIZATION": "Basic x"}])
def test_status_refuses_a_missing_or_wrong_bearer(client, headers):
    # when
    response = put_json(client, v2(), headers)
    # then
    assert response.status_code == 401
    assert response.json() == {"error_code": 4, "status": "error", "message": "Unauthenticated", "data": None}


def test_status_refuses_an_expired_token(client, bearer):
    # given
    SandboxToken.objects.update(expires_at=timezone.now() - timedelta(seconds=1))
    # when
    response = put_json(client, v2(), bearer)
    # then
    assert response.status_code == 401


def test_status_refuses_other_methods_in_the_envelope(client, bearer):
    # when
    response = client.post(STATUS_URL, json.dumps(v2()), content_type="application/json", **bearer)
    # then
    assert response.status_code == 405
    assert response.json() == refusal("method: POST is not allowed, use PUT")
