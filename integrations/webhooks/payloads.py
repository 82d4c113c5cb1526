"""The events subscribers receive: versioned JSON, built once when the status changes.

Shape (Standard Webhooks' recommended envelope; README "Status subscriptions"):
`{"id", "type", "version", "timestamp", "data": {...}}`. `id` is added when the event is sent
(see `event_body`): it names the delivery and stays the same on every retry and resend. Fields
are only ever added within a version; a change that could break a consumer gets a new version.
"""

from __future__ import annotations

import json
from datetime import UTC, datetime
from typing import Any

from orders.models import Order, StatusChange, StatusMapping

STATUS_CHANGED = "order.status_changed"
TEST = "hub.test"
EVENT_VERSION = 1
MESSAGE_ID_PREFIX = "msg_hub_"


def iso_utc(moment: datetime) -> str:
    """`2026-05-01T10:00:00.123456Z`."""
    return moment.astimezone(UTC).isoformat().replace("+00:00", "Z")


def _status(mapping: StatusMapping | None) -> dict[str, Any] | None:
    if mapping is None:
        return None
    return {"code": mapping.code, "name": mapping.name, "shop_status_id": mapping.shop_status_id}


def build_status_event(*, order: Order, mapping: StatusMapping, change: StatusChange) -> dict[str, Any]:
    """`order.status_changed`: the order, its new and previous status, who moved it, why and when.

    `previous_status` is null for an order's first status; `changed_by` is the manager's user
    name, or null when a system (the shop, the status API, Imshop) made the change.
    """
    return {
        "type": STATUS_CHANGED,
        "version": EVENT_VERSION,
        "timestamp": iso_utc(change.created_at),
        "data": {
            "order_number": str(order.shop_order_id),
            "status": _status(mapping),
            "previous_status": _status(change.from_status),
            "source": str(change.source),
            "reason": change.reason,
            "changed_by": change.user.get_username() if change.user is not None else None,
            "links": {"choco_user_id": order.choco_user_id, "imshop_uuid": order.imshop_uuid or None},
        },
    }


def build_test_event(*, endpoint_name: str, now: datetime) -> dict[str, Any]:
    """`hub.test`: what the admin's "Send a test event" sends. Consumers may ignore it."""
    return {
        "type": TEST,
        "version": EVENT_VERSION,
        "timestamp": iso_utc(now),
        "data": {"endpoint": endpoint_name, "message": "A test event from the order status hub; it needs no action."},
    }


def message_id(delivery_id: int | str) -> str:
    """`msg_hub_<id>`: the `webhook-id` and the event's `id`."""
    return f"{MESSAGE_ID_PREFIX}{delivery_id}"


def event_body(event: dict[str, Any], *, msg_id: str) -> str:
    """The exact text sent and signed: the event with its `id` first, compact JSON, UTF-8 as is."""
    return json.dumps({"id": msg_id, **event}, ensure_ascii=False, separators=(",", ":"))
