"""A status change reaches a subscribed system through the broker and a real Celery worker, and the system
verifies it with the standardwebhooks library, as its own developers would."""

from __future__ import annotations

import json
import threading
from collections.abc import Iterator
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer

import pytest
from rest_framework.test import APIClient
from standardwebhooks import Webhook, WebhookVerificationError

from orders.models import Delivery
from tests.conftest import webhook_url
from tests.partners import subscribe
from tests.worker import celery_worker, wait_for

pytestmark = [pytest.mark.worker, pytest.mark.django_db(transaction=True)]


class Consumer(ThreadingHTTPServer):
    """A plain HTTP server on loopback: verifies each event and keeps the ones it took, dropping repeats."""

    secret = ""

    def __init__(self) -> None:
        super().__init__(("127.0.0.1", 0), ConsumerHandler)
        self.events: list[dict] = []
        self.refused: list[str] = []


class ConsumerHandler(BaseHTTPRequestHandler):
    server: Consumer

    def do_POST(self) -> None:  # noqa: N802 - http.server's name
        body = self.rfile.read(int(self.headers["Content-Length"]))
        try:
            event = Webhook(self.server.secret).verify(body, dict(self.headers))
        except WebhookVerificationError as exc:
            self.server.refused.append(str(exc))
            self.send_response(401)
        else:
            if event["id"] not in {seen["id"] for seen in self.server.events}:
                self.server.events.append(event)
            self.send_response(204)
        self.end_headers()

    def log_message(self, *args: object) -> None:
        pass


@pytest.fixture
def consumer() -> Iterator[Consumer]:
    server = Consumer()
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    try:
        yield server
    finally:
        server.shutdown()
        server.server_close()


def test_a_status_change_reaches_a_consumer_that_verifies_its_signature(consumer, shop_payload, default_mappings,
                                                                         settings):
    # given: an ERP subscribed to every status, with the secret the admin showed
    host, port = consumer.server_address
    endpoint = subscribe(f"http://{host}:{port}/hooks/orders", name="ERP")
    consumer.secret = endpoint.secret
    api = APIClient()
    api.credentials(HTTP_AUTHORIZATION=f"Bearer {settings.HUB_API_TOKEN}")
    with celery_worker():
        # when: the shop sends an order, then another system moves it to processing
        created = APIClient().put(webhook_url(), data=json.dumps(shop_payload), content_type="application/json")
        wait_for(lambda: len(consumer.events) == 1, what="the new order's event")
        changed = api.post("/api/orders/115/status/", {"status": "processing", "reason": "Picked"}, format="json")
        wait_for(lambda: len(consumer.events) == 2, what="the status change's event")
        wait_for(lambda: set(Delivery.objects.values_list("state", flat=True)) == {"delivered"}, what="deliveries")
    # then
    assert (created.status_code, changed.status_code) == (200, 200)
    assert consumer.refused == []
    first, second = consumer.events
    assert (first["data"]["status"]["code"], first["data"]["previous_status"]) == ("new", None)
    assert second["type"] == "order.status_changed"
    assert second["data"]["order_number"] == "115"
    assert (second["data"]["previous_status"]["code"], second["data"]["status"]["code"]) == ("new", "processing")
    assert (second["data"]["source"], second["data"]["reason"]) == ("api", "Picked")
    ids = sorted(Delivery.objects.values_list("pk", flat=True))
    assert [event["id"] for event in consumer.events] == [f"msg_hub_{pk}" for pk in ids]
