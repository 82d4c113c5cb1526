"""A broker that accepts connections and never answers (a wedged Redis, a half-open NAT entry).

A webhook must not wait on it for more than about a second (the order is kept and the sweeper
queues the delivery later), and /healthz must answer in time, naming what is down.
"""

from __future__ import annotations

import json
import socket
import threading
import time
from collections.abc import Iterator
from contextlib import contextmanager

import pytest
from rest_framework.test import APIClient

from hub import publishing as broker
from hub.celery import app
from orders.models import Delivery, Order
from tests.conftest import webhook_url

pytestmark = pytest.mark.django_db(transaction=True)  # after-commit publishing runs as in production

HUNG_PORT = 0  # any free port: parallel test runs must not collide


@contextmanager
def hung_tcp_server(port: int = HUNG_PORT) -> Iterator[str]:
    """A loopback TCP server that accepts every connection, reads nothing and never answers."""
    server = socket.create_server(("127.0.0.1", port), reuse_port=False)
    held: list[socket.socket] = []
    stop = threading.Event()

    def accept() -> None:
        server.settimeout(0.1)
        while not stop.is_set():
            try:
                conn, _ = server.accept()
            except TimeoutError:
                continue
            except OSError:
                return
            held.append(conn)

    thread = threading.Thread(target=accept, daemon=True)
    thread.start()
    try:
        yield f"redis://127.0.0.1:{server.getsockname()[1]}/0"
    finally:
        stop.set()
        thread.join(timeout=2)
        for conn in held:
            conn.close()
        server.close()


def _drop_connection_pools() -> None:
    # Private attributes the stubs do not declare.
    app._pool = None  # type: ignore[attr-defined]
    app.amqp._producer_pool = None  # type: ignore[attr-defined]


@contextmanager
def publishing_to(url: str) -> Iterator[None]:
    _drop_connection_pools()
    broker.broker_state_reset()
    # Item assignment is what `conf.broker_write_url = ...` does; the stub has that name read-only.
    app.conf["broker_write_url"] = url
    try:
        yield
    finally:
        app.conf["broker_write_url"] = None
        _drop_connection_pools()
        broker.broker_state_reset()


def test_a_hung_broker_adds_at_most_about_a_second_to_a_webhook(shop_payload, default_mappings, settings):
    # given: an order that two partners must hear of, and a broker that never answers
    settings.CHOCO_CLIENT_ID, settings.CHOCO_CLIENT_SECRET = "id", "secret"
    settings.IMSHOP_STATUS_URL = "http://127.0.0.1:9/imshop"
    settings.DELIVERY_WAKEUP = "publish"  # the request itself talks to the broker
    payload = {**shop_payload, "choco_user_id": 1234567, "imshop_uuid": "cfe64e76"}
    with hung_tcp_server() as url, publishing_to(url):
        # when
        started = time.monotonic()
        response = APIClient().put(webhook_url(), data=json.dumps(payload), content_type="application/json")
        took = time.monotonic() - started
        # and a second webhook while the broker is still hung
        payload2 = {**payload, "order_id": 116}
        started = time.monotonic()
        second = APIClient().put(webhook_url(), data=json.dumps(payload2), content_type="application/json")
        took2 = time.monotonic() - started
    print(f"webhooks answered in {took:.3f}s and {took2:.3f}s with the broker hung")
    # then
    assert response.status_code == 200
    assert second.status_code == 200
    assert took < 1.5
    assert took2 < 1.5
    assert Order.objects.filter(shop_order_id__in=["115", "116"]).count() == 2
    # the sweeper takes them: nothing claims to be on the queue
    assert set(Delivery.objects.values_list("state", "enqueued_at")) == {("pending", None)}


def test_healthz_answers_in_time_and_names_the_hung_broker(client, settings):
    # given
    with hung_tcp_server() as url:
        settings.CELERY_BROKER_URL = url
        # when
        started = time.monotonic()
        response = client.get("/healthz")
        took = time.monotonic() - started
    # then
    assert took < 2
    assert response.status_code == 503
    assert response.json() == {"status": "unavailable", "database": True, "broker": False}
