"""ChocoClient against a local HTTP server playing the Rahmet Pay gateway."""

import json
import socket

import pytest

from integrations.choco.client import ChocoClient, choco_client_from_settings
from integrations.choco.payloads import encode_form
from integrations.tokens import MemoryTokenStore
from orders.partner_errors import PartnerOverloadedError, PartnerRejectedError, PartnerTransientError
from tests.conftest import FIXTURES
from tests.partners import SlowAnswer

AUTH_PATH = "/auth/token"
STATUS_PATH = "/orders/v2/preorder/external/status"
CLIENT_SECRET = "merchant-client-secret"


def fixture_json(name: str) -> dict:
    return json.loads((FIXTURES / name).read_text(encoding="utf-8"))


TOKEN = fixture_json("choco_auth_token_response.json")["data"]["token"]
PAYLOAD = fixture_json("choco_status_request_v2.json")


def make_client(httpserver, *, store=None, body_format="form", base_url=None) -> ChocoClient:
    return ChocoClient(
        base_url=base_url or f"http://127.0.0.1:{httpserver.port}", client_id="merchant-client-id",
        client_secret=CLIENT_SECRET, body_format=body_format, token_store=store or MemoryTokenStore(),
    )


def store_with(token: str) -> MemoryTokenStore:
    store = MemoryTokenStore()
    store.put("choco", token, 10800)
    return store


def expect_auth(httpserver, answer: dict | None = None, status: int = 200) -> None:
    answer = fixture_json("choco_auth_token_response.json") if answer is None else answer
    httpserver.expect_oneshot_request(AUTH_PATH, method="POST").respond_with_json(answer, status=status)


def expect_status(httpserver, answer: dict | None = None, status: int = 200, headers=None) -> None:
    answer = fixture_json("choco_status_response.json") if answer is None else answer
    httpserver.expect_oneshot_request(STATUS_PATH, method="PUT").respond_with_json(
        answer, status=status, headers=headers
    )


def closed_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


def received(httpserver) -> list[tuple[str, str]]:
    return [(request.method, request.path) for request, _ in httpserver.log]


def test_send_status_fetches_a_token_and_puts_the_form_body(httpserver):
    # given
    expect_auth(httpserver)
    expect_status(httpserver)

    # when
    exchange = make_client(httpserver).send_status(PAYLOAD)

    # then
    assert received(httpserver) == [("POST", AUTH_PATH), ("PUT", STATUS_PATH)]
    put = httpserver.log[1][0]
    assert put.headers["Authorization"] == f"Bearer {TOKEN}"
    assert put.headers["Accept"] == "application/json"
    assert put.headers["Content-Type"] == "application/x-www-form-urlencoded"
    assert put.get_data(as_text=True) == encode_form(PAYLOAD)
    assert exchange.response_status == 200


def test_the_token_request_is_the_documented_form(httpserver):
    # given
    expect_auth(httpserver)
    expect_status(httpserver)
    expected = (FIXTURES / "choco_auth_token_request.form").read_text(encoding="utf-8").rstrip("\n")

    # when
    make_client(httpserver).send_status(PAYLOAD)

    # then
    auth = httpserver.log[0][0]
    assert auth.headers["Content-Type"] == "application/x-www-form-urlencoded"
    assert auth.get_data(as_text=True) == expected


def test_json_body_format_puts_json(httpserver):
    # given
    expect_status(httpserver)

    # when
    make_client(httpserver, store=store_with(TOKEN), body_format="json").send_status(PAYLOAD)

    # then
    put = httpserver.log[0][0]
    assert put.headers["Content-Type"] == "application/json"
    assert json.dumps(put.get_json(), ensure_ascii=False) == json.dumps(PAYLOAD, ensure_ascii=False)


def test_the_token_is_fetched_once_for_two_sends(httpserver):
    # given
    expect_auth(httpserver)
    expect_status(httpserver)
    expect_status(httpserver)
    client = make_client(httpserver)

    # when
    client.send_status(PAYLOAD)
    client.send_status(PAYLOAD)

    # then
    assert received(httpserver) == [("POST", AUTH_PATH), ("PUT", STATUS_PATH), ("PUT", STATUS_PATH)]


