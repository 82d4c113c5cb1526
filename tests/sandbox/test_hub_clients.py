"""The hub's real partner clients against the sandbox over real HTTP (pytest-django's live server).

What the hub's payload builders make from the sample data must be accepted; what a partner would
refuse must come back to the clients as the partner's refusal.
"""

from __future__ import annotations

import time
from typing import Any

import pytest
from django.utils import timezone

from integrations.choco.client import ChocoClient, choco_client_from_settings
from integrations.choco.payloads import build_status_payload as build_choco_payload
from integrations.horoshop.client import horoshop_client_from_settings
from integrations.horoshop.payloads import build_status_update_payload
from integrations.imshop.client import ImshopClient, imshop_client_from_settings
from integrations.imshop.payloads import build_status_payload as build_imshop_payload
from integrations.sandbox.models import SandboxRequest, SandboxShopOrder, SandboxSwitch
from integrations.tokens import MemoryTokenStore
from orders.defaults import DEFAULT_MAPPINGS
from orders.models import Order, StatusMapping
from orders.partner_errors import PartnerOverloadedError, PartnerRejectedError, PartnerTransientError
from tests.conftest import load_fixture

# The live server answers from another thread, so the test's data must be committed.
pytestmark = pytest.mark.django_db(transaction=True)

CHOCO_STATUS = "/orders/v2/preorder/external/status"


@pytest.fixture
def sandbox(live_server, settings) -> str:
    """The hub's three channels pointed at the sandbox, as `make run` does without partner credentials."""
    base = f"{live_server.url}/sandbox"
    settings.CHOCO_API_URL = f"{base}/choco"
    settings.CHOCO_CLIENT_ID, settings.CHOCO_CLIENT_SECRET = "sandbox-client", "sandbox-client-secret"
    settings.IMSHOP_STATUS_URL = f"{base}/imshop/status"
    settings.IMSHOP_API_KEY = "sandbox-imshop-key"
    settings.HOROSHOP_API_URL = f"{base}/horoshop"
    settings.HOROSHOP_LOGIN, settings.HOROSHOP_PASSWORD = "sandbox-manager", "sandbox-password"
    return base


def make_order(**overrides: Any) -> Order:
    """An unsaved order from the shop's sample webhook, linked to the Choco sample's user."""
    shop = load_fixture("shop_order_created.json")
    values = {"shop_order_id": str(shop["order_id"]), "delivery_phone": shop["delivery_phone"],
              "payed": bool(shop["payed"]), "choco_user_id": load_fixture("choco_status_request_v2.json")["user_id"]}
    return Order(**{**values, **overrides})


def make_mapping(code: str, **overrides: Any) -> StatusMapping:
    """An unsaved shipped mapping."""
    values = next(m for m in DEFAULT_MAPPINGS if m["code"] == code)
    return StatusMapping(**{**values, **overrides})


def received(partner: str) -> list[tuple[str, int, bool, list[str]]]:
    rows = SandboxRequest.objects.filter(partner=partner).order_by("id")
    return [(r.endpoint, r.response_status, r.accepted, r.problems) for r in rows]


def choco_payload(code: str, version: int, **mapping: Any) -> dict[str, Any]:
    return build_choco_payload(order=make_order(), mapping=make_mapping(code, **mapping), now=timezone.now(),
                               version=version, tz="Asia/Almaty", reason="Товара нет в наличии")


@pytest.mark.parametrize("code", ["new", "shipping", "cancelled"])
@pytest.mark.parametrize("version", [1, 2])
@pytest.mark.parametrize("body_format", ["form", "json"])
def test_choco_accepts_the_hub_client_in_both_formats_and_versions(sandbox, settings, body_format, version, code):
    # given
    settings.CHOCO_BODY_FORMAT = body_format
    client = choco_client_from_settings(token_store=MemoryTokenStore())
    assert client is not None
    # when
    exchange = client.send_status(choco_payload(code, version))
    # then
    assert exchange.response_status == 200
    assert received("choco") == [("/auth/token", 200, True, []), (CHOCO_STATUS, 200, True, [])]


def test_choco_refuses_a_forged_bearer_and_the_client_recovers_with_a_fresh_token(sandbox):
    # given
    store = MemoryTokenStore()
    store.put("choco", "forged-token", 10800)
    client = choco_client_from_settings(token_store=store)
    assert client is not None
    # when
    client.send_status(choco_payload("new", 2))
    # then
    assert received("choco") == [
        (CHOCO_STATUS, 401, False, ["Authorization: bearer token unknown or expired"]),
        ("/auth/token", 200, True, []),
        (CHOCO_STATUS, 200, True, []),
    ]


def test_choco_refuses_wrong_credentials(sandbox, settings):
    # given
    client = ChocoClient(base_url=settings.CHOCO_API_URL, client_id=settings.CHOCO_CLIENT_ID,
                         client_secret="not-the-secret", body_format="form", token_store=MemoryTokenStore())
    # when
    with pytest.raises(PartnerRejectedError) as refused:
        client.send_status(choco_payload("new", 2))
    # then
    assert "Client authentication failed" in refused.value.message
    assert "not-the-secret" not in SandboxRequest.objects.get().body


def test_choco_refuses_a_title_longer_than_30_characters(sandbox):
    # given
    client = choco_client_from_settings(token_store=MemoryTokenStore())
    assert client is not None
    payload = choco_payload("new", 2, choco_title_active_order_card="Ваш заказ уже собран и упакован")
    # when
    with pytest.raises(PartnerRejectedError) as refused:
        client.send_status(payload)
    # then
    assert refused.value.message == "HTTP 400: external_data[title_active_order_card]: longer than 30 characters"


