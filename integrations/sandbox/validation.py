"""What each sandbox partner checks in a request: pure functions that name every problem.

Each `*_problems` function takes the decoded body and returns a list of strings, each naming the
field the way the partner's documentation writes it (`external_data[expired_at]: ...`). An empty
list means the partner would accept the request. Nothing here touches the database or settings.
"""

from __future__ import annotations

import re
from datetime import datetime
from typing import Any
from urllib.parse import urlsplit

from integrations.sandbox.bodies import field_name, shown
from orders.models import order_number_canonical

INT64 = 2**63  # Laravel's `integer` is PHP's int: 64 bits
MAX_IDS = 1000

CHOCO_DEEPLINK_TYPES = ("active_order_call_to_action", "active_order_card")
CHOCO_TITLE_MAX = 30
CHOCO_EXPIRED_AT = re.compile(r"^\d{4}-\d{2}-\d{2} \d{2}:\d{2}:\d{2}$")
CHOCO_TIMER_FIELDS = ("need_timer", "countdown_timer")

IMSHOP_FIELDS = frozenset({"id", "code", "message", "trackingUrl", "userId", "payment", "key"})
IMSHOP_PAYMENT_FIELDS = frozenset({"paid", "paymentId"})

HOROSHOP_STATUS_IDS = (1, 2, 3, 4, 6)
HOROSHOP_UPDATE_FIELDS = frozenset({"order_id", "status", "tracking_code", "own_tracking_code", "payed"})
HOROSHOP_EVENTS = frozenset({"order_created", "order_update", "order_paid", "user_signup", "user_update",
                             "request_call_me", "comments_created"})
HOROSHOP_DATE_FORMATS = ("%Y-%m-%d %H:%M:%S", "%Y-%m-%d %H:%M", "%Y-%m-%d", "%d.%m.%Y %H:%M:%S", "%d.%m.%Y")

def _missing(value: Any) -> bool:
    # Laravel's `required`: null, "" and an empty array are missing; false and 0 are not.
    return value is None or value == "" or value == [] or value == {}


def _string(value: Any, name: str, *, required: bool = True) -> str | None:
    if _missing(value):
        return f"{name}: required" if required else None
    return None if isinstance(value, str) else f"{name}: must be a string"


def _integer(value: Any, name: str) -> str | None:
    if _missing(value):
        return f"{name}: required"
    if isinstance(value, str) and re.fullmatch(r"-?\d{1,19}", value):
        value = int(value)
    if isinstance(value, bool) or not isinstance(value, int) or not -INT64 <= value < INT64:
        return f"{name}: must be an integer"
    return None


def _boolean(value: Any, name: str) -> str | None:
    """Laravel's `boolean` rule: true, false, 1, 0, "1", "0" and nothing else (not "true")."""
    if _missing(value):
        return f"{name}: required"
    if isinstance(value, bool) or (type(value) is int and value in (0, 1)) or value in ("0", "1"):
        return None
    return f"{name}: must be a boolean (1/0 in a form, true/false in JSON), not {shown(value)}"


def _http_url(value: Any, name: str, *, required: bool = True) -> str | None:
    problem = _string(value, name, required=required)
    if problem or value in (None, ""):
        return problem
    parts = urlsplit(value)
    if parts.scheme.lower() not in ("http", "https") or not parts.netloc or re.search(r"\s", value):
        return f"{name}: must be an http(s) URL"
    return None


def _only(problems: list[str | None]) -> list[str]:
    return [problem for problem in problems if problem]


# Choco ----------------------------------------------------------------------------------------

def choco_auth_problems(data: dict[str, Any]) -> list[str]:
    """`POST /auth/token`: client_id, client_secret and grant_type=client_credentials."""
    problems = _only([_string(data.get("client_id"), "client_id"), _string(data.get("client_secret"), "client_secret")])
    grant = data.get("grant_type")
    if _missing(grant):
        problems.append("grant_type: required")
    elif grant != "client_credentials":
        problems.append("grant_type: must be client_credentials")
    return problems


