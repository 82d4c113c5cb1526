"""The sandbox subscriber: a system subscribed to status changes, as its developers would write one.

It verifies each event with the `standardwebhooks` library (the reference implementation, not the
hub's own signing code) using the subscription's current secret, checks the event against its
documented shape, drops a repeated `webhook-id` as a consumer should, and answers 200. A bad
signature is 401, a malformed event 400. Pure apart from the two reads it is given.
"""

from __future__ import annotations

import json
from collections.abc import Callable
from datetime import datetime
from typing import Any

from standardwebhooks import Webhook, WebhookVerificationError

from integrations.sandbox.services import SandboxAnswer

EVENT_TYPES = ("order.status_changed", "hub.test")
EVENT_FIELDS = ("id", "type", "version", "timestamp", "data")
STATUS_FIELDS = ("code", "name", "shop_status_id")
SOURCES = ("shop_webhook", "shop_poll", "admin", "api", "imshop")


def _error(status: int, problems: list[str]) -> SandboxAnswer:
    return SandboxAnswer(status, {"error": "; ".join(problems)}, tuple(problems))


def _timestamp_problem(value: Any) -> str | None:
    if not isinstance(value, str) or not value.endswith("Z"):
        return "timestamp: must be an ISO 8601 time in UTC ending in Z"
    try:
        datetime.fromisoformat(value.removesuffix("Z") + "+00:00")
    except ValueError:
        return "timestamp: must be an ISO 8601 time in UTC ending in Z"
    return None


def _status_problems(value: Any, name: str, *, required: bool) -> list[str]:
    if value is None:
        return [f"{name}: required"] if required else []
    if not isinstance(value, dict):
        return [f"{name}: must be an object"]
    return [f"{name}[{key}]: required" for key in STATUS_FIELDS if value.get(key) in (None, "")]


def event_problems(event: Any, *, msg_id: str) -> list[str]:
    """Every way `event` differs from the documented envelope and its `order.status_changed` data."""
    if not isinstance(event, dict):
        return ["body: must be a JSON object"]
    problems = [f"{key}: required" for key in EVENT_FIELDS if key not in event]
    if event.get("id") != msg_id:
        problems.append("id: must equal the webhook-id header")
    if event.get("type") not in EVENT_TYPES:
        problems.append(f"type: unknown event type {event.get('type')!r}")
    if event.get("version") != 1:
        problems.append("version: must be 1")
    if problem := _timestamp_problem(event.get("timestamp")):
        problems.append(problem)
    data = event.get("data")
    if not isinstance(data, dict):
        return [*problems, "data: must be an object"]
    if event.get("type") != "order.status_changed":
        return problems
    if not isinstance(data.get("order_number"), str) or not data.get("order_number"):
        problems.append("data[order_number]: must be a non-empty string")
    problems += _status_problems(data.get("status"), "data[status]", required=True)
    problems += _status_problems(data.get("previous_status"), "data[previous_status]", required=False)
    if data.get("source") not in SOURCES:
        problems.append(f"data[source]: must be one of {', '.join(SOURCES)}")
    if not isinstance(data.get("links"), dict):
        problems.append("data[links]: must be an object")
    return problems


def subscriber_answer(*, raw: bytes, headers: dict[str, str], secret: str | None,
                      seen: Callable[[str], bool]) -> SandboxAnswer:
    """Verify and check one delivery. `secret` is the subscription's (None: no such subscription);
    `seen(msg_id)` says whether this message was already taken."""
    if secret is None:
        return _error(404, ["url: no status subscription has this address"])
    try:
        text = raw.decode("utf-8")
    except UnicodeDecodeError:
        return _error(400, ["body: not UTF-8"])
    try:
        Webhook(secret).verify(text, headers, json_parse=False)
    except (WebhookVerificationError, ValueError) as exc:  # ValueError: a signature header it cannot split
        return _error(401, [f"webhook-signature: {exc or 'malformed'}"])
    try:
        event = json.loads(text)
    except ValueError:
        return _error(400, ["body: not JSON"])
    msg_id = {name.lower(): value for name, value in headers.items()}["webhook-id"]
    problems = event_problems(event, msg_id=msg_id)
    if problems:
        return _error(400, problems)
    if seen(msg_id):
        return SandboxAnswer(200, {"received": True, "id": msg_id, "duplicate": True})
    return SandboxAnswer(200, {"received": True, "id": msg_id})
