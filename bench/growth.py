"""The growth benchmark: webhook round trip and admin order list time, and query counts, as orders pile up.

Orders are topped up with bulk_create between the sizes. Timings go through gunicorn (the admin
with a staff session made here); query counts are taken in this process with the test Client.
Import after `django.setup()`.
"""

from __future__ import annotations

from collections.abc import Iterator
from typing import Any

from django.conf import settings
from django.contrib.auth import get_user_model
from django.db import connection
from django.test import Client
from django.test.utils import CaptureQueriesContext

from bench.environment import API_TOKEN
from bench.fixtures import body_template, orders_bulk_create
from bench.load import Sender, percentile
from bench.web import WEBHOOK_PATH
from orders.models import Order

ADMIN_LIST_PATH = "/admin/orders/order/"
# A manager's search: the phone typed without its punctuation (matches none of the bulk orders' phones).
ADMIN_SEARCH_PATH = "/admin/orders/order/?q=0671234567"
ROUND_TRIPS = 100
LIST_REQUESTS = 20


def _staff_client() -> tuple[Client, str]:
    """A test Client logged in as a new superuser, and that session's cookie value for HTTP requests."""
    user = get_user_model().objects.create_superuser("bench-admin", "bench@example.com", None)
    client = Client(HTTP_HOST="127.0.0.1")
    client.force_login(user)
    return client, client.cookies[settings.SESSION_COOKIE_NAME].value


def _webhook_times(*, port: int, numbers: Iterator[int], count: int) -> tuple[list[float], int]:
    """`count` new orders PUT one after another; their round trips in ms and the number not answered 2xx."""
    body_for = body_template()
    sender = Sender(port=port, method="PUT", path=WEBHOOK_PATH, headers={"Content-Type": "application/json"})
    try:
        sent = [sender.send(n, body_for(n)) for n in (next(numbers) for _ in range(count))]
    finally:
        sender.close()
    return [s.latency_ms for s in sent], sum(not s.ok for s in sent)


def _admin_list_times(*, port: int, cookie: str, count: int, path: str = ADMIN_LIST_PATH) -> tuple[list[float], int]:
    headers = {"Cookie": f"{settings.SESSION_COOKIE_NAME}={cookie}"}
    sender = Sender(port=port, method="GET", path=path, headers=headers)
    try:
        sent = [sender.send(0, b"") for _ in range(count)]
    finally:
        sender.close()
    return [s.latency_ms for s in sent], sum(s.status != 200 for s in sent)


def query_counts(client: Client, order: Order) -> tuple[dict[str, int], int]:
    """SQL queries of the admin order list, the admin order page and the API order detail; and failures."""
    pages: dict[str, tuple[str, dict[str, Any]]] = {  # path, and the request's extra WSGI environ
        "admin_list": (ADMIN_LIST_PATH, {}),
        "admin_search": (ADMIN_SEARCH_PATH, {}),
        "admin_order": (f"/admin/orders/order/{order.pk}/change/", {}),
        "api_order": (f"/api/orders/{order.shop_order_id}/", {"HTTP_AUTHORIZATION": f"Bearer {API_TOKEN}"}),
    }
    counts, failures = {}, 0
    for name, (path, headers) in pages.items():
        client.get(path, **headers)  # the first request fills per-process caches (content types, ...)
        with CaptureQueriesContext(connection) as queries:
            response = client.get(path, **headers)
        failures += response.status_code != 200
        counts[name] = len(queries)
    return counts, failures


def growth_run(*, port: int, numbers: Iterator[int], bulk_numbers: Iterator[int], timing_sizes: list[int],
               query_sizes: list[int], round_trips: int = ROUND_TRIPS) -> dict[str, Any]:
    """Measure at each size (orders stored). Call on an empty orders table."""
    client, cookie = _staff_client()
    # The order whose pages are counted came in through the webhook: items, history and a delivery.
    _, failed = _webhook_times(port=port, numbers=numbers, count=1)
    probe = Order.objects.order_by("-id").first()
    assert probe is not None, "the webhook above stored an order"
    entries, errors = [], failed
    for size in sorted(set(timing_sizes) | set(query_sizes)):
        missing = size - Order.objects.count()
        if missing > 0:
            orders_bulk_create(numbers=bulk_numbers, count=missing)
        entry: dict[str, Any] = {"target": size, "orders": Order.objects.count()}
        if size in query_sizes:
            entry["queries"], failed = query_counts(client, probe)
            errors += failed
        if size in timing_sizes:
            ingest, failed_ingest = _webhook_times(port=port, numbers=numbers, count=round_trips)
            listing, failed_list = _admin_list_times(port=port, cookie=cookie, count=LIST_REQUESTS)
            search, failed_search = _admin_list_times(port=port, cookie=cookie, count=LIST_REQUESTS,
                                                      path=ADMIN_SEARCH_PATH)
            errors += failed_ingest + failed_list + failed_search
            entry.update(
                admin_search_p50_ms=round(percentile(search, 50), 2),
                admin_search_p90_ms=round(percentile(search, 90), 2),
                ingest_p50_ms=round(percentile(ingest, 50), 2), ingest_p90_ms=round(percentile(ingest, 90), 2),
                admin_list_p50_ms=round(percentile(listing, 50), 2),
                admin_list_p90_ms=round(percentile(listing, 90), 2),
            )
        entries.append(entry)
    return {"sizes": entries, "errors": errors, "round_trips": round_trips, "list_requests": LIST_REQUESTS}
