"""The hub's own OpenAPI schema (/api/schema/), checked against the hub by schemathesis, in-process through WSGI.

What the run checks: no 5xx, and every response conforms to the schema (body, content type, headers,
and, except for the webhook's DELETE, the status code), authentication is enforced as documented.
Left out, because the schema does not express these rules (listed in the report of this suite):
`positive_data_acceptance` (cross-field rules such as "id or uuid or internalId", "status or
shop_status, not both", `products` items and `stat_created` being looser in the schema than in
the serializer) and `negative_data_rejection` (DRF's CharField takes numbers for strings).
Every error status an operation really answers is checked against the schema at the end.
"""

from __future__ import annotations

import json
from typing import Any
from unittest import mock

import pytest
import schemathesis
from django.core.handlers.wsgi import WSGIHandler
from django.db import OperationalError
from hypothesis import HealthCheck, settings
from rest_framework.test import APIClient
from rest_framework.throttling import ScopedRateThrottle
from schemathesis.checks import negative_data_rejection, positive_data_acceptance
from schemathesis.config import SchemathesisConfig

from tests.inputs import MIB, hits_a_known_bug

ORDER_NUMBER = "5151"
CONFIG = {
    "auth": {"openapi": {
        "hubApiToken": {"bearer": "test-api-token"},
        "imshopCallbackKey": {"bearer": "test-imshop-key"},
        "shopWebhookToken": {"api_key": "test-shop-token"},
    }},
    # Half the requests name a real order and a real event, so 200s are checked against the schema too.
    "dictionaries": {
        "orders": {"values": [ORDER_NUMBER]},
        "events": {"values": ["order_created", "order_update", "order_paid"]},
    },
    "parameters": {
        "path.order_id": {"dictionary": "orders", "probability": 0.5},
        "path.event": {"dictionary": "events", "probability": 0.5},
    },
    "generation": {"max-examples": 40},
}

schema = schemathesis.openapi.from_wsgi("/api/schema/", WSGIHandler(), config=SchemathesisConfig.from_dict(CONFIG))


@schema.hook
def filter_body(context, body) -> bool:  # noqa: ANN001 - schemathesis' hook signature
    return "/webhooks/" not in context.operation.path or not hits_a_known_bug(body)


@pytest.fixture
def order(make_order):
    return make_order(order_id=int(ORDER_NUMBER), imshop_uuid="cfe64e76")


@pytest.fixture
def same_connection():
    """Keep the test's database connection across requests, as Django's own test client does.

    The WSGI handler closes "old" connections when a request finishes, which would close the
    connection holding the test's transaction.
    """
    from django.core import signals
    from django.db import close_old_connections

    signals.request_started.disconnect(close_old_connections)
    signals.request_finished.disconnect(close_old_connections)
    try:
        yield
    finally:
        signals.request_started.connect(close_old_connections)
        signals.request_finished.connect(close_old_connections)


@schema.parametrize()
@settings(suppress_health_check=[HealthCheck.function_scoped_fixture, HealthCheck.too_slow], deadline=None)
def test_the_hub_answers_as_its_schema_says(same_connection, order, case):
    # given
    excluded = [positive_data_acceptance, negative_data_rejection]
    # when / then
    case.call_and_validate(excluded_checks=excluded)


def _documented(method: str, path: str) -> set[int]:
    return {int(code) for code in schema.raw_schema["paths"][path][method]["responses"]}


def _request(method: str, path: str, status: int):
    """Make the hub answer `status` on this operation, for real."""
    url = path.replace("{event}", "order_created").replace("{order_id}", ORDER_NUMBER)
    # The request's extra WSGI environ: the Authorization header, or nothing.
    bearer = "Bearer test-api-token" if "orders" in path else "Bearer test-imshop-key"
    token: dict[str, Any] = {"HTTP_AUTHORIZATION": bearer}
    if "webhooks" in path:
        url, token = f"{url}?token=test-shop-token", {}
    body, content_type = json.dumps({"id": ORDER_NUMBER, "status": "processing"}), "application/json"
    if status == 401:
        url, token = url.split("?")[0], {}
    elif status == 403:
        url, token = url.replace("test-shop-token", "wrong"), dict.fromkeys(token, "Bearer wrong")
    elif status == 413:
        body = json.dumps({"padding": "x" * MIB})
    elif status == 415:
        content_type = "text/plain"
    client = APIClient(raise_request_exception=False)
    if method == "get":
        return client.get(url, **token)
    return client.generic(method.upper(), url, data=body, content_type=content_type, **token)


def _answer(method: str, path: str, status: int):
    if status == 503:
        target = "integrations.api.orders.order_detail_get" if method == "get" else \
            "integrations.api.base.inbound_event_store"
        with mock.patch(target, side_effect=OperationalError("the database is gone")):
            return _request(method, path, status)
    if status == 429:
        rates = dict.fromkeys(("shop_webhook", "imshop_callback", "status_api"), "0/min")
        with mock.patch.object(ScopedRateThrottle, "THROTTLE_RATES", rates):
            return _request(method, path, status)
    return _request(method, path, status)


WEBHOOK, IMSHOP = "/api/webhooks/shop/{event}/", "/api/callbacks/imshop/cancel/"
ORDER, STATUS = "/api/orders/{order_id}/", "/api/orders/{order_id}/status/"


@pytest.mark.parametrize(
    ("method", "path", "status"),
    [
        ("put", WEBHOOK, 413),
        ("put", WEBHOOK, 503),
        ("put", WEBHOOK, 415),
        ("delete", WEBHOOK, 401),
        ("delete", WEBHOOK, 403),
        ("delete", WEBHOOK, 429),
        ("delete", WEBHOOK, 503),
        ("post", IMSHOP, 413),
        ("post", IMSHOP, 415),
        ("post", IMSHOP, 429),
        ("post", IMSHOP, 503),
        ("get", ORDER, 429),
        ("get", ORDER, 503),
        ("post", STATUS, 413),
        ("post", STATUS, 415),
        ("post", STATUS, 429),
        ("post", STATUS, 503),
    ],
)
def test_every_status_an_endpoint_answers_is_in_the_schema(order, method, path, status):
    # given: the hub really answers this status here
    response = _answer(method, path, status)
    assert response.status_code == status, response.content[:300]
    # when
    documented = _documented(method, path)
    # then
    assert status in documented
