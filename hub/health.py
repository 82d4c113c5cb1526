"""`/healthz` for the load balancer: 200 only when the database and the broker answer."""

from __future__ import annotations

import logging

from django.conf import settings
from django.db import DatabaseError, connection
from django.http import HttpRequest, JsonResponse
from django.views.decorators.csrf import csrf_exempt
from django.views.decorators.http import require_GET

from hub.celery import app as celery_app

logger = logging.getLogger(__name__)


def database_ok() -> bool:
    try:
        with connection.cursor() as cursor:
            cursor.execute("SELECT 1")
            return cursor.fetchone() == (1,)
    except DatabaseError:
        return False


# The load balancer gives up after a few seconds: each check must answer well within that, even
# when the broker accepts the connection and then says nothing.
BROKER_CHECK_TIMEOUT = 0.75


def broker_ok() -> bool:
    timeout = min(settings.BROKER_SOCKET_TIMEOUT, BROKER_CHECK_TIMEOUT) or BROKER_CHECK_TIMEOUT
    options = {"socket_timeout": timeout, "socket_connect_timeout": timeout, "retry_on_timeout": False}
    try:
        with celery_app.connection_for_write(url=settings.CELERY_BROKER_URL, connect_timeout=timeout,
                                             transport_options=options) as conn:
            # kombu takes the timeout in seconds as a float; the stub says int.
            conn.ensure_connection(max_retries=0, timeout=timeout)  # type: ignore[arg-type]
            conn.default_channel  # noqa: B018 - opening a channel proves the broker answers
        return True
    except Exception as exc:  # noqa: BLE001 - any transport error means "down"
        logger.warning("Broker check failed: %s", exc.__class__.__name__)
        return False


@csrf_exempt  # a GET endpoint for machines: another method is a 405, not a CSRF page
@require_GET
def healthz(request: HttpRequest) -> JsonResponse:
    checks = {"database": database_ok(), "broker": broker_ok()}
    healthy = all(checks.values())
    return JsonResponse({"status": "ok" if healthy else "unavailable", **checks}, status=200 if healthy else 503)
