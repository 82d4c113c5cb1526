"""The guided demo behind `make demo`: one order through its whole life, against a running hub.

It talks to the hub over HTTP as the shop, an ERP and Imshop would, then reads from the database
what each partner was sent and answered (the delivery attempts), step by step.
"""

from __future__ import annotations

import json
import os
import random
import time
from collections.abc import Callable
from copy import deepcopy
from dataclasses import dataclass
from functools import partial
from pathlib import Path

import requests
from django.conf import settings

from orders.models import Delivery, DeliveryAttempt, Order

SAMPLE = Path(__file__).resolve().parent / "demo_order.json"
DEMO_CHOCO_USER = 1234567
WAIT_SECONDS = 60


def base_url_for_bind(bind: str) -> str:
    """The URL to reach a server bound to HOST:PORT from this machine (0.0.0.0 and :: mean loopback)."""
    host, sep, port = bind.strip().rpartition(":")
    if not sep or not port.isdigit() or bind.startswith("unix:"):
        raise ValueError(f"HUB_BIND must be HOST:PORT, e.g. 127.0.0.1:8000, not {bind!r}")
    host = {"": "127.0.0.1", "0.0.0.0": "127.0.0.1", "[::]": "[::1]"}.get(host, host)  # noqa: S104
    return f"http://{host}:{port}"


def demo_base_url() -> str:
    """Where the demo goes: HUB_BIND when set, else the address of the last `make run`, else the default."""
    if os.environ.get("HUB_BIND"):
        return base_url_for_bind(os.environ["HUB_BIND"])
    return settings.HUB_DEV_URL or base_url_for_bind(settings.HUB_BIND)


class DemoError(Exception):
    """The demo cannot go on; the message says what to do."""


@dataclass
class Demo:
    base_url: str
    say: Callable[[str], None]
    wait_seconds: float = WAIT_SECONDS

    def run(self) -> str:
        """Walk one order through creation, two status changes and a cancellation. Returns its number."""
        self._check_up()
        order_id = str(random.randint(900000, 999999))
        payload = {**deepcopy(json.loads(SAMPLE.read_text(encoding="utf-8"))), "order_id": int(order_id),
                   "choco_user_id": DEMO_CHOCO_USER}
        self._step(1, "The shop sends a new order (the order_created webhook)", order_id, lambda: self._call(
            "PUT", f"/api/webhooks/shop/order_created/?token={settings.SHOP_WEBHOOK_TOKEN}", payload))
        for number, (code, why) in enumerate((("processing", "The warehouse picked it"),
                                              ("shipping", "Handed to the courier")), start=2):
            self._step(number, f"An ERP moves it to {code!r} through the status API", order_id, partial(
                self._call, "POST", f"/api/orders/{order_id}/status/", {"status": code, "reason": why},
                token=settings.HUB_API_TOKEN))
        self._step(4, "The buyer cancels in the Imshop app (the cancellation callback)", order_id, lambda: self._call(
            "POST", "/api/callbacks/imshop/cancel/", {"id": order_id, "status": "canceled", "reason": "Передумал"},
            token=settings.IMSHOP_CALLBACK_TOKEN))
        order = Order.objects.get(shop_order_id=order_id)
        self.say("")
        self.say("Where to look in the admin:")
        self.say(f"  the order's story:   {self.base_url}/admin/orders/order/{order.pk}/change/")
        self.say(f"  its deliveries:      {self.base_url}/admin/orders/delivery/?q={order_id}")
        self.say(f"  what partners got:   {self.base_url}/admin/sandbox/")
        self.say(f"  the dashboard:       {self.base_url}/admin/")
        return order_id

    def _check_up(self) -> None:
        try:
            requests.get(f"{self.base_url}/healthz", timeout=5)
        except requests.RequestException as exc:
            raise DemoError(f"The hub does not answer at {self.base_url}: start it with `make run` first.") from exc
        if not settings.SHOP_WEBHOOK_TOKEN:
            raise DemoError("SHOP_WEBHOOK_TOKEN is not set: run the demo the way `make demo` does (DEBUG=true).")

    def _call(self, method: str, path: str, body: dict, token: str = "") -> dict:
        headers = {"Authorization": f"Bearer {token}"} if token else {}
        response = requests.request(method, f"{self.base_url}{path}", json=body, headers=headers, timeout=30)
        self.say(f"  → {method} {path.split('?')[0]}  {json.dumps(body, ensure_ascii=False)[:160]}")
        self.say(f"  ← HTTP {response.status_code} {response.text[:300]}")
        if response.status_code >= 400:
            raise DemoError(f"The hub refused the request (HTTP {response.status_code}); see above.")
        return response.json()

    def _step(self, number: int, title: str, order_id: str, action: Callable[[], dict]) -> None:
        self.say("")
        self.say(f"Step {number}. {title}")
        before = set(Delivery.objects.filter(order__shop_order_id=order_id).values_list("pk", flat=True))
        action()
        for delivery in self._wait_for_new_deliveries(order_id, before):
            self._show(delivery)

    def _wait_for_new_deliveries(self, order_id: str, before: set[int]) -> list[Delivery]:
        deadline = time.monotonic() + self.wait_seconds
        while True:
            new = list(Delivery.objects.filter(order__shop_order_id=order_id).exclude(pk__in=before).order_by("pk"))
            if new and all(d.state in (Delivery.State.DELIVERED, Delivery.State.FAILED) for d in new):
                return new
            if time.monotonic() > deadline:
                self.say("  (some deliveries are still waiting: is the worker running? showing what there is)")
                return new
            time.sleep(0.3)

    def _show(self, delivery: Delivery) -> None:
        attempt = DeliveryAttempt.objects.filter(delivery=delivery).order_by("-number").first()
        self.say(f"  {delivery.channel_label}: {delivery.get_state_display()}"
                 + (f" ({delivery.last_error})" if delivery.last_error else ""))
        if attempt is not None:
            self.say(f"    sent {attempt.request_method} {attempt.request_url}")
            self.say(f"    body {attempt.request_body[:400]}")
            self.say(f"    answered HTTP {attempt.response_status}: {attempt.response_body[:200]}")
