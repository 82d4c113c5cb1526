"""The links between an order and the partner apps (Choco user id, Imshop uuid)."""

from __future__ import annotations

from django.db import transaction

from orders.models import Order

UNSET = object()


def order_links_update(*, order_id: int, choco_user_id: object = UNSET, imshop_uuid: object = UNSET) -> Order:
    """Set or clear an order's partner links; a link not passed is left as it is.

    `None` (or "") clears a link. Takes effect for the next status change.
    """
    with transaction.atomic():
        order = Order.objects.select_for_update().get(pk=order_id)
        fields = []
        if choco_user_id is not UNSET:
            order.choco_user_id = choco_user_id or None
            fields.append("choco_user_id")
        if imshop_uuid is not UNSET:
            order.imshop_uuid = imshop_uuid or ""
            fields.append("imshop_uuid")
        if fields:
            order.save(update_fields=[*fields, "updated_at"])
    return order
