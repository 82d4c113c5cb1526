"""Reads of orders and mappings. Nothing here writes."""

from __future__ import annotations

from django.db.models import Prefetch, QuerySet

from hub.api import NotFoundError
from orders.models import Order, StatusChange, StatusMapping, order_number_canonical


def _unknown(shop_order_id: str) -> NotFoundError:
    shown = str(shop_order_id).replace("\x00", "\ufffd")[:64]
    return NotFoundError(f"No order with number {shown}.", field="order_id")


def order_get_by_number(*, shop_order_id: str) -> Order:
    """The order with this shop number. Raises NotFoundError naming `order_id`."""
    number = order_number_canonical(shop_order_id)
    if number is None:
        raise _unknown(shop_order_id)  # cannot be a shop's number, and NUL would upset the database
    try:
        return Order.objects.select_related("status").get(shop_order_id=number)
    except Order.DoesNotExist:
        raise _unknown(shop_order_id) from None


def order_detail_get(*, shop_order_id: str) -> Order:
    """The order with items, history and deliveries loaded in a fixed number of queries."""
    from integrations.models import Delivery

    queryset = Order.objects.select_related("status").prefetch_related(
        "items",
        Prefetch(
            "status_changes",
            queryset=StatusChange.objects.select_related("from_status", "to_status", "user"),
        ),
        Prefetch("deliveries", queryset=Delivery.objects.order_by("-created_at", "-id")),
    )
    number = order_number_canonical(shop_order_id)
    if number is None:
        raise _unknown(shop_order_id)
    try:
        return queryset.get(shop_order_id=number)
    except Order.DoesNotExist:
        raise _unknown(shop_order_id) from None


def status_mapping_by_code(*, code: str) -> StatusMapping:
    """The mapping with this internal code. Raises NotFoundError naming `status` (answered 400)."""
    try:
        return StatusMapping.objects.get(code=code)
    except StatusMapping.DoesNotExist:
        known = ", ".join(StatusMapping.objects.values_list("code", flat=True))
        raise StatusUnknownError(f"Unknown status {code!r}; known codes: {known}.", field="status") from None


def status_mapping_by_shop_id(*, shop_status_id: int) -> StatusMapping:
    try:
        return StatusMapping.objects.get(shop_status_id=shop_status_id)
    except StatusMapping.DoesNotExist:
        known = ", ".join(str(i) for i in StatusMapping.objects.values_list("shop_status_id", flat=True))
        raise StatusUnknownError(
            f"Unknown shop status {shop_status_id}; known ids: {known}.", field="shop_status"
        ) from None


def status_mapping_cancellation_target() -> StatusMapping | None:
    return StatusMapping.objects.filter(is_cancellation_target=True).first()


def status_mappings_list() -> QuerySet[StatusMapping]:
    return StatusMapping.objects.all()


class StatusUnknownError(NotFoundError):
    """An unknown status in a request body is the caller's mistake: 400, not 404."""

    status_code = 400
