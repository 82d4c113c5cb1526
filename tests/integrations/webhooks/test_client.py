"""Posting a signed event: what is sent, how each answer is judged, and what is recorded."""

from __future__ import annotations

import json
import time

import pytest
from pytest_httpserver import HTTPServer
from standardwebhooks import Webhook

from integrations.webhooks.client import EndpointGoneError, WebhookClient
from integrations.webhooks.signing import secret_generate
from orders.partner_errors import PartnerOverloadedError, PartnerRejectedError, PartnerTransientError

PATH = "/hooks/orders/kEy-77aa"
BODY = '{"id":"msg_hub_3","type":"order.status_changed","version":1,"data":{"order_number":"115"}}'


@pytest.fixture
def secret() -> str:
    return secret_generate()


def client_for(url: str, secret: str, *, allow_private: bool = True) -> WebhookClient:
    return WebhookClient(url=url, secrets=[secret], allow_private=allow_private)


def test_a_2xx_takes_the_event_as_signed_and_records_no_secret(httpserver: HTTPServer, secret):
    # given
    httpserver.expect_request(PATH, method="POST").respond_with_data("", status=204)
    # when
    exchange = client_for(httpserver.url_for(PATH), secret).post(msg_id="msg_hub_3", body=BODY)
    # then: the consumer got exactly the signed body, and the library verifies it
    request = httpserver.log[0][0]
    assert request.get_data(as_text=True) == BODY
    assert request.headers["Content-Type"] == "application/json"
    assert Webhook(secret).verify(request.get_data(), dict(request.headers))["id"] == "msg_hub_3"
    assert abs(int(request.headers["webhook-timestamp"]) - time.time()) < 5
    # and what the hub keeps has no secret, no signature and no key-like part of the URL
    assert exchange.response_status == 204
    assert exchange.request_headers["webhook-signature"] == "***"
    assert exchange.request_headers["webhook-id"] == "msg_hub_3"
    assert "kEy-77aa" not in exchange.url
    assert secret not in json.dumps(exchange.__dict__)


@pytest.mark.parametrize(("status", "error"), [
    (500, PartnerTransientError), (502, PartnerTransientError), (503, PartnerTransientError),
    (408, PartnerTransientError), (429, PartnerOverloadedError),
    (400, PartnerRejectedError), (401, PartnerRejectedError), (404, PartnerRejectedError),
    (410, EndpointGoneError),
])
def test_each_answer_is_judged_as_standard_webhooks_suggests(httpserver: HTTPServer, secret, status, error):
    # given
    httpserver.expect_request(PATH).respond_with_json({"error": "no"}, status=status)
    # when / then
    with pytest.raises(error) as raised:
        client_for(httpserver.url_for(PATH), secret).post(msg_id="msg_hub_3", body=BODY)
    assert raised.value.exchange.response_status == status
    assert raised.type is error


def test_a_429_with_retry_after_is_honoured(httpserver: HTTPServer, secret):
    # given
    httpserver.expect_request(PATH).respond_with_data("slow down", status=429, headers={"Retry-After": "120"})
    # when / then
    with pytest.raises(PartnerOverloadedError) as raised:
        client_for(httpserver.url_for(PATH), secret).post(msg_id="msg_hub_3", body=BODY)
    assert raised.value.retry_after == 120


def test_a_redirect_is_a_final_failure_and_is_not_followed(httpserver: HTTPServer, secret):
    # given: the endpoint points elsewhere (perhaps inward)
    httpserver.expect_request(PATH).respond_with_data("", status=302, headers={"Location": "/internal/admin"})
    # when / then
    with pytest.raises(PartnerRejectedError, match="HTTP 302"):
        client_for(httpserver.url_for(PATH), secret).post(msg_id="msg_hub_3", body=BODY)
    assert [request.path for request, _ in httpserver.log] == [PATH]


def test_plain_http_is_refused_without_the_allowance(httpserver: HTTPServer, secret):
    # when / then
    with pytest.raises(PartnerRejectedError, match="https://"):
        client_for(httpserver.url_for(PATH), secret, allow_private=False).post(msg_id="msg_hub_3", body=BODY)
    assert httpserver.log == []


def test_an_https_url_that_leads_to_loopback_is_refused_when_sending(httpserver: HTTPServer, secret):
    # given: saved when it led elsewhere; now the name leads to the hub's own machine
    url = f"https://localhost:{httpserver.port}{PATH}"
    # when / then: a final refusal, before a byte is sent
    with pytest.raises(PartnerRejectedError, match="internal address"):
        client_for(url, secret, allow_private=False).post(msg_id="msg_hub_3", body=BODY)
    assert httpserver.log == []


def test_a_secret_echoed_without_its_prefix_is_not_recorded(httpserver: HTTPServer, secret):
    # given: a receiver's error page that prints the key it was configured with (the libraries strip `whsec_`)
    key = secret.removeprefix("whsec_")
    httpserver.expect_request(PATH).respond_with_data(f"signature mismatch: expected one made with {key}", status=401)
    # when
    with pytest.raises(PartnerRejectedError) as raised:
        client_for(httpserver.url_for(PATH), secret).post(msg_id="msg_hub_3", body=BODY)
    # then: neither the attempt's answer nor the error (shown to managers, exported) holds the key
    exchange = raised.value.exchange
    assert exchange is not None
    assert key not in exchange.response_body
    assert key not in str(raised.value)