def test_a_token_near_its_expiry_is_not_used(httpserver):
    # given: a 3-hour token is dropped 5 minutes early
    now = [1000.0]
    store = MemoryTokenStore(clock=lambda: now[0])
    store.put("choco", "old-token", 10800)
    now[0] += 10800 - 299
    expect_auth(httpserver)
    expect_status(httpserver)

    # when
    make_client(httpserver, store=store).send_status(PAYLOAD)

    # then
    assert received(httpserver) == [("POST", AUTH_PATH), ("PUT", STATUS_PATH)]
    assert store.get("choco") == TOKEN


def test_a_401_gets_a_fresh_token_and_one_resend(httpserver):
    # given
    expect_status(httpserver, {"error_code": 401, "message": "Unauthenticated."}, status=401)
    expect_auth(httpserver)
    expect_status(httpserver)
    store = store_with("stale-token")

    # when
    exchange = make_client(httpserver, store=store).send_status(PAYLOAD)

    # then
    assert received(httpserver) == [("PUT", STATUS_PATH), ("POST", AUTH_PATH), ("PUT", STATUS_PATH)]
    assert httpserver.log[0][0].headers["Authorization"] == "Bearer stale-token"
    assert httpserver.log[2][0].headers["Authorization"] == f"Bearer {TOKEN}"
    assert exchange.response_status == 200
    assert store.get("choco") == TOKEN


def test_a_second_401_is_rejected(httpserver):
    # given
    expect_status(httpserver, {"message": "Unauthenticated."}, status=401)
    expect_auth(httpserver)
    expect_status(httpserver, {"message": "Unauthenticated."}, status=401)

    # when
    with pytest.raises(PartnerRejectedError) as caught:
        make_client(httpserver, store=store_with("stale-token")).send_status(PAYLOAD)

    # then
    assert len(httpserver.log) == 3
    assert caught.value.exchange is not None
    assert caught.value.exchange.method == "PUT"
    assert caught.value.exchange.response_status == 401


def test_error_code_other_than_0_is_rejected(httpserver):
    # given
    expect_status(httpserver, {"error_code": 12, "status": "error", "message": "Preorder not found", "data": None})

    # when
    with pytest.raises(PartnerRejectedError) as caught:
        make_client(httpserver, store=store_with(TOKEN)).send_status(PAYLOAD)

    # then
    assert caught.value.message == "Choco error 12: Preorder not found"
    assert caught.value.exchange is not None
    assert caught.value.exchange.response_status == 200


def test_a_200_that_is_not_json_is_transient(httpserver):
    # given
    httpserver.expect_request(STATUS_PATH, method="PUT").respond_with_data("<html>ok</html>", status=200)

    # when / then
    with pytest.raises(PartnerTransientError, match="not JSON"):
        make_client(httpserver, store=store_with(TOKEN)).send_status(PAYLOAD)


def test_refused_credentials_are_rejected_with_chocos_message(httpserver):
    # given
    expect_auth(httpserver, fixture_json("choco_error_response.json"))
    store = MemoryTokenStore()

    # when
    with pytest.raises(PartnerRejectedError) as caught:
        make_client(httpserver, store=store).send_status(PAYLOAD)

    # then
    assert caught.value.message == "Choco refused the credentials: Client authentication failed"
    assert received(httpserver) == [("POST", AUTH_PATH)]
    assert store.get("choco") is None


def test_credentials_refused_with_http_401_are_rejected(httpserver):
    # given
    expect_auth(httpserver, fixture_json("choco_error_response.json"), status=401)

    # when / then
    with pytest.raises(PartnerRejectedError, match="Choco refused the credentials: Client authentication failed"):
        make_client(httpserver).send_status(PAYLOAD)


def test_auth_server_error_is_transient(httpserver):
    # given
    expect_auth(httpserver, {"message": "Server Error"}, status=502)

    # when
    with pytest.raises(PartnerTransientError) as caught:
        make_client(httpserver).send_status(PAYLOAD)

    # then
    assert not isinstance(caught.value, PartnerRejectedError)
    assert caught.value.exchange is not None
    assert caught.value.exchange.url.endswith(AUTH_PATH)


