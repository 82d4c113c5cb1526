"""ImshopClient against a local HTTP server playing Imshop."""

import json
import socket

import pytest

from integrations.imshop.client import ImshopClient, imshop_client_from_settings
from orders.partner_errors import PartnerOverloadedError, PartnerRejectedError, PartnerTransientError
from tests.conftest import FIXTURES
from tests.partners import SlowAnswer

URL_SECRET = "f5315818-cccc-4444-aaaa-31b6aebceb54"
SYNC_PATH = f"/v1/clients/demo-shop/statuses/sync/{URL_SECRET}"
API_KEY = "imshop-api-key-123"


def fixture_json(name: str) -> dict:
    return json.loads((FIXTURES / name).read_text(encoding="utf-8"))


PAYLOAD = fixture_json("imshop_status_request_full.json")


def make_client(httpserver, *, api_key=API_KEY, url=None) -> ImshopClient:
    return ImshopClient(url=url or f"http://127.0.0.1:{httpserver.port}{SYNC_PATH}", api_key=api_key)


def expect_sync(httpserver, answer: dict | None = None, status: int = 200, headers=None) -> None:
    answer = fixture_json("imshop_status_response.json") if answer is None else answer
    httpserver.expect_request(SYNC_PATH, method="POST").respond_with_json(answer, status=status, headers=headers)


def closed_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


def test_send_status_posts_json_with_the_bearer_key(httpserver):
    # given
    expect_sync(httpserver)

    # when
    exchange = make_client(httpserver).send_status(PAYLOAD)

    # then
    [(request, _)] = httpserver.log
    assert (request.method, request.path) == ("POST", SYNC_PATH)
    assert request.headers["Authorization"] == f"Bearer {API_KEY}"
    assert request.headers["Content-Type"] == "application/json"
    assert json.dumps(request.get_json(), ensure_ascii=False) == json.dumps(PAYLOAD, ensure_ascii=False)
    assert exchange.response_status == 200


def test_no_authorization_header_without_a_key(httpserver):
    # given
    expect_sync(httpserver)

    # when
    make_client(httpserver, api_key="").send_status(PAYLOAD)

    # then
    assert "Authorization" not in httpserver.log[0][0].headers


def test_success_false_is_rejected_with_imshops_message(httpserver):
    # given
    expect_sync(httpserver, {"success": False, "message": "Order not found"})

    # when
    with pytest.raises(PartnerRejectedError) as caught:
        make_client(httpserver).send_status(PAYLOAD)

    # then
    assert caught.value.message == "Imshop refused: Order not found"
    assert caught.value.exchange is not None
    assert caught.value.exchange.response_status == 200


def test_a_200_that_is_not_json_is_transient(httpserver):
    # given
    httpserver.expect_request(SYNC_PATH, method="POST").respond_with_data("OK", status=200)

    # when / then
    with pytest.raises(PartnerTransientError, match="not JSON"):
        make_client(httpserver).send_status(PAYLOAD)


def test_a_4xx_is_rejected_with_imshops_error(httpserver):
    # given
    expect_sync(httpserver, {"success": False, "error": "invalid_key"}, status=403)

    # when
    with pytest.raises(PartnerRejectedError) as caught:
        make_client(httpserver).send_status(PAYLOAD)

    # then
    assert caught.value.message == "HTTP 403: invalid_key"


def test_server_error_is_transient(httpserver):
    # given
    expect_sync(httpserver, {"success": False}, status=503)

    # when / then
    with pytest.raises(PartnerTransientError, match="HTTP 503"):
        make_client(httpserver).send_status(PAYLOAD)


def test_429_is_overloaded_with_retry_after(httpserver):
    # given
    expect_sync(httpserver, {"success": False, "error": "rate limit"}, status=429, headers={"Retry-After": "60"})

    # when
    with pytest.raises(PartnerOverloadedError) as caught:
        make_client(httpserver).send_status(PAYLOAD)

    # then
    assert caught.value.retry_after == 60.0


def test_a_time_out_is_overloaded(httpserver, settings):
    # given
    settings.PARTNER_CONNECT_TIMEOUT = 0.5
    settings.PARTNER_READ_TIMEOUT = 0.1

    slow = SlowAnswer(0.4, '{"success": true}')

    httpserver.expect_request(SYNC_PATH, method="POST").respond_with_handler(slow)

    # when / then
    with pytest.raises(PartnerOverloadedError, match="Time-out"):
        make_client(httpserver).send_status(PAYLOAD)
    slow.finished()


def test_a_refused_connection_is_transient(httpserver):
    # given
    client = make_client(httpserver, url=f"http://127.0.0.1:{closed_port()}{SYNC_PATH}")

    # when
    with pytest.raises(PartnerTransientError) as caught:
        client.send_status(PAYLOAD)

    # then
    assert not isinstance(caught.value, PartnerOverloadedError)
    assert caught.value.exchange is not None
    assert caught.value.exchange.response_status is None


def test_the_url_secret_and_the_key_are_masked_in_the_exchange(httpserver):
    # given
    expect_sync(httpserver)

    # when
    exchange = make_client(httpserver).send_status(PAYLOAD)

    # then
    assert URL_SECRET not in repr(exchange)
    assert API_KEY not in repr(exchange)
    assert exchange.url.endswith("/statuses/sync/***")


def test_no_client_without_a_url(settings):
    # given
    settings.IMSHOP_STATUS_URL = ""

    # when
    client = imshop_client_from_settings()

    # then
    assert client is None


def test_a_client_from_settings(settings):
    # given
    settings.IMSHOP_STATUS_URL = f"https://api1.imshop.io{SYNC_PATH}"
    settings.IMSHOP_API_KEY = ""

    # when
    client = imshop_client_from_settings()

    # then
    assert isinstance(client, ImshopClient)
