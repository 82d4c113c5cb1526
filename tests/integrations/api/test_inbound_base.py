"""What every inbound endpoint shares: how a request is read, kept and answered."""

from __future__ import annotations

import contextlib
import json
from typing import Any
from unittest import mock

import pytest
from django.db import DataError, connection
from django.test import RequestFactory
from rest_framework.test import APIClient

from hub.api import FailedAuthThrottle
from integrations.api.imshop import ImshopCancelApi
from integrations.api.orders import OrderStatusUpdateApi
from integrations.api.webhooks import ShopWebhookApi
from integrations.models import InboundEvent
from orders.models import Order

pytestmark = pytest.mark.django_db(transaction=True)


WEBHOOK = "/api/webhooks/shop/order_created/?token=test-shop-token"


def _put_webhook(payload: dict) -> Any:
    return APIClient(raise_request_exception=False).put(WEBHOOK, data=json.dumps(payload),
                                                        content_type="application/json")


class BodyReadWatcher:
    """The request's body stream, noting whether a database transaction was open while it was read.

    A client that sends its body slowly holds the reader for as long as it likes; on SQLite an open
    (IMMEDIATE) transaction is the database's one write lock, on PostgreSQL a connection idle in one.
    """

    def __init__(self, stream) -> None:
        self.stream = stream
        self.read_in_transaction: list[bool] = []

    def read(self, *args):
        self.read_in_transaction.append(connection.in_atomic_block)
        return self.stream.read(*args)

    def readline(self, *args):
        self.read_in_transaction.append(connection.in_atomic_block)
        return self.stream.readline(*args)

    def __getattr__(self, name):
        return getattr(self.stream, name)


@pytest.mark.parametrize(("view", "path", "kwargs", "headers"), [
    (ShopWebhookApi, WEBHOOK, {"event": "order_created"}, {}),
    (ImshopCancelApi, "/api/callbacks/imshop/cancel/", {}, {"HTTP_AUTHORIZATION": "Bearer test-imshop-key"}),
    (OrderStatusUpdateApi, "/api/orders/115/status/", {"order_id": "115"}, {"HTTP_AUTHORIZATION": "Bearer x"}),
    (ShopWebhookApi, "/api/webhooks/shop/order_created/?token=wrong", {"event": "order_created"}, {}),
], ids=["shop webhook", "imshop callback", "status api", "refused token"])
def test_the_body_is_read_before_any_transaction_opens(view, path, kwargs, headers, shop_payload, settings):
    # given: a request whose body is watched as it is read
    settings.HUB_API_TOKEN = "x"
    method = "post" if view is not ShopWebhookApi else "put"  # each endpoint's own method
    request = getattr(RequestFactory(), method)(path, data=json.dumps(shop_payload), content_type="application/json",
                                                **headers)
    watcher = BodyReadWatcher(request._stream)
    request._stream = watcher
    # when
    response = view.as_view()(request, **kwargs)
    # then: every read happened outside a transaction, and the request was kept
    assert watcher.read_in_transaction
    assert not any(watcher.read_in_transaction)
    assert response.status_code < 500
    assert InboundEvent.objects.count() == 1


@pytest.mark.parametrize("path", [
    "/api/webhooks/shop/order_created?token=test-shop-token",
    "/api/callbacks/imshop/cancel",
    "/api/orders/115/status",
], ids=["shop webhook", "imshop callback", "status api"])
def test_an_endpoint_without_its_trailing_slash_is_the_endpoint(path, shop_payload, api_client):
    # given: an integrator who typed the URL without its last slash (Django would redirect, or fail on a PUT)
    # when
    response = api_client.put(path, data=json.dumps(shop_payload), content_type="application/json")
    # then: the endpoint answers (here, whatever it makes of this body) and keeps the request
    assert response.status_code not in (301, 308, 404, 500)
    assert response["Content-Type"] == "application/json"
    assert InboundEvent.objects.count() == 1


def test_an_unknown_api_path_is_answered_in_json(api_client):
    # when
    response = api_client.put("/api/webhooks/nope/", data="{}", content_type="application/json")
    # then
    assert response.status_code == 404
    assert response.json()["message"]
    assert "fields" in response.json()


@pytest.mark.parametrize(("content_type", "named"), [("text/plain", "text/plain"), ("", "none")])
def test_a_body_that_is_not_declared_json_is_a_415_naming_the_header(api_client, shop_payload, content_type, named):
    # when
    response = api_client.generic("PUT", WEBHOOK,
                                  data=json.dumps(shop_payload), content_type=content_type)
    # then
    assert response.status_code == 415
    assert response.json()["fields"] == {
        "Content-Type": [f"Send application/json (this request sent {named})."]}
    assert InboundEvent.objects.get().outcome == InboundEvent.Outcome.REFUSED


def test_a_handler_failing_after_it_created_the_order_is_kept_without_it(shop_payload, default_mappings):
    # given: the webhook's handling fails after the intake created the order (the rollback undoes the order)
    with mock.patch("integrations.api.webhooks.Response", side_effect=RuntimeError("boom")):
        # when
        response = _put_webhook(shop_payload)
    # then: a 500, the request kept (pointing at no order, which does not exist), no order half-made
    assert response.status_code == 500
    event = InboundEvent.objects.get()
    assert (event.outcome, event.order_id) == (InboundEvent.Outcome.FAILED, None)
    assert not Order.objects.exists()


@pytest.mark.parametrize("method", ["VERSION-CONTROL", "X" * 40])
def test_an_unusual_method_is_answered_and_kept(method):
    # when
    response = APIClient(raise_request_exception=False).generic(
        method, WEBHOOK, data="{}",
        content_type="application/json")
    # then
    assert response.status_code == 405
    assert InboundEvent.objects.get().method == method[:10]


def test_a_database_error_while_storing_is_a_503_that_says_so(shop_payload, default_mappings):
    # given: the store fails with an error of the data, not of the connection
    with mock.patch("integrations.api.base.inbound_event_store", side_effect=DataError("value too long")):
        # when
        response = _put_webhook(shop_payload)
    # then: the sender is told to come back, not that the request was kept
    assert response.status_code == 503
    assert "kept" not in response.json()["message"]


def test_a_refused_request_with_nothing_to_keep_opens_no_transaction(settings, monkeypatch):
    # given: an address over its budget of failed tokens (answered 429, nothing stored)
    monkeypatch.setattr(FailedAuthThrottle, "blocked_for", lambda self, request: 30.0)
    opened: list[bool] = []

    def atomic(*args, **kwargs):
        opened.append(True)
        return contextlib.nullcontext()

    monkeypatch.setattr("integrations.api.base.transaction.atomic", atomic)
    # when
    response = APIClient().put("/api/webhooks/shop/order_created/?token=wrong", data="{}",
                               content_type="application/json")
    # then
    assert response.status_code == 429
    assert opened == []


def test_a_number_too_large_to_read_is_a_400_in_words(api_client):
    # when
    response = api_client.post("/api/callbacks/imshop/cancel/", data='{"id": 1e400, "status": "CANCELED"}',
                               content_type="application/json", HTTP_AUTHORIZATION="Bearer test-imshop-key")
    # then
    assert response.status_code == 400
    assert "too large" in response.json()["message"]
    assert InboundEvent.objects.get().outcome == InboundEvent.Outcome.REFUSED


def test_a_host_the_hub_does_not_serve_is_a_json_400_under_the_api(api_client):
    # when
    response = api_client.put(WEBHOOK, data="{}",
                              content_type="application/json", HTTP_HOST="evil.example")
    # then
    assert response.status_code == 400
    assert response.json()["fields"] == {}
