"""HoroshopClient against a local HTTP server playing the Horoshop API."""

import json
import socket

import pytest

from integrations.horoshop.client import HoroshopClient, horoshop_client_from_settings
from integrations.tokens import MemoryTokenStore
from orders.partner_errors import PartnerOverloadedError, PartnerRejectedError, PartnerTransientError
from tests.conftest import FIXTURES

AUTH = "/api/auth/"
UPDATE = "/api/orders/update/"
GET = "/api/orders/get/"
PASSWORD = "secret-password"


def fixture_json(name: str) -> dict:
    return json.loads((FIXTURES / name).read_text(encoding="utf-8"))


def ordered(data) -> str:
    return json.dumps(data, ensure_ascii=False)


TOKEN = fixture_json("horoshop_auth_response.json")["response"]["token"]
UPDATE_PAYLOAD = {"orders": [{"order_id": 115, "status": 4}]}
UPDATE_OK = fixture_json("horoshop_orders_update_response.json")
UNAUTHORIZED = {"status": "UNAUTHORIZED", "response": {"message": "Token expired"}}


def make_client(httpserver, *, store=None, base_url=None, password=PASSWORD) -> HoroshopClient:
    return HoroshopClient(
        base_url=base_url or f"http://127.0.0.1:{httpserver.port}", login="api-manager", password=password,
        token_store=store or MemoryTokenStore(),
    )


def store_with(token: str) -> MemoryTokenStore:
    store = MemoryTokenStore()
    store.put("horoshop", token, 600)
    return store


def expect(httpserver, path: str, answer, status: int = 200) -> None:
    httpserver.expect_oneshot_request(path, method="POST").respond_with_json(answer, status=status)


def expect_auth(httpserver) -> None:
    expect(httpserver, AUTH, fixture_json("horoshop_auth_response.json"))


def paths(httpserver) -> list[str]:
    return [request.path for request, _ in httpserver.log]


def body(httpserver, index: int) -> dict:
    return httpserver.log[index][0].get_json()


def test_update_orders_logs_in_and_sends_the_token_in_the_body(httpserver):
    # given
    expect_auth(httpserver)
    expect(httpserver, UPDATE, UPDATE_OK)

    # when
    exchange = make_client(httpserver, password="secret").update_orders(UPDATE_PAYLOAD)

    # then
    assert paths(httpserver) == [AUTH, UPDATE]
    assert ordered(body(httpserver, 0)) == ordered(fixture_json("horoshop_auth_request.json"))
    assert ordered(body(httpserver, 1)) == ordered(fixture_json("horoshop_orders_update_request.json"))
    assert httpserver.log[1][0].headers["Content-Type"] == "application/json"
    assert exchange.response_status == 200


def test_the_token_is_reused_for_the_next_call(httpserver):
    # given
    expect_auth(httpserver)
    expect(httpserver, UPDATE, UPDATE_OK)
    expect(httpserver, UPDATE, UPDATE_OK)
    client = make_client(httpserver)

    # when
    client.update_orders(UPDATE_PAYLOAD)
    client.update_orders(UPDATE_PAYLOAD)

    # then
    assert paths(httpserver) == [AUTH, UPDATE, UPDATE]


def test_a_warning_with_an_ok_log_entry_succeeds(httpserver):
    # given
    expect(httpserver, UPDATE, {"status": "WARNING", "response": {"log": [{"order_id": "115", "status": "OK"}]}})

    # when
    exchange = make_client(httpserver, store=store_with(TOKEN)).update_orders(UPDATE_PAYLOAD)

    # then
    assert exchange.response_status == 200


def test_a_log_entry_with_error_is_rejected_with_its_message(httpserver):
    # given
    log = [{"order_id": 115, "status": "ERROR", "message": "Status 4 is not allowed"}]
    expect(httpserver, UPDATE, {"status": "WARNING", "response": {"log": log}})

    # when
    with pytest.raises(PartnerRejectedError) as caught:
        make_client(httpserver, store=store_with(TOKEN)).update_orders(UPDATE_PAYLOAD)

    # then
    assert caught.value.message == "Horoshop refused order 115: Status 4 is not allowed"
    assert caught.value.exchange is not None
    assert caught.value.exchange.url.endswith(UPDATE)