def choco_status_problems(data: dict[str, Any]) -> list[str]:
    """`PUT /orders/v2/preorder/external/status`, version 1 (is_need_timer) or 2 (timers in external_data)."""
    problems = _only([
        _string(data.get("merchant_order_id"), "merchant_order_id"),
        _integer(data.get("user_id"), "user_id"),
        _string(data.get("external_status"), "external_status"),
    ])
    problems += _choco_deeplink_problems(data.get("deeplinks"))
    external = data.get("external_data")
    if _missing(external):
        return [*problems, "external_data: required"]
    if not isinstance(external, dict):
        return [*problems, "external_data: must be an object"]
    return problems + _choco_external_problems(external) + _choco_timer_problems(data, external)


def _choco_external_problems(external: dict[str, Any]) -> list[str]:
    expired_at = external.get("expired_at")
    problems = _only([_string(expired_at, "external_data[expired_at]")])
    if not problems and not (isinstance(expired_at, str) and CHOCO_EXPIRED_AT.match(expired_at)
                             and _parses(expired_at, "%Y-%m-%d %H:%M:%S")):
        problems.append("external_data[expired_at]: must be a date-time like 2021-10-10 00:00:00")
    for key in ("title_active_order_card", "title_call_to_action"):
        problem = _string(external.get(key), f"external_data[{key}]")
        if problem is None and len(external[key]) > CHOCO_TITLE_MAX:
            problem = f"external_data[{key}]: longer than {CHOCO_TITLE_MAX} characters"
        problems += _only([problem])
    subtitle = "subtitle_active_order_card"
    return problems + _only([_string(external.get(subtitle), f"external_data[{subtitle}]", required=False)])


def _choco_deeplink_problems(value: Any) -> list[str]:
    if _missing(value):
        return ["deeplinks: required"]
    if not isinstance(value, list):
        return ["deeplinks: must be a list"]
    problems: list[str] = []
    seen: list[object] = []  # each link's type as given, a string or not
    for index, link in enumerate(value):
        name = f"deeplinks[{index}]"
        if not isinstance(link, dict):
            problems.append(f"{name}: must be an object with link and type")
            continue
        kind = link.get("type")
        problem = _string(kind, f"{name}[type]")
        if problem is None and kind not in CHOCO_DEEPLINK_TYPES:
            problem = f"{name}[type]: unknown type {shown(kind)}, expected one of {', '.join(CHOCO_DEEPLINK_TYPES)}"
        elif problem is None and kind in seen:
            problem = f"{name}[type]: {kind} given twice"
        seen.append(kind)
        problems += _only([problem, _http_url(link.get("link"), f"{name}[link]")])
    problems += [f"deeplinks: no {kind} link" for kind in CHOCO_DEEPLINK_TYPES if kind not in seen]
    return problems


def _choco_timer_problems(data: dict[str, Any], external: dict[str, Any]) -> list[str]:
    """Version 1 has a top-level is_need_timer; version 2 both timers in external_data. Not a mix."""
    v2_given = [key for key in CHOCO_TIMER_FIELDS if key in external]
    if "is_need_timer" in data and v2_given:
        return [f"is_need_timer: version 1 field sent together with external_data[{v2_given[0]}] (version 2)"]
    if "is_need_timer" in data:
        return _only([_boolean(data["is_need_timer"], "is_need_timer")])
    return _only([_boolean(external.get(key), f"external_data[{key}]") for key in CHOCO_TIMER_FIELDS])


# Imshop ---------------------------------------------------------------------------------------

def imshop_status_problems(data: dict[str, Any]) -> list[str]:
    """Status sync: `id`, `code`; optional `message`, `trackingUrl`, `userId`, `payment{paid, paymentId}`."""
    problems = [f"{field_name(key)}: unknown field" for key in data if key not in IMSHOP_FIELDS]
    problems += _only([
        _string(data.get("id"), "id"),
        _string(data.get("code"), "code"),
        _string(data.get("message"), "message", required=False),
        _http_url(data.get("trackingUrl"), "trackingUrl", required=False),
        _string(data.get("userId"), "userId", required=False),
    ])
    if "payment" in data:
        problems += _imshop_payment_problems(data["payment"])
    return problems


def _imshop_payment_problems(payment: Any) -> list[str]:
    if not isinstance(payment, dict):
        return ["payment: must be an object with paid and paymentId"]
    problems = [f"payment[{field_name(key)}]: unknown field" for key in payment if key not in IMSHOP_PAYMENT_FIELDS]
    paid = payment.get("paid")
    if not isinstance(paid, bool):
        problems.append("payment[paid]: required, true or false")
    if "paymentId" not in payment:
        problems.append("payment[paymentId]: required (null when paid is false)")
    elif payment["paymentId"] is None:
        if paid is True:
            problems.append("payment[paymentId]: required when paid is true")
    elif not isinstance(payment["paymentId"], str) or not payment["paymentId"]:
        problems.append("payment[paymentId]: must be a string, or null when paid is false")
    return problems


