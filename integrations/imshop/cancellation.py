"""A buyer cancels an order in the Imshop app."""

from __future__ import annotations

from dataclasses import dataclass

from django.conf import settings
from django.db.models import Q

from orders.errors import ConflictError
from orders.models import Channel, Order, StatusChange, StatusMapping
from orders.selectors import status_mapping_cancellation_target
from orders.services.status import order_change_status


@dataclass(frozen=True)
class CancellationResult:
    success: bool
    message: str
    order: Order | None = None
    mapping: StatusMapping | None = None


def _is_cancellation(imshop_status: str) -> bool:
    """Imshop's `status` names a cancellation (any case and spelling in IMSHOP_CANCEL_STATUSES), or is absent
    (the older callback shape had none)."""
    wanted = imshop_status.strip().casefold()
    return not wanted or wanted in {s.strip().casefold() for s in settings.IMSHOP_CANCEL_STATUSES}


def order_cancel_from_imshop(
    *, order_number: str = "", imshop_uuid: str = "", reason: str = "", imshop_status: str = ""
) -> CancellationResult:
    """Move the order to the cancellation-target mapping, unless it may not be cancelled.

    The order is found by the shop's number, else by its Imshop uuid, and must be one Imshop
    knows (it has an Imshop uuid, or every order is synced to Imshop). Only a cancellation is
    taken: another Imshop `status` changes nothing. Repeating a cancellation answers the same
    and changes nothing. The change goes to Choco and the shop, never back to Imshop. Business
    refusals are returned (success False), not raised.
    """
    if not _is_cancellation(imshop_status):
        return CancellationResult(
            False, f"Only a cancellation can be taken here: status {imshop_status.strip()[:64]!r} changes nothing.")
    lookup = Q()
    if order_number:
        lookup |= Q(shop_order_id=order_number)
    if imshop_uuid:
        lookup |= Q(imshop_uuid=imshop_uuid)
    order = Order.objects.filter(lookup).select_related("status").first() if lookup else None
    if order is None:
        ref = order_number or imshop_uuid
        return CancellationResult(False, f"Order {ref} is not known to the shop.")
    if not (order.imshop_uuid or settings.IMSHOP_SYNC_ALL_ORDERS):
        return CancellationResult(False, f"Order {order.shop_order_id} was not placed through the Imshop app.", order)
    target = status_mapping_cancellation_target()
    if target is None:
        return CancellationResult(False, "The shop has no status set up for cancellations.", order)
    if order.status_id == target.pk:
        return CancellationResult(True, target.imshop_message or target.name, order, target)
    try:
        order_change_status(
            order_id=order.pk, to_status=target, source=StatusChange.Source.IMSHOP,
            reason=reason, skip_channels=[Channel.IMSHOP],
        )
    except ConflictError:
        assert order.status is not None, "a conflict means the order is in a final status"
        return CancellationResult(
            False, f"Order {order.shop_order_id} is already {order.status.name!r} and can no longer be cancelled.",
            order,
        )
    return CancellationResult(True, target.imshop_message or target.name, order, target)