def test_an_order_missing_from_the_log_is_rejected(httpserver):
    # given
    expect(httpserver, UPDATE, {"status": "OK", "response": {"log": [{"order_id": 116, "status": "OK"}]}})

    # when / then
    with pytest.raises(PartnerRejectedError, match="did not report on order 115"):
        make_client(httpserver, store=store_with(TOKEN)).update_orders(UPDATE_PAYLOAD)


def test_an_error_envelope_is_rejected_with_its_message(httpserver):
    # given
    expect(httpserver, UPDATE, {"status": "ERROR", "response": {"message": "Invalid orders"}})

    # when / then
    with pytest.raises(PartnerRejectedError, match="Invalid orders"):
        make_client(httpserver, store=store_with(TOKEN)).update_orders(UPDATE_PAYLOAD)


def test_unauthorized_logs_in_again_and_resends_once(httpserver):
    # given
    expect(httpserver, UPDATE, UNAUTHORIZED)
    expect_auth(httpserver)
    expect(httpserver, UPDATE, UPDATE_OK)
    store = store_with("stale-token-0000")

    # when
    make_client(httpserver, store=store).update_orders(UPDATE_PAYLOAD)

    # then
    assert paths(httpserver) == [UPDATE, AUTH, UPDATE]
    assert body(httpserver, 0)["token"] == "stale-token-0000"
    assert body(httpserver, 2)["token"] == TOKEN
    assert store.get("horoshop") == TOKEN


def test_http_401_logs_in_again_and_resends_once(httpserver):
    # given
    expect(httpserver, UPDATE, {"status": "AUTHORIZATION_ERROR"}, status=401)
    expect_auth(httpserver)
    expect(httpserver, UPDATE, UPDATE_OK)

    # when
    make_client(httpserver, store=store_with("stale-token-0000")).update_orders(UPDATE_PAYLOAD)

    # then
    assert paths(httpserver) == [UPDATE, AUTH, UPDATE]


def test_unauthorized_twice_is_rejected(httpserver):
    # given
    expect(httpserver, UPDATE, UNAUTHORIZED)
    expect_auth(httpserver)
    expect(httpserver, UPDATE, UNAUTHORIZED)

    # when
    with pytest.raises(PartnerRejectedError) as caught:
        make_client(httpserver, store=store_with("stale-token-0000")).update_orders(UPDATE_PAYLOAD)

    # then
    assert paths(httpserver) == [UPDATE, AUTH, UPDATE]
    assert caught.value.message == "Horoshop refused a fresh token: Token expired"


def test_a_refused_login_is_rejected_with_its_message(httpserver):
    # given
    expect(httpserver, AUTH, {"status": "ERROR", "response": {"message": "Wrong login or password"}})

    # when
    with pytest.raises(PartnerRejectedError) as caught:
        make_client(httpserver).update_orders(UPDATE_PAYLOAD)

    # then
    assert caught.value.message == "Horoshop refused the login: Wrong login or password"
    assert caught.value.exchange is not None
    assert PASSWORD not in caught.value.exchange.request_body


def test_the_token_is_masked_in_the_exchange(httpserver):
    # given
    expect(httpserver, UPDATE, UPDATE_OK)

    # when
    exchange = make_client(httpserver, store=store_with(TOKEN)).update_orders(UPDATE_PAYLOAD)

    # then
    assert TOKEN not in repr(exchange)
    assert json.loads(exchange.request_body)["token"] == "***"


def test_server_error_is_transient(httpserver):
    # given
    expect(httpserver, UPDATE, {"status": "EXCEPTION"}, status=500)

    # when / then
    with pytest.raises(PartnerTransientError, match="HTTP 500"):
        make_client(httpserver, store=store_with(TOKEN)).update_orders(UPDATE_PAYLOAD)


def test_a_refused_connection_is_transient(httpserver):
    # given
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        port = sock.getsockname()[1]
    client = make_client(httpserver, base_url=f"http://127.0.0.1:{port}/")

    # when
    with pytest.raises(PartnerTransientError) as caught:
        client.update_orders(UPDATE_PAYLOAD)

    # then
    assert not isinstance(caught.value, PartnerOverloadedError)
    assert caught.value.exchange is not None
    assert caught.value.exchange.url == f"http://127.0.0.1:{port}/api/auth/"


def test_orders_get_from_a_date_returns_the_orders(httpserver):
    # given
    answer = fixture_json("horoshop_orders_get_response.json")
    expect(httpserver, GET, answer)

    # when
    orders, _ = make_client(httpserver, store=store_with(TOKEN)).orders_get(from_="2026-11-24 09:00:00")

    # then
    assert ordered(body(httpserver, 0)) == ordered(fixture_json("horoshop_orders_get_request.json"))
    assert orders == answer["response"]["orders"]


