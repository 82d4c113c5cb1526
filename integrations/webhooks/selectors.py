"""Reads of the status subscriptions. Nothing here writes."""

from __future__ import annotations

import functools
import time
from datetime import datetime
from functools import partial

from django.db import connection
from django.utils.translation import gettext

from integrations.webhooks.models import WebhookEndpoint
from orders.models import StatusMapping
from orders.services.config_cache import ConfigCache, config_unwritten_sql
from orders.services.statements import hot_cursor

# Channel labels are read for every delivery row an admin list shows: one query for all of them,
# kept this many seconds (and forgotten at once when this process changes an endpoint).
LABELS_TTL_SECONDS = 10.0
_labels: dict[int, tuple[str, bool]] = {}
_labels_read_at = 0.0


@functools.cache
def _subscribed_sql(vendor: str) -> str:
    """The ids of the endpoints subscribed; on PostgreSQL as one row with whether they may be kept."""
    ops = connection.ops
    through = WebhookEndpoint.statuses.through._meta
    endpoint_column = through.get_field("webhookendpoint").column
    mapping_column = through.get_field("statusmapping").column
    endpoints, chosen = ops.quote_name(WebhookEndpoint._meta.db_table), ops.quote_name(through.db_table)
    subscribed = (f"SELECT e.id FROM {endpoints} e WHERE e.enabled = %s AND (e.all_statuses = %s OR EXISTS "  # noqa: S608
                  f"(SELECT 1 FROM {chosen} s WHERE s.{ops.quote_name(endpoint_column)} = e.id "
                  f"AND s.{ops.quote_name(mapping_column)} = %s)) ORDER BY e.id")
    if vendor == "postgresql":
        return f"SELECT array({subscribed}), {config_unwritten_sql(vendor)}"
    return subscribed  # SQLite: a row per endpoint, and nothing is kept


# Asked at every status change: kept in each process while PostgreSQL tells it of every change.
_subscribed: ConfigCache[int, tuple[int, ...]] = ConfigCache()


def endpoint_ids_subscribed(*, mapping: StatusMapping) -> list[int]:
    """The endpoints that are on and take `mapping` (every status, or this one), by id."""
    return list(_subscribed.get(mapping.pk, partial(_subscribed_read, mapping.pk)))


def _subscribed_read(mapping_id: int) -> tuple[tuple[int, ...], bool]:
    # A plain statement built once (the ORM compiled the join anew each time, for more than the
    # rest of a webhook's reads together).
    with hot_cursor(connection) as cursor:
        cursor.execute(_subscribed_sql(connection.vendor), [True, True, mapping_id])
        if connection.vendor != "postgresql":
            return tuple(pk for (pk,) in cursor.fetchall()), False
        ids, keepable = cursor.fetchone()
    return tuple(ids), bool(keepable)


def endpoint_ids_all() -> list[int]:
    return list(WebhookEndpoint.objects.order_by("pk").values_list("pk", flat=True))


def endpoint_signing_secrets(*, endpoint: WebhookEndpoint, now: datetime) -> list[str]:
    """The secrets a message is signed with now: the current one, and the previous one during its overlap."""
    previous = endpoint.previous_secret and endpoint.previous_secret_until and endpoint.previous_secret_until > now
    return [endpoint.secret, endpoint.previous_secret] if previous else [endpoint.secret]


def endpoint_label(*, endpoint_id: int) -> str:
    """How managers see an endpoint's channel: `Webhook · <name>`, `(off)` when switched off."""
    global _labels, _labels_read_at
    if endpoint_id not in _labels or time.monotonic() - _labels_read_at > LABELS_TTL_SECONDS:
        _labels = {pk: (name, enabled) for pk, name, enabled in
                   WebhookEndpoint.objects.values_list("pk", "name", "enabled")}
        _labels_read_at = time.monotonic()
    if endpoint_id not in _labels:
        return gettext("Webhook #%(id)d (deleted)") % {"id": endpoint_id}
    name, enabled = _labels[endpoint_id]
    label = gettext("Webhook · %(name)s") % {"name": name}
    return label if enabled else gettext("%(label)s (off)") % {"label": label}


def endpoint_labels_forget() -> None:
    """Read the labels again on next use (this process changed an endpoint)."""
    global _labels_read_at
    _labels_read_at = 0.0