def test_server_error_is_transient(httpserver):
    # given
    expect_status(httpserver, {"message": "Server Error"}, status=500)

    # when
    with pytest.raises(PartnerTransientError) as caught:
        make_client(httpserver, store=store_with(TOKEN)).send_status(PAYLOAD)

    # then
    assert caught.value.message == "HTTP 500: Server Error"
    assert caught.value.overloaded is False


def test_429_is_overloaded_with_retry_after(httpserver):
    # given
    expect_status(httpserver, {"message": "Too Many Attempts."}, status=429, headers={"Retry-After": "30"})

    # when
    with pytest.raises(PartnerOverloadedError) as caught:
        make_client(httpserver, store=store_with(TOKEN)).send_status(PAYLOAD)

    # then
    assert caught.value.retry_after == 30.0
    assert caught.value.exchange is not None
    assert caught.value.exchange.response_status == 429


def test_a_time_out_is_overloaded(httpserver, settings):
    # given
    settings.PARTNER_CONNECT_TIMEOUT = 0.5
    settings.PARTNER_READ_TIMEOUT = 0.1

    slow = SlowAnswer(0.4, "{}")

    httpserver.expect_request(STATUS_PATH, method="PUT").respond_with_handler(slow)

    # when
    with pytest.raises(PartnerOverloadedError) as caught:
        make_client(httpserver, store=store_with(TOKEN)).send_status(PAYLOAD)
    slow.finished()

    # then
    assert caught.value.exchange is not None
    assert caught.value.exchange.response_status is None
    assert caught.value.exchange.method == "PUT"


def test_a_refused_connection_is_transient(httpserver):
    # given
    client = make_client(httpserver, base_url=f"http://127.0.0.1:{closed_port()}")

    # when
    with pytest.raises(PartnerTransientError) as caught:
        client.send_status(PAYLOAD)

    # then
    assert not isinstance(caught.value, PartnerOverloadedError)
    assert caught.value.message.startswith("Connection failed")
    assert caught.value.exchange is not None
    assert caught.value.exchange.url.endswith(AUTH_PATH)


def test_the_token_is_masked_in_the_exchange(httpserver):
    # given
    expect_status(httpserver, {"error_code": 0, "message": f"echo {TOKEN}"})

    # when
    exchange = make_client(httpserver, store=store_with(TOKEN)).send_status(PAYLOAD)

    # then
    assert exchange.request_headers["Authorization"] == "***"
    assert TOKEN not in repr(exchange)


def test_the_client_secret_is_masked_in_the_exchange(httpserver):
    # given
    expect_auth(httpserver, fixture_json("choco_error_response.json"))

    # when
    with pytest.raises(PartnerRejectedError) as caught:
        make_client(httpserver).send_status(PAYLOAD)

    # then
    assert caught.value.exchange is not None
    assert CLIENT_SECRET not in caught.value.exchange.request_body
    assert "client_id=merchant-client-id" in caught.value.exchange.request_body


def test_a_base_url_ending_in_a_slash_makes_no_double_slash(httpserver):
    # given
    expect_status(httpserver)
    client = make_client(httpserver, store=store_with(TOKEN), base_url=f"http://127.0.0.1:{httpserver.port}/")

    # when
    client.send_status(PAYLOAD)

    # then
    assert received(httpserver) == [("PUT", STATUS_PATH)]


def test_no_client_without_credentials(settings):
    # given
    settings.CHOCO_CLIENT_ID = "merchant-client-id"
    settings.CHOCO_CLIENT_SECRET = ""

    # when
    client = choco_client_from_settings(token_store=MemoryTokenStore())

    # then
    assert client is None


def test_a_client_from_settings(settings):
    # given
    settings.CHOCO_CLIENT_ID = "merchant-client-id"
    settings.CHOCO_CLIENT_SECRET = CLIENT_SECRET
    settings.CHOCO_BODY_FORMAT = "json"

    # when
    client = choco_client_from_settings(token_store=MemoryTokenStore())

    # then
    assert isinstance(client, ChocoClient)
