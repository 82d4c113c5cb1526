"""The one way an order's status changes, whatever asked for it."""

from __future__ import annotations

import logging
from collections.abc import Iterable

from django.contrib.auth.models import AnonymousUser, User
from django.db import transaction

from orders.errors import ConflictError
from orders.models import Order, StatusChange, StatusMapping
from orders.selectors import (
    order_detail_get,
    order_get_by_number,
    status_mapping_by_code,
    status_mapping_by_shop_id,
)
from orders.services.links import OrderLinks, order_links_update
from orders.services.outbox import deliveries_create_for_change
from orders.services.statements import insert

logger = logging.getLogger(__name__)


def order_change_status(
    *,
    order_id: int,
    to_status: StatusMapping,
    source: StatusChange.Source,
    user: User | AnonymousUser | None = None,
    reason: str = "",
    skip_channels: Iterable[str] = (),
) -> StatusChange | None:
    """Move an order to `to_status`: history row and outbound deliveries in one transaction.

    Idempotent: a change to the status the order already has does nothing and returns None.
    Raises ConflictError when the order is in a final status and the change does not come from
    the shop (the shop is the truth about its own orders; the hub does not leave a final status).
    Deliveries are queued only after the transaction commits.
    """
    with transaction.atomic():
        order = Order.objects.select_for_update(of=("self",)).select_related("status").get(pk=order_id)
        return order_status_move(order=order, to_status=to_status, source=source, user=user, reason=reason,
                                 skip_channels=skip_channels)


def order_status_move(
    *,
    order: Order,
    to_status: StatusMapping,
    source: StatusChange.Source,
    user: User | AnonymousUser | None = None,
    reason: str = "",
    skip_channels: Iterable[str] = (),
) -> StatusChange | None:
    """`order_change_status` for a caller that already holds `order`'s row lock in its transaction.

    The intake locks (or creates) the order before it knows whether the status changed; reading
    it again here would cost a round trip on every webhook. Atomic on its own too (no statement
    when the caller's transaction is open).
    """
    with transaction.atomic(savepoint=False):
        if order.status_id == to_status.id:
            return None
        current = order.status
        if current is not None and current.is_final and source not in StatusChange.SHOP_SOURCES:
            raise ConflictError(
                f"Order {order.shop_order_id} is {current.name!r}, a final status: it cannot be moved to "
                f"{to_status.name!r}.",
                field="status",
            )
        order.status = to_status
        order.save(update_fields=["status", "updated_at"])
        return _status_change_record(order=order, from_status=current, source=source, user=user, reason=reason,
                                     skip_channels=skip_channels)


def order_status_first_record(*, order: Order, source: StatusChange.Source) -> StatusChange:
    """Record the status a new order was inserted with: its history row and deliveries.

    The intake writes a new order's first status in the order's own INSERT (an UPDATE saved).
    Call in that transaction.
    """
    assert order.status is not None, "a new order is inserted with its first status"
    return _status_change_record(order=order, from_status=None, source=source)


def _status_change_record(
    *, order: Order, from_status: StatusMapping | None, source: StatusChange.Source,
    user: User | AnonymousUser | None = None, reason: str = "", skip_channels: Iterable[str] = (),
) -> StatusChange:
    """The history row and the deliveries of a move `order` (holding its new status) has made."""
    to_status = order.status
    assert to_status is not None
    change = StatusChange(
        order=order,
        from_status=from_status,
        to_status=to_status,
        source=source,
        user=user if user is not None and user.is_authenticated else None,
        reason=reason,
    )
    insert([change])
    deliveries_create_for_change(change=change, order=order, mapping=to_status, skip_channels=skip_channels)
    logger.info(
        "Order %s moved %s -> %s by %s",
        order.shop_order_id,
        from_status.code if from_status else None,
        to_status.code,
        source,
        extra={"order": order.shop_order_id, "source": source},
    )
    return change


def order_status_set_from_api(
    *,
    shop_order_id: str,
    status: str | None = None,
    shop_status: int | None = None,
    reason: str = "",
    links: OrderLinks | None = None,
) -> Order:
    """Apply a status API request: optional link changes, then the status change.

    Returns the order in its new state with items, history and deliveries loaded (one read).

    Raises NotFoundError (unknown order, 404), StatusUnknownError (400), ConflictError (409).
    """
    order = order_get_by_number(shop_order_id=shop_order_id)
    if status is not None:
        mapping = status_mapping_by_code(code=status)
    elif shop_status is not None:
        mapping = status_mapping_by_shop_id(shop_status_id=shop_status)
    else:
        mapping = None
    with transaction.atomic():
        if links:
            order_links_update(order_id=order.pk, **links)
        if mapping is not None:
            order_change_status(order_id=order.pk, to_status=mapping, source=StatusChange.Source.API, reason=reason)
    return order_detail_get(shop_order_id=shop_order_id)
