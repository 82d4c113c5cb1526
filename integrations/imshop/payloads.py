"""The body of Imshop's order status sync call."""

from __future__ import annotations

import re
from typing import Any

from orders.models import Order, StatusMapping

MIN_PHONE_DIGITS = 10


def build_status_payload(*, order: Order, mapping: StatusMapping, payment_changed: bool = False) -> dict[str, Any]:
    """`{id, code}` plus, when known, `message`, `trackingUrl`, `userId` and (on a payment change) `payment`.

    `id` is the shop's order number. `userId` is the delivery phone's digits when there are at least
    ten of them (Imshop pushes to that user for orders not placed in the app). `payment` is sent only
    when the payment status changed, and then always with both `paid` and `paymentId`.
    """
    payload: dict[str, Any] = {"id": str(order.shop_order_id), "code": mapping.imshop_code}
    if mapping.imshop_message:
        payload["message"] = mapping.imshop_message
    if mapping.imshop_tracking_url:
        payload["trackingUrl"] = mapping.imshop_tracking_url.replace("{order_id}", str(order.shop_order_id))
    digits = re.sub(r"\D", "", order.delivery_phone or "")
    if len(digits) >= MIN_PHONE_DIGITS:
        payload["userId"] = digits
    if payment_changed:
        payload["payment"] = {"paid": bool(order.payed), "paymentId": str(order.shop_order_id) if order.payed else None}
    return payload
