"""The ceiling of the web stack: a bare Django view that parses the JSON and upserts one row.

It runs on the same gunicorn, settings and middleware as the shop webhook, so the ratio of the
two says how much of the stack's capacity the webhook itself uses. This module is also the
benchmark's URLconf: the production URLs plus `/bench/ceiling/`.
"""

from __future__ import annotations

import json
import time

from django.db import connection, transaction
from django.http import HttpRequest, JsonResponse
from django.urls import path
from django.views.decorators.csrf import csrf_exempt

from hub.urls import urlpatterns as hub_urlpatterns

CEILING_TABLE = "bench_ceiling"
CEILING_PATH = "/bench/ceiling/"
UPSERT = (
    f"INSERT INTO {CEILING_TABLE} (order_id, body, updated_at) VALUES (%s, %s, %s) "  # noqa: S608 - a constant
    "ON CONFLICT (order_id) DO UPDATE SET body = excluded.body, updated_at = excluded.updated_at"
)


def ceiling_table_ensure() -> None:
    """Create the ceiling's table if it is missing (same SQL on SQLite and PostgreSQL). Idempotent."""
    with connection.cursor() as cursor:
        cursor.execute(
            f"CREATE TABLE IF NOT EXISTS {CEILING_TABLE} "
            "(order_id varchar(64) PRIMARY KEY, body text NOT NULL, updated_at double precision NOT NULL)"
        )


@csrf_exempt
def ceiling_view(request: HttpRequest) -> JsonResponse:
    """Parse the order JSON and upsert one row keyed by its `order_id`, in a transaction."""
    if request.method not in ("PUT", "POST"):
        return JsonResponse({"message": "PUT or POST only."}, status=405)
    try:
        data = json.loads(request.body)
        order_id = str(data["order_id"])
    except (ValueError, KeyError, TypeError):
        return JsonResponse({"message": "order_id: required."}, status=400)
    with transaction.atomic(), connection.cursor() as cursor:
        cursor.execute(UPSERT, [order_id, request.body.decode("utf-8", errors="replace"), time.time()])
    return JsonResponse({"order_id": order_id})


urlpatterns = [path(CEILING_PATH.strip("/") + "/", ceiling_view, name="bench-ceiling"), *hub_urlpatterns]
