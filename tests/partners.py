"""Partners as real HTTP servers on loopback (pytest-httpserver), answering like the real ones."""

from __future__ import annotations

import copy
import json
import threading
import time
from dataclasses import dataclass, field
from typing import Any

import pytest
from pytest_httpserver import HTTPServer
from standardwebhooks import Webhook, WebhookVerificationError
from werkzeug import Request, Response

from tests.conftest import load_fixture

CHOCO_STATUS = "/choco/orders/v2/preorder/external/status"
CHOCO_AUTH = "/choco/auth/token"
IMSHOP_SYNC = "/imshop/v1/clients/shop/statuses/sync/secret-segment-5f1c"
HOROSHOP_AUTH = "/shop/api/auth/"
HOROSHOP_UPDATE = "/shop/api/orders/update/"
HOROSHOP_GET = "/shop/api/orders/get/"
SUBSCRIBER = "/erp/hooks/order-status"


class SlowAnswer:
    """A handler that answers after `seconds`, later than the client waits.

    Call `finished()` before the test ends: the server logs a request only once its handler returns,
    and the loopback server is shared by the session, so a late answer would be counted by the next test.
    """

    def __init__(self, seconds: float, body: str, content_type: str = "application/json") -> None:
        self.seconds, self.body, self.content_type = seconds, body, content_type
        self._done = threading.Event()

    def __call__(self, request: Request) -> Response:
        time.sleep(self.seconds)
        self._done.set()
        return Response(self.body, content_type=self.content_type)

    def finished(self) -> None:
        assert self._done.wait(self.seconds + 5), "the slow handler never answered"
        time.sleep(0.05)  # the server appends to its log just after the handler returns


def _json(body: object, status: int = 200) -> Response:
    return Response(json.dumps(body, ensure_ascii=False), status=status, content_type="application/json")


@dataclass
class Partners:
    server: HTTPServer
    # The stand-in shop's orders by number, as `orders/get` returns them; `orders/update` changes them.
    shop_orders: dict[str, dict] = field(default_factory=dict)
    # The system subscribed to status changes: its endpoint, and the secret it verifies with.
    subscription: Any = None  # a WebhookEndpoint (imported once Django is set up)
    subscriber_secret: str = ""

    def subscriber(self, request: Request) -> Response:
        """A subscriber as the Standard Webhooks libraries make one: 401 unless the signature verifies, else 204."""
        try:
            Webhook(self.subscriber_secret).verify(request.get_data(), dict(request.headers))
        except WebhookVerificationError as exc:
            return _json({"error": str(exc)}, status=401)
        return Response(status=204)

    def unsubscribe(self) -> None:
        """The subscribed system switches its subscription off (a test about other partners alone)."""
        from integrations.webhooks.services import endpoint_save

        self.subscription.enabled = False
        endpoint_save(endpoint=self.subscription)

    def events_received(self) -> list[dict]:
        return [json.loads(request.get_data()) for request in self.requests_to(SUBSCRIBER)]

    def shop_update(self, request: Request) -> Response:
        """orders/update: OK for every order, and the stand-in shop takes the new status.

        The log has one `{status, message}` entry per order, in order: the documented shape, with
        no `order_id` in it.
        """
        orders = json.loads(request.get_data())["orders"]
        for order in orders:
            if str(order["order_id"]) in self.shop_orders:
                self.shop_orders[str(order["order_id"])]["stat_status"] = order["status"]
        log = [{"status": "OK", "message": "Order updated"} for _ in orders]
        return _json({"status": "OK", "response": {"log": log}})

    def shop_get(self, request: Request) -> Response:
        """orders/get: by `ids`, or by `from` (placed at or after), with limit/offset."""
        body = json.loads(request.get_data())
        orders = list(self.shop_orders.values())
        if body.get("ids"):
            wanted = {str(i) for i in body["ids"]}
            orders = [o for o in orders if str(o["order_id"]) in wanted]
        if body.get("from"):
            orders = [o for o in orders if o["stat_created"] >= body["from"]]
        if "limit" in body:
            orders = orders[body.get("offset", 0):body.get("offset", 0) + body["limit"]]
        return _json({"status": "OK" if orders else "EMPTY", "response": {"orders": orders}})

    def shop_has(self, payload: dict) -> None:
        self.shop_orders[str(payload["order_id"])] = copy.deepcopy(payload)

    def shop_sends(self, client, event: str, order_number: str | int) -> object:
        """The shop announces one of its orders: the webhook body is the very order `orders/get` returns."""
        from tests.conftest import webhook_url

        body = json.dumps(self.shop_orders[str(order_number)], ensure_ascii=False)
        return client.put(webhook_url(event), data=body, content_type="application/json")

    def requests_to(self, path: str) -> list[Request]:
        return [request for request, _ in self.server.log if request.path == path]

    def answer(self, path: str, method: str, *, status: int = 200, body: object = None, headers=None,
               once: bool = False) -> None:
        expect = self.server.expect_oneshot_request if once else self.server.expect_request
        expect(path, method=method).respond_with_data(
            json.dumps(body) if body is not None else "", status=status, headers=headers,
            content_type="application/json",
        )


