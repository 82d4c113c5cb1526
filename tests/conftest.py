"""Shared fixtures: real sample payloads, API clients with the test tokens, small factories."""

from __future__ import annotations

import copy
import json
from collections.abc import Iterator
from pathlib import Path
from typing import TYPE_CHECKING, Any

import pytest
from django.db import connection
from django.urls import reverse
from rest_framework.test import APIClient

if TYPE_CHECKING:
    from orders.models import Order

FIXTURES = Path(__file__).parent / "fixtures"


def load_fixture(name: str) -> Any:
    text = (FIXTURES / name).read_text(encoding="utf-8")
    return json.loads(text) if name.endswith(".json") else text.strip()


def status_code(order: Order) -> str | None:
    """The code of the order's status, or None while it has none."""
    return order.status.code if order.status is not None else None


def change_form_data(response) -> dict:
    """The values of a rendered admin change form, as a browser would submit them."""
    form = response.context["adminform"].form
    data = {}
    for name, field in form.fields.items():
        value = form.initial.get(name, field.initial)
        if isinstance(value, bool):
            if value:
                data[name] = "on"
        elif value is not None:
            data[name] = value
    return data


def pytest_collection_modifyitems(config: pytest.Config, items: list[pytest.Item]) -> None:
    if connection.vendor == "postgresql":
        return
    skip = pytest.mark.skip(reason="needs PostgreSQL (set DATABASE_URL)")
    for item in items:
        if "postgres" in item.keywords:
            item.add_marker(skip)


@pytest.fixture
def shop_payload() -> dict[str, Any]:
    """The Horoshop `order_created` sample, fresh for each test."""
    return copy.deepcopy(load_fixture("shop_order_created.json"))


@pytest.fixture
def api_client() -> APIClient:
    return APIClient()


@pytest.fixture
def hub_client(settings) -> APIClient:
    """A client carrying the status API's bearer token."""
    client = APIClient()
    client.credentials(HTTP_AUTHORIZATION=f"Bearer {settings.HUB_API_TOKEN}")
    return client


def webhook_url(event: str = "order_created", token: str | None = "test-shop-token") -> str:
    url = reverse("shop-webhook", kwargs={"event": event})
    return f"{url}?token={token}" if token is not None else url


@pytest.fixture
def send_webhook(api_client):
    """PUT a payload to the shop webhook like Horoshop does."""

    def send(payload: Any, event: str = "order_created", **kwargs: Any):
        return api_client.put(webhook_url(event), data=json.dumps(payload), content_type="application/json", **kwargs)

    return send


@pytest.fixture
def default_mappings(db) -> None:
    """The shipped mappings; a transactional test's flush removes what the data migration made."""
    from orders.services.channels import channel_switches_ensure
    from orders.services.mappings import mappings_ensure_defaults

    mappings_ensure_defaults()
    channel_switches_ensure()


@pytest.fixture
def make_order(shop_payload, default_mappings):
    """Create an order through the intake service, as a webhook would."""
    from integrations.horoshop.intake import order_report_from_shop
    from orders.models import StatusChange
    from orders.services.intake import order_upsert_from_shop

    counter = iter(range(1000, 100000))

    def make(**overrides: Any):
        from integrations.api.webhooks import ShopWebhookApi

        payload = {**copy.deepcopy(shop_payload), "order_id": next(counter), **overrides}
        serializer = ShopWebhookApi.InputSerializer(data=payload)
        serializer.is_valid(raise_exception=True)
        report = order_report_from_shop(data=serializer.validated_data, raw=payload)
        return order_upsert_from_shop(report=report, source=StatusChange.Source.SHOP_WEBHOOK).order

    return make


@pytest.fixture
def mapping(default_mappings):
    """A default mapping by code."""
    from orders.models import StatusMapping

    return lambda code: StatusMapping.objects.get(code=code)


@pytest.fixture(scope="session")
def httpserver_listen_address() -> tuple[str, int]:
    """Partner stand-ins listen on loopback only, on a free port."""
    return ("127.0.0.1", 0)


from tests.partners import imshop_answering, partners  # noqa: E402, F401 - the fixtures, for every test module


@pytest.fixture
def russian(settings):
    """The hub set to Russian; the language a request switched to does not leak into later tests."""
    from django.utils import translation

    settings.LANGUAGE_CODE = "ru"
    before = translation.get_language()
    yield
    translation.activate(before)


@pytest.fixture(autouse=True)
def _fresh_cache() -> None:
    """Throttle and login counters live in the cache: each test starts with none."""
    from django.core.cache import cache

    cache.clear()


@pytest.fixture(autouse=True)
def _partner_tokens_forgotten() -> None:
    """The process keeps partners' tokens in memory: each test starts from what its database holds."""
    from integrations.tokens import process_tokens

    process_tokens.clear()


@pytest.fixture(autouse=True)
def _broker_trusted() -> Iterator[None]:
    """A test that made publishing fail leaves the process in its back-off; the next test starts without it.

    Otherwise a later test on the same worker finds "the broker failed moments ago", its deliveries
    wait for a sweeper that is not running, and it times out for a reason of its own.
    """
    from hub.publishing import broker_state_reset

    broker_state_reset()
    yield
    broker_state_reset()


@pytest.fixture(autouse=True)
def _live_server_sockets_closed(request: pytest.FixtureRequest) -> Iterator[None]:
    """After a test that talked to the live server, the hub's kept-alive sockets to it are closed.

    The live server serves each connection on a thread of its own, which keeps its database
    connection until the socket closes: left open, they kept the test database from being dropped
    at the end of the run ("being accessed by other users").
    """
    yield
    if "live_server" in request.fixturenames:
        from integrations.http import session_get

        session_get().close()


def pytest_sessionfinish(session: pytest.Session, exitstatus: int) -> None:
    """Remove this run's SQLite broker file (it holds nothing a later run needs)."""
    from django.conf import settings

    url = settings.CELERY_BROKER_URL
    if url.startswith("sqlite:///") and "test-broker-" in url:
        for suffix in ("", "-wal", "-shm", "-journal"):
            Path(url.removeprefix("sqlite:///") + suffix).unlink(missing_ok=True)