def test_orders_get_by_ids_sends_the_documented_body(httpserver):
    # given
    expect(httpserver, GET, fixture_json("horoshop_orders_get_response.json"))

    # when
    make_client(httpserver, store=store_with(TOKEN)).orders_get(ids=[115, 116, 117])

    # then
    assert ordered(body(httpserver, 0)) == ordered(fixture_json("horoshop_orders_get_by_ids_request.json"))


def test_orders_get_empty_is_an_empty_list(httpserver):
    # given
    expect(httpserver, GET, fixture_json("horoshop_orders_get_empty_response.json"))

    # when
    orders, exchange = make_client(httpserver, store=store_with(TOKEN)).orders_get(from_="2026-11-24 09:00:00")

    # then
    assert orders == []
    assert exchange.response_status == 200


@pytest.mark.parametrize("response", [
    [{"id": 1, "title": {"ua": "Новий"}, "is_successful": 0}],
    {"statuses": [{"id": 1, "title": {"ua": "Новий"}, "is_successful": 0}]},
])
def test_available_statuses_accepts_a_list_or_a_statuses_key(httpserver, response):
    # given
    expect(httpserver, "/api/orders/get_available_statuses/", {"status": "OK", "response": response})

    # when
    statuses, _ = make_client(httpserver, store=store_with(TOKEN)).available_statuses()

    # then
    assert statuses == [{"id": 1, "title": {"ua": "Новий"}, "is_successful": 0}]


def test_subscribe_returns_the_id_from_a_201(httpserver):
    # given
    request = fixture_json("horoshop_hooks_subscribe_request.json")
    expect(httpserver, "/api/hooks/subscribe/", fixture_json("horoshop_hooks_subscribe_response_201.json"), status=201)

    # when
    subscription_id, exchange = make_client(httpserver, store=store_with(TOKEN)).hooks_subscribe(
        event=request["event"], target_url=request["target_url"]
    )

    # then
    assert subscription_id == 7
    assert exchange.response_status == 201
    assert ordered(body(httpserver, 0)) == ordered(request)


def test_subscribe_past_the_limit_is_rejected_with_the_message(httpserver):
    # given
    message = "Subscriptions limit for current event has been reached"
    expect(httpserver, "/api/hooks/subscribe/", {"status": "ERROR", "response": {"message": message}}, status=400)

    # when / then
    with pytest.raises(PartnerRejectedError, match=message):
        make_client(httpserver, store=store_with(TOKEN)).hooks_subscribe(
            event="order_created", target_url="https://hub.example.com/hook"
        )


def test_subscribe_without_an_id_is_rejected(httpserver):
    # given
    expect(httpserver, "/api/hooks/subscribe/", {"status": "ERROR", "message": "Unknown event"})

    # when / then
    with pytest.raises(PartnerRejectedError, match="Horoshop refused the subscription: Unknown event"):
        make_client(httpserver, store=store_with(TOKEN)).hooks_subscribe(
            event="order_moved", target_url="https://hub.example.com/hook"
        )


def test_unsubscribe_answered_410_gone_succeeds(httpserver):
    # given
    expect(httpserver, "/api/hooks/unSubscribe/", {"status": "OK"}, status=410)

    # when
    exchange = make_client(httpserver, store=store_with(TOKEN)).hooks_unsubscribe(
        subscription_id=7, target_url="https://hub.example.com/hook"
    )

    # then
    assert exchange.response_status == 410
    assert body(httpserver, 0) == {"token": TOKEN, "id": 7, "target_url": "https://hub.example.com/hook"}


def test_no_client_without_a_password(settings):
    # given
    settings.HOROSHOP_API_URL = "https://shop.example"
    settings.HOROSHOP_LOGIN = "api-manager"
    settings.HOROSHOP_PASSWORD = ""

    # when
    client = horoshop_client_from_settings(token_store=MemoryTokenStore())

    # then
    assert client is None


def test_a_client_from_settings(settings):
    # given
    settings.HOROSHOP_API_URL = "https://shop.example"
    settings.HOROSHOP_LOGIN = "api-manager"
    settings.HOROSHOP_PASSWORD = PASSWORD

    # when
    client = horoshop_client_from_settings(token_store=MemoryTokenStore())

    # then
    assert isinstance(client, HoroshopClient)
