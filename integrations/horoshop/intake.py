"""The shop's orders coming in: a Horoshop body read into the core's `OrderReport`, and the webhook taken.

The shop's field names end here. A webhook is a hint: with the shop's API configured its status
is confirmed by reading the order back (the webhook poller shares `order_report_from_shop`).
"""

from __future__ import annotations

import logging
from decimal import Decimal
from functools import partial
from typing import Any

from django.db import transaction

from hub.publishing import task_publish
from integrations.horoshop.partner import ShopPartner
from orders.models import StatusChange
from orders.services.intake import ITEM_FIELDS, IntakeResult, OrderReport, order_upsert_from_shop

# Payload keys copied onto the order as they are (after validation).
ORDER_FIELDS = (
    "delivery_name", "delivery_email", "delivery_phone", "delivery_city", "delivery_address",
    "delivery_price", "comment", "payed", "total_default", "total_sum", "total_quantity",
    "discount_percent", "discount_value", "coupon_code", "coupon_percent", "coupon_discount_value",
    "coupon_type", "stat_created", "currency", "order_without_callback",
)
TEXT_FIELDS = frozenset({"delivery_name", "delivery_email", "delivery_phone", "delivery_city", "delivery_address",
                         "comment", "coupon_code", "currency"})
NUMBER_FIELDS = frozenset({"total_default", "total_sum", "total_quantity", "discount_percent", "discount_value",
                           "coupon_percent", "coupon_discount_value", "coupon_type"})
ITEM_TEXT_FIELDS = frozenset({"title", "article", "discount_marker", "url", "photo_url"})
LINK_FIELDS = ("choco_user_id", "imshop_uuid")
ORDER_CREATED = "order_created"


def _order_values(data: dict[str, Any]) -> dict[str, Any]:
    values = {name: data[name] for name in ORDER_FIELDS if name in data}
    for name, value in values.items():
        if value is None:
            if name in TEXT_FIELDS:
                values[name] = ""
            elif name in NUMBER_FIELDS:
                values[name] = 0 if name == "coupon_type" else Decimal(0)
            elif name in ("payed", "order_without_callback"):
                values[name] = False
    values["shop_user_id"] = data.get("user")
    for kind in ("delivery_type", "payment_type"):
        nested = data.get(kind) or {}
        values[f"{kind}_id"] = nested.get("id")
        values[f"{kind}_title"] = nested.get("title") or ""
    return values


def _item_values(product: dict[str, Any]) -> dict[str, Any]:
    values = {name: product.get(name) for name in ITEM_FIELDS}
    return {name: value if value is not None else ("" if name in ITEM_TEXT_FIELDS else Decimal(0))
            for name, value in values.items()}


def order_report_from_shop(*, data: dict[str, Any], raw: dict[str, Any], event: str = "") -> OrderReport:
    """The core's view of a shop order: `data` validated by ShopOrderSerializer, `raw` as it arrived.

    Links (`choco_user_id`, `imshop_uuid`) are reported only when the body carries them, so a body
    without them never clears them. `event` is the webhook's (`order_created` announces a new order).
    """
    return OrderReport(
        shop_order_id=str(data["order_id"]),
        shop_status_id=data["stat_status"],
        values=_order_values(data),
        items=[_item_values(product) for product in data.get("products") or []],
        links={name: data[name] for name in LINK_FIELDS if data.get(name) not in (None, "")},
        raw=raw,
        announced_new=event == ORDER_CREATED,
    )


logger = logging.getLogger(__name__)

# The task (integrations/tasks.py) that reads announced orders back, by name: it imports the poller, which imports this.
ORDERS_CONFIRM_TASK = "integrations.horoshop_orders_confirm"


def shop_webhook_receive(*, data: dict[str, Any], raw: dict[str, Any], event: str) -> IntakeResult:
    """Take a webhook's order. With the shop's API configured, a new status is not applied from the
    webhook (they come minutes late and out of order) but confirmed by reading the order back.
    """
    confirm = ShopPartner().is_configured()
    # Inside the request's transaction no savepoint is needed: an error rolls the view's back.
    with transaction.atomic(savepoint=False):
        result = order_upsert_from_shop(report=order_report_from_shop(data=data, raw=raw, event=event),
                                        source=StatusChange.Source.SHOP_WEBHOOK, confirm_status=confirm)
        if result.needs_confirmation:
            transaction.on_commit(partial(orders_confirm_enqueue, result.order.shop_order_id))
    return result


def orders_confirm_enqueue(shop_order_id: str) -> None:
    # If the broker is down, the next poll reads the order anyway.
    task_publish(ORDERS_CONFIRM_TASK, [shop_order_id], what=f"the confirmation of order {shop_order_id}")
