"""A validated Horoshop order body as the core's `OrderReport`: the shop's field names end here."""

from __future__ import annotations

from decimal import Decimal
from typing import Any

from orders.services.intake import ITEM_FIELDS, OrderReport

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


def order_report_from_shop(*, data: dict[str, Any], raw: dict[str, Any]) -> OrderReport:
    """The core's view of a shop order: `data` validated by ShopOrderSerializer, `raw` as it arrived.

    Links (`choco_user_id`, `imshop_uuid`) are reported only when the body carries them, so a body
    without them never clears them.
    """
    return OrderReport(
        shop_order_id=str(data["order_id"]),
        shop_status_id=data["stat_status"],
        values=_order_values(data),
        items=[_item_values(product) for product in data.get("products") or []],
        links={name: data[name] for name in LINK_FIELDS if data.get(name) not in (None, "")},
        raw=raw,
    )