def subscribe(url: str, **fields: Any):
    """A status subscription, as a manager adds one in the admin (every status unless `all_statuses=False`)."""
    from integrations.webhooks.models import WebhookEndpoint
    from integrations.webhooks.services import endpoint_save

    statuses = fields.pop("statuses", ())
    endpoint = endpoint_save(endpoint=WebhookEndpoint(name=fields.pop("name", "ERP"), url=url, **fields))
    endpoint.statuses.set(statuses)
    return endpoint


@pytest.fixture
def partners(httpserver: HTTPServer, settings) -> Partners:
    """Every partner configured and answering success, as their documents show: Choco, Imshop, the shop,
    and a system subscribed to every status change."""
    settings.CHOCO_API_URL = httpserver.url_for("/choco")
    settings.CHOCO_CLIENT_ID, settings.CHOCO_CLIENT_SECRET = "merchant-client-id", "merchant-client-secret"
    settings.IMSHOP_STATUS_URL = httpserver.url_for(IMSHOP_SYNC)
    settings.IMSHOP_API_KEY = "imshop-api-key"
    settings.HOROSHOP_API_URL = httpserver.url_for("/shop")
    settings.HOROSHOP_LOGIN, settings.HOROSHOP_PASSWORD = "api-manager", "secret-password"
    settings.PARTNER_CONNECT_TIMEOUT, settings.PARTNER_READ_TIMEOUT = 1, 1
    settings.HOROSHOP_POLL_PAGE_PAUSE = 0
    expect = httpserver.expect_request
    expect(CHOCO_AUTH, method="POST").respond_with_json(load_fixture("choco_auth_token_response.json"))
    httpserver.expect_request(CHOCO_STATUS, method="PUT").respond_with_json(load_fixture("choco_status_response.json"))
    httpserver.expect_request(IMSHOP_SYNC, method="POST").respond_with_json(load_fixture("imshop_status_response.json"))
    expect(HOROSHOP_AUTH, method="POST").respond_with_json(load_fixture("horoshop_auth_response.json"))
    stand_ins = Partners(httpserver)
    httpserver.expect_request(HOROSHOP_UPDATE, method="POST").respond_with_handler(stand_ins.shop_update)
    httpserver.expect_request(HOROSHOP_GET, method="POST").respond_with_handler(stand_ins.shop_get)
    stand_ins.subscription = subscribe(httpserver.url_for(SUBSCRIBER))
    stand_ins.subscriber_secret = stand_ins.subscription.secret
    httpserver.expect_request(SUBSCRIBER, method="POST").respond_with_handler(stand_ins.subscriber)
    return stand_ins


class ImshopAnswering:
    """Imshop as a threaded server on loopback: it answers each request after its order's delay.

    Unlike the shared stand-in (one request at a time), requests are handled side by side, so the
    hub's parallel sends are really in flight together. It keeps, per request, the order id with
    its arrival and answer times, and the most requests it held at once (`peak`).
    """

    def __init__(self, *, delay: float = 0.0) -> None:
        self.delay = delay
        self.delays: dict[str, float] = {}  # per order id; `delay` for the others
        self.release = threading.Event()  # set to answer the requests still being held at once
        self.server = HTTPServer(host="127.0.0.1", port=0, threaded=True)
        self.server.expect_request(IMSHOP_SYNC, method="POST").respond_with_handler(self._answer)
        self.exchanges: list[tuple[str, float, float]] = []  # (order id, arrived, answered)
        self.codes: list[tuple[str, str]] = []  # (order id, status code) in the order they arrived
        self.peak = 0
        self._in_flight = 0
        self._lock = threading.Lock()

    def _answer(self, request: Request) -> Response:
        body = json.loads(request.get_data())
        order_id = str(body["id"])
        arrived = time.monotonic()
        with self._lock:
            self.codes.append((order_id, body["code"]))
            self._in_flight += 1
            self.peak = max(self.peak, self._in_flight)
        try:
            self.release.wait(self.delays.get(order_id, self.delay))
        finally:
            with self._lock:
                self._in_flight -= 1
                self.exchanges.append((order_id, arrived, time.monotonic()))
        return _json(load_fixture("imshop_status_response.json"))

    def received(self) -> list[str]:
        with self._lock:
            return [order_id for order_id, _, _ in sorted(self.exchanges, key=lambda e: e[1])]

    def overlapping(self, order_id: str) -> bool:
        """Whether two requests for this order were ever in the partner's hands at the same time."""
        with self._lock:
            spans = sorted((a, b) for o, a, b in self.exchanges if o == order_id)
        return any(later[0] < earlier[1] for earlier, later in zip(spans, spans[1:], strict=False))


@pytest.fixture
def imshop_answering(partners, settings):
    """The Imshop channel pointed at an `ImshopAnswering` server (the other partners as in `partners`, the
    status subscription switched off: these tests are about Imshop's requests alone)."""
    partners.unsubscribe()
    imshop = ImshopAnswering()
    imshop.server.start()
    settings.IMSHOP_STATUS_URL = imshop.server.url_for(IMSHOP_SYNC)
    try:
        yield imshop
    finally:
        imshop.release.set()
        imshop.server.clear()
        imshop.server.stop()
