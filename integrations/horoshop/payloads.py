"""The body of Horoshop's `orders/update` call that sets an order's status."""

from __future__ import annotations

from typing import Any

from orders.models import Order, StatusMapping


def shop_order_number(value: str | int) -> int | str:
    """The order number as Horoshop writes it: an int when it is all digits, else the string."""
    text = str(value)
    return int(text) if text.isascii() and text.isdigit() else text


def build_status_update_payload(*, order: Order, mapping: StatusMapping) -> dict[str, Any]:
    """`{"orders": [{"order_id", "status"}]}` for `orders/update`; the client adds the token."""
    return {"orders": [{"order_id": shop_order_number(order.shop_order_id), "status": mapping.shop_status_id}]}
