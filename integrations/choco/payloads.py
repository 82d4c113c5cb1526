"""The body of Choco's active-order status call, and its form-urlencoded spelling."""

from __future__ import annotations

from datetime import datetime, timedelta
from typing import Any
from urllib.parse import urlencode
from zoneinfo import ZoneInfo

from orders.models import Order, StatusMapping

EXPIRED_AT_FORMAT = "%Y-%m-%d %H:%M:%S"
SUBTITLE_MAX = 120


def _link(template: str, order: Order) -> str:
    return template.replace("{order_id}", str(order.shop_order_id))


def expired_at_text(*, now: datetime, minutes: int, tz: str) -> str:
    """`now` plus `minutes`, as Choco reads `expired_at`: `YYYY-MM-DD HH:MM:SS` in zone `tz`, no offset."""
    return (now + timedelta(minutes=minutes)).astimezone(ZoneInfo(tz)).strftime(EXPIRED_AT_FORMAT)


def payload_expiry_renewed(payload: dict[str, Any], *, now: datetime, minutes: int, tz: str) -> dict[str, Any]:
    """`payload` with `expired_at` counted from `now`: each attempt (a retry hours later, a resend)
    tells Choco the card is valid for the mapping's whole time from when it is sent."""
    external_data = {**payload.get("external_data", {}), "expired_at": expired_at_text(now=now, minutes=minutes, tz=tz)}
    return {**payload, "external_data": external_data}


def build_status_payload(
    *, order: Order, mapping: StatusMapping, now: datetime, version: int, tz: str, reason: str = ""
) -> dict[str, Any]:
    """The JSON-ready body of `PUT /orders/v2/preorder/external/status` for `order` reaching `mapping`.

    `now` must be time-zone aware; `expired_at` is `now` plus the mapping's validity, written in
    zone `tz` without an offset. Version 1 sends a top-level `is_need_timer`; version 2 sends
    `need_timer` and `countdown_timer` inside `external_data`, plus `subtitle_active_order_card`
    (the mapping's subtitle, or else `reason` cut to 120 characters) only when the timer is off,
    because Choco shows the subtitle only then.
    """
    external_data: dict[str, Any] = {
        "expired_at": expired_at_text(now=now, minutes=mapping.choco_expires_in_minutes, tz=tz),
        "title_active_order_card": mapping.choco_title_active_order_card,
        "title_call_to_action": mapping.choco_title_call_to_action,
    }
    payload: dict[str, Any] = {
        "merchant_order_id": str(order.shop_order_id),
        "user_id": int(order.choco_user_id) if order.choco_user_id is not None else None,
        "external_status": mapping.choco_external_status,
        "deeplinks": [
            {"link": _link(mapping.choco_deeplink_call_to_action, order), "type": "active_order_call_to_action"},
            {"link": _link(mapping.choco_deeplink_card, order), "type": "active_order_card"},
        ],
        "external_data": external_data,
    }
    if version == 1:
        payload["is_need_timer"] = bool(mapping.choco_need_timer)
        return payload
    subtitle = mapping.choco_subtitle_active_order_card or reason.strip()[:SUBTITLE_MAX]
    if subtitle and not mapping.choco_need_timer:
        external_data["subtitle_active_order_card"] = subtitle
    external_data["need_timer"] = bool(mapping.choco_need_timer)
    external_data["countdown_timer"] = bool(mapping.choco_countdown_timer)
    return payload


def _flatten(value: Any, key: str) -> list[tuple[str, str]]:
    if value is None:
        return []
    if isinstance(value, dict):
        return [pair for k, v in value.items() for pair in _flatten(v, f"{key}[{k}]")]
    if isinstance(value, list | tuple):
        return [pair for i, v in enumerate(value) for pair in _flatten(v, f"{key}[{i}]")]
    if isinstance(value, bool):
        return [(key, "1" if value else "0")]
    return [(key, str(value))]


def encode_form(payload: dict[str, Any]) -> str:
    """`payload` as PHP reads a form: bracket keys (`deeplinks[0][link]`), booleans as 1/0, None left out.

    Keys keep the payload's order; spaces become `+` (like PHP's http_build_query).
    """
    pairs = [pair for key, value in payload.items() for pair in _flatten(value, key)]
    return urlencode(pairs)
