"""The links between an order and the partner apps (Choco user id, Imshop uuid)."""

from __future__ import annotations

import enum
from typing import Final, Literal, TypedDict

from django.db import transaction

from orders.models import Order


class _Unset(enum.Enum):
    """The type of UNSET: a link not passed, told apart from None (which clears it)."""

    UNSET = enum.auto()


UNSET: Final = _Unset.UNSET


class OrderLinks(TypedDict, total=False):
    """Link changes as the status API takes them; a key left out leaves its link as it is."""

    choco_user_id: int | None
    imshop_uuid: str | None


def order_links_update(
    *,
    order_id: int,
    choco_user_id: int | None | Literal[_Unset.UNSET] = UNSET,
    imshop_uuid: str | None | Literal[_Unset.UNSET] = UNSET,
) -> Order:
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