@pytest.mark.parametrize(("payed", "payment"), [
    (False, {"paid": False, "paymentId": None}),
    (True, {"paid": True, "paymentId": "115"}),
])
def test_imshop_accepts_the_hub_client_with_and_without_payment(sandbox, payed, payment):
    # given
    mapping = make_mapping("shipping", imshop_tracking_url="https://track.example.com/{order_id}")
    payload = build_imshop_payload(order=make_order(payed=payed), mapping=mapping, payment_changed=True)
    # when
    client = imshop_client_from_settings()
    assert client is not None
    client.send_status(payload)
    # then
    assert payload["payment"] == payment
    assert payload["userId"] == "380124214214"
    assert received("imshop") == [("/status", 200, True, [])]


def test_imshop_refuses_a_payment_without_payment_id(sandbox):
    # given
    payload = {"id": "115", "code": "delivered", "payment": {"paid": True}}
    client = imshop_client_from_settings()
    assert client is not None
    # when
    with pytest.raises(PartnerRejectedError) as refused:
        client.send_status(payload)
    # then
    assert refused.value.message == "Imshop refused: payment[paymentId]: required (null when paid is false)"


def test_imshop_refuses_a_wrong_key_with_401(sandbox, settings):
    # given
    client = ImshopClient(url=settings.IMSHOP_STATUS_URL, api_key="wrong-key")
    # when
    with pytest.raises(PartnerRejectedError) as refused:
        client.send_status({"id": "115", "code": "new"})
    # then
    assert refused.value.exchange is not None
    assert refused.value.exchange.response_status == 401
    assert SandboxRequest.objects.get().headers["Authorization"] == "***"


def test_horoshop_takes_the_hub_status_and_returns_it_from_orders_get(sandbox):
    # given
    client = horoshop_client_from_settings(token_store=MemoryTokenStore())
    assert client is not None
    payload = build_status_update_payload(order=make_order(), mapping=make_mapping("cancelled"))
    # when
    client.update_orders(payload)
    orders, _ = client.orders_get(ids=[115], limit=1)
    # then
    assert [(o["order_id"], o["stat_status"]) for o in orders] == [(115, 4)]
    assert SandboxShopOrder.objects.get().status == 4
    assert [r[:3] for r in received("horoshop")] == [
        ("/api/auth/", 200, True), ("/api/orders/update/", 200, True), ("/api/orders/get/", 200, True)]


def test_horoshop_answers_the_hub_poller_and_setup_calls(sandbox):
    # given
    client = horoshop_client_from_settings(token_store=MemoryTokenStore())
    assert client is not None
    target = "https://hub.example.com/api/webhooks/shop/order_update/?token=t"
    # when
    empty, _ = client.orders_get(from_="2024-01-01 00:00:00", limit=100, offset=0)
    statuses, _ = client.available_statuses()
    subscription_id, _ = client.hooks_subscribe(event="order_update", target_url=target)
    client.hooks_unsubscribe(subscription_id=subscription_id, target_url=target)
    # then
    assert empty == []
    assert [s["id"] for s in statuses] == [1, 2, 3, 4, 6]
    assert all(accepted for _, _, accepted, _ in received("horoshop"))


def test_horoshop_refuses_an_unknown_token_and_the_client_logs_in_again(sandbox):
    # given
    store = MemoryTokenStore()
    store.put("horoshop", "9f86d081884c7d659a2feaa0c55ad015", 600)
    client = horoshop_client_from_settings(token_store=store)
    assert client is not None
    # when
    client.update_orders({"orders": [{"order_id": 115, "status": 2}]})
    # then
    assert received("horoshop") == [
        ("/api/orders/update/", 200, False, ["token: missing, unknown or older than 600 s"]),
        ("/api/auth/", 200, True, []),
        ("/api/orders/update/", 200, True, []),
    ]


def test_forced_failures_answer_503_twice_then_the_partner_accepts(sandbox):
    # given
    client = imshop_client_from_settings()
    assert client is not None
    SandboxSwitch.objects.update_or_create(partner="imshop", defaults={"fail_next": 2, "fail_status": 503})
    payload = {"id": "115", "code": "new"}
    # when
    failures = []
    for _ in range(2):
        with pytest.raises(PartnerTransientError) as failed:
            client.send_status(payload)
        assert failed.value.exchange is not None
        failures.append(failed.value.exchange.response_status)
    client.send_status(payload)
    # then
    assert failures == [503, 503]
    assert [(status, accepted) for _, status, accepted, _ in received("imshop")] == [
        (503, False), (503, False), (200, True)]
    assert SandboxSwitch.objects.get(partner="imshop").fail_next == 0


def test_a_slow_partner_makes_the_client_time_out(sandbox, settings):
    # given
    settings.PARTNER_READ_TIMEOUT = 0.2
    SandboxSwitch.objects.update_or_create(partner="imshop", defaults={"latency_ms": 600})
    client = imshop_client_from_settings()
    assert client is not None
    # when
    with pytest.raises(PartnerOverloadedError):
        client.send_status({"id": "115", "code": "new"})
    # then: the sandbox still records the request once its delay is over
    deadline = time.monotonic() + 5
    while not SandboxRequest.objects.exists() and time.monotonic() < deadline:
        time.sleep(0.05)
    assert received("imshop") == [("/status", 200, True, [])]
