"""What every sandbox partner shares: forced failures, recording, staying out of the API schema."""

from __future__ import annotations

import json

import pytest
from django.urls import reverse

from integrations.sandbox.models import SandboxRequest, SandboxSwitch

pytestmark = pytest.mark.django_db


def test_a_forced_failure_is_recorded_with_its_reason(client):
    # given
    SandboxSwitch.objects.filter(partner="imshop").update(fail_next=1, fail_status=502)
    # when
    response = client.post(reverse("sandbox:imshop-status"), json.dumps({"id": "1", "code": "new"}),
                           content_type="application/json")
    # then
    record = SandboxRequest.objects.get()
    assert (response.status_code, response.content) == (502, b"502 Bad Gateway")
    assert (record.response_status, record.accepted, record.problems) == (
        502, False, ["forced failure: the sandbox switch asked for 502"])


def test_the_sandbox_is_not_in_the_openapi_schema(client):
    # when
    schema = client.get("/api/schema/", HTTP_ACCEPT="application/vnd.oai.openapi+json")
    # then
    assert schema.status_code == 200
    assert not [path for path in schema.json()["paths"] if "sandbox" in path]


def test_the_wrong_method_is_refused_in_the_partner_envelope_and_recorded(client):
    # when
    response = client.get(reverse("sandbox:choco-auth"))
    # then
    assert response.status_code == 405
    assert response.json() == {"error_code": 3, "status": "error", "message": "method: GET is not allowed, use POST",
                               "data": None}
    assert SandboxRequest.objects.get().method == "GET"


def test_a_body_over_the_upload_limit_is_refused_in_the_partner_envelope(client, settings):
    # given
    settings.DATA_UPLOAD_MAX_MEMORY_SIZE = 10
    # when
    response = client.post(reverse("sandbox:imshop-status"), json.dumps({"id": "1", "code": "new"}),
                           content_type="application/json")
    # then
    assert response.status_code == 413
    assert response.json() == {"success": False, "error": "validation_error", "message": "body: too large"}


SURROGATE = b'{"id": "\\ud800", "code": "new", "key": "\\ud800"}'
NASTY_BODIES = [
    ("application/json", b"[" * 100_000 + b"]" * 100_000),
    ("application/json", SURROGATE),
    ("application/json", b'{"id": "1\\u0000", "code": "\\u0000", "\\u0000": 1}'),
    ("application/json", b'{"user_id": 99999999999999999999999, "orders": [{"order_id": "1\\u0000", "status": 1}]}'),
    ("application/json", b'{"ids": [' + b",".join(b"1" for _ in range(5000)) + b'], "status": 99999999999999999999}'),
    ("application/json", b'{"orders": [{"order_id": 123456789012345678901234567890, "status": 1}]}'),
    ("application/x-www-form-urlencoded", b"user_id=" + b"9" * 5000 + b"&" + b"a" + b"[]" * 500 + b"=1"),
    ("application/x-www-form-urlencoded", b"%00[x=1&deeplinks[0]=x&deeplinks[0][link]=y&external_data=z"),
    ("multipart/form-data; boundary=x", b"--x--"),
    ("", b""),
]
ENDPOINTS = [
    ("sandbox:choco-auth", {}, "post"),
    ("sandbox:choco-status", {}, "put"),
    ("sandbox:imshop-status", {}, "post"),
    ("sandbox:horoshop", {"function": "auth"}, "post"),
    ("sandbox:horoshop", {"function": "orders/update"}, "post"),
    ("sandbox:horoshop", {"function": "orders/get"}, "post"),
    ("sandbox:horoshop", {"function": "hooks/subscribe"}, "post"),
]


@pytest.mark.parametrize(("content_type", "body"), NASTY_BODIES)
@pytest.mark.parametrize(("name", "kwargs", "method"), ENDPOINTS)
def test_a_malformed_request_never_gets_a_500(client, settings, name, kwargs, method, content_type, body):
    # given
    settings.IMSHOP_API_KEY = ""
    # when
    response = getattr(client, method)(reverse(name, kwargs=kwargs), body, content_type=content_type)
    # then
    assert response.status_code < 500
    assert isinstance(response.json(), dict)
    assert not SandboxRequest.objects.get().accepted


def test_horoshop_checks_every_field_once_the_token_is_good(client, settings):
    # given
    settings.HOROSHOP_LOGIN, settings.HOROSHOP_PASSWORD = "m", "p"
    login = client.post(reverse("sandbox:horoshop", kwargs={"function": "auth"}), {"login": "m", "password": "p"},
                        content_type="application/json")
    token = login.json()["response"]["token"]
    bodies = [
        {"token": token, "orders": [{"order_id": "1\u0000", "status": 1}]},
        {"token": token, "ids": [1] * 5000},
        {"token": token, "status": 2**70},
    ]
    # when
    answers = [client.post(reverse("sandbox:horoshop", kwargs={"function": f}), body,
                           content_type="application/json").json()["status"]
               for f, body in zip(["orders/update", "orders/get", "orders/get"], bodies, strict=True)]
    # then
    assert answers == ["WARNING", "ERROR", "ERROR"]
