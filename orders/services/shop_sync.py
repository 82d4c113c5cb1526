"""The hub's idea of what the shop itself says about an order, kept true as changes go back and forth."""

from __future__ import annotations

import logging

from orders.models import Channel, Delivery, Order

logger = logging.getLogger(__name__)


def order_back_sync_pending(*, order_id: int) -> bool:
    """Whether a change the hub made to this order is still on its way to the shop."""
    return Delivery.objects.filter(order_id=order_id, channel=Channel.SHOP, state__in=Delivery.OPEN_STATES).exists()


def order_shop_status_synced(*, order_id: int, shop_status_id: int) -> None:
    """The hub's status was written to the shop: the shop now says `shop_status_id`."""
    Order.objects.filter(pk=order_id).update(shop_status_id=shop_status_id, out_of_step=False, out_of_step_note="")


def order_flag_out_of_step(*, order_id: int, note: str) -> None:
    """The shop could not be told of the hub's change: a manager must put them in step."""
    Order.objects.filter(pk=order_id).update(out_of_step=True, out_of_step_note=note[:2000])
    logger.warning("Order %s is out of step with the shop: %s", order_id, note, extra={"order": order_id})