# Horoshop -------------------------------------------------------------------------------------

def horoshop_auth_problems(data: dict[str, Any]) -> list[str]:
    return _only([_string(data.get("login"), "login"), _string(data.get("password"), "password")])


def horoshop_update_problems(data: dict[str, Any]) -> list[str]:
    """`orders/update` as a whole: `orders` must be a non-empty list (each order is checked on its own)."""
    orders = data.get("orders")
    if _missing(orders):
        return ["orders: required"]
    return [] if isinstance(orders, list) else ["orders: must be a list"]


def horoshop_update_order_problems(order: Any, index: int) -> list[str]:
    """One entry of `orders/update`: order_id, status (one of the shop's ids), tracking_code?, payed?."""
    name = f"orders[{index}]"
    if not isinstance(order, dict):
        return [f"{name}: must be an object"]
    problems = [f"{name}[{field_name(key)}]: unknown field" + (" (Horoshop spells it payed)" if key == "paid" else "")
                for key in order if key not in HOROSHOP_UPDATE_FIELDS]
    if not is_order_number(order.get("order_id")):
        problems.append(f"{name}[order_id]: required, the order number")
    status = order.get("status")
    if status is None:
        problems.append(f"{name}[status]: required")
    elif isinstance(status, bool) or not isinstance(status, int):
        problems.append(f"{name}[status]: must be an integer")
    elif status not in HOROSHOP_STATUS_IDS:
        problems.append(f"{name}[status]: unknown status {status}")
    if "payed" in order and order["payed"] not in (0, 1):
        problems.append(f"{name}[payed]: must be 0 or 1")
    for key in ("tracking_code", "own_tracking_code"):
        problems += _only([_string(order.get(key), f"{name}[{key}]", required=False)])
    return problems


def is_order_number(value: Any) -> bool:
    """A Horoshop order number: a positive int, or its digits as a string."""
    return order_number_canonical(value) is not None


def horoshop_get_problems(data: dict[str, Any]) -> list[str]:
    """`orders/get`: ids[]?, from?, to?, status?, limit?, offset? (dates as Horoshop writes them)."""
    problems = []
    ids = data.get("ids")
    if ids is not None and (not isinstance(ids, list) or not all(is_order_number(i) for i in ids)):
        problems.append("ids: must be a list of order numbers")
    elif ids is not None and len(ids) > MAX_IDS:
        problems.append(f"ids: at most {MAX_IDS}")
    for key in ("from", "to"):
        if data.get(key) not in (None, "") and horoshop_date_parse(data[key]) is None:
            problems.append(f"{key}: must be a date like 2024-01-31 10:00:00 or 31.01.2024")
    for key in ("limit", "offset", "status"):
        value = data.get(key)
        if value is not None and (isinstance(value, bool) or not isinstance(value, int) or not 0 <= value < INT64):
            problems.append(f"{key}: must be a non-negative integer")
    return problems


def horoshop_date_parse(value: Any) -> datetime | None:
    """A Horoshop date (`YYYY-MM-DD[ HH:MM[:SS]]` or `DD.MM.YYYY[ HH:MM:SS]`), naive, or None."""
    if isinstance(value, str):
        for fmt in HOROSHOP_DATE_FORMATS:
            if _parses(value.strip(), fmt):
                return datetime.strptime(value.strip(), fmt)
    return None


def _parses(value: str, fmt: str) -> bool:
    try:
        datetime.strptime(value, fmt)
    except ValueError:
        return False
    return True


def horoshop_hook_problems(data: dict[str, Any], *, subscribe: bool) -> list[str]:
    """`hooks/subscribe` {event, target_url} or `hooks/unSubscribe` {id, target_url}."""
    problems = _only([_http_url(data.get("target_url"), "target_url")])
    if not subscribe:
        return _only([_integer(data.get("id"), "id")]) + problems
    event = data.get("event")
    if _missing(event) or event not in HOROSHOP_EVENTS:
        problems.append(f"event: unknown event {shown(event)}" if not _missing(event) else "event: required")
    return problems
