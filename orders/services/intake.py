"""Orders as the shop reports them (webhook or poll): create, update, and detect status changes."""

from __future__ import annotations

import hashlib
import json
import logging
from dataclasses import dataclass, field
from decimal import Decimal
from typing import Any

from django.db import IntegrityError, transaction

from orders.models import Order, OrderItem, StatusChange, StatusMapping
from orders.services.search import order_search_values
from orders.services.status import order_change_status

logger = logging.getLogger(__name__)

# Payload keys copied onto the order as they are (after validation).
ORDER_FIELDS = (
    "delivery_name", "delivery_email", "delivery_phone", "delivery_city", "delivery_address",
    "delivery_price", "comment", "payed", "total_default", "total_sum", "total_quantity",
    "discount_percent", "discount_value", "coupon_code", "coupon_percent", "coupon_discount_value",
    "coupon_type", "stat_created", "currency", "order_without_callback",
)
ITEM_FIELDS = ("title", "article", "price", "quantity", "total_price", "discount_marker", "url", "photo_url")


@dataclass
class IntakeResult:
    order: Order
    created: bool = False
    changed_fields: list[str] = field(default_factory=list)
    status_change: StatusChange | None = None
    # The payload named a new status that is not applied yet: it waits for the shop's API to confirm it.
    needs_confirmation: bool = False

    @property
    def unchanged(self) -> bool:
        return not (self.created or self.changed_fields or self.status_change)


def payload_fingerprint(raw: dict[str, Any]) -> str:
    return hashlib.sha256(json.dumps(raw, sort_keys=True, ensure_ascii=False, default=str).encode()).hexdigest()


def status_mapping_for_shop_status(*, shop_status_id: int) -> StatusMapping:
    """The mapping of a shop status; an unknown id gets a placeholder that sends nothing until set up."""
    mapping, created = StatusMapping.objects.get_or_create(
        shop_status_id=shop_status_id,
        defaults={
            "code": f"shop-{shop_status_id}",
            "name": f"Shop status {shop_status_id}",
            "needs_setup": True,
            "shop_enabled": False,
        },
    )
    if created:
        logger.warning("Shop status %s has no mapping: created a placeholder", shop_status_id)
    return mapping


def _defaults(data: dict[str, Any]) -> dict[str, Any]:
    values = {name: data[name] for name in ORDER_FIELDS if name in data}
    values = {k: ("" if v is None and k in _TEXT_FIELDS else v) for k, v in values.items()}
    for k in _NUMBER_FIELDS:
        if k in values and values[k] is None:
            values[k] = Decimal(0) if k != "coupon_type" else 0
    for k in ("payed", "order_without_callback"):
        if k in values and values[k] is None:
            values[k] = False
    values["shop_user_id"] = data.get("user")
    for kind in ("delivery_type", "payment_type"):
        nested = data.get(kind) or {}
        values[f"{kind}_id"] = nested.get("id")
        values[f"{kind}_title"] = nested.get("title") or ""
    return values


_TEXT_FIELDS = frozenset({"delivery_name", "delivery_email", "delivery_phone", "delivery_city", "delivery_address",
                          "comment", "coupon_code", "currency"})
_NUMBER_FIELDS = frozenset({"total_default", "total_sum", "total_quantity", "discount_percent", "discount_value",
                            "coupon_percent", "coupon_discount_value", "coupon_type"})


def _items(data: dict[str, Any]) -> list[OrderItem]:
    items = []
    for position, product in enumerate(data.get("products") or []):
        values = {k: product.get(k) for k in ITEM_FIELDS}
        values = {k: (v if v is not None else ("" if k in ("title", "article", "discount_marker", "url", "photo_url")
                                                else Decimal(0))) for k, v in values.items()}
        items.append(OrderItem(position=position, **values))
    return items


def _lock_or_create(*, shop_order_id: str, values: dict[str, Any]) -> tuple[Order, bool]:
    """The order row, locked, creating it if new. Concurrent first copies make one row."""
    order = Order.objects.select_for_update().filter(shop_order_id=shop_order_id).first()
    if order is not None:
        return order, False
    try:
        with transaction.atomic():
            return Order.objects.create(shop_order_id=shop_order_id, **values), True
    except IntegrityError:
        # Another request created it between our read and insert: use theirs.
        return Order.objects.select_for_update().get(shop_order_id=shop_order_id), False


def order_upsert_from_shop(
    *, data: dict[str, Any], raw: dict[str, Any], source: StatusChange.Source, confirm_status: bool = False
) -> IntakeResult:
    """Take an order as the shop reports it (validated `data`, original `raw`).

    A new order is created with its items and its first status. The same payload again changes
    nothing. Otherwise changed fields are saved, and a `stat_status` different from what the
    shop said last time goes through `order_change_status` (only a change on the shop's side is a
    change, so a late or repeated report cannot move the order backwards). With `confirm_status`
    such a status is not applied but flagged `needs_confirmation`: the caller reads the order
    from the shop's API, the truth, and feeds that in. Links (`choco_user_id`, `imshop_uuid`) are
    only set when the payload carries them, never cleared by it.
    """
    shop_order_id = str(data["order_id"])
    fingerprint = payload_fingerprint(raw)
    values = _defaults(data)
    values |= order_search_values(name=values.get("delivery_name", ""), email=values.get("delivery_email", ""),
                                  phone=values.get("delivery_phone", ""))
    links = {k: data[k] for k in ("choco_user_id", "imshop_uuid") if data.get(k) not in (None, "")}
    # No savepoint of its own: any error here ends the caller's transaction too.
    with transaction.atomic(savepoint=False):
        order, created = _lock_or_create(
            shop_order_id=shop_order_id,
            values={**values, **links, "raw_payload": raw, "payload_hash": fingerprint,
                    "shop_status_id": data["stat_status"]},
        )
        result = IntakeResult(order=order, created=created)
        if created:
            OrderItem.objects.bulk_create([_attach(item, order) for item in _items(data)])
        elif order.payload_hash == fingerprint and order.shop_status_id == data["stat_status"]:
            # Nothing new. The status is compared too: a webhook's status waits for the shop's
            # API to confirm it, and the confirmation reads back this very body.
            return result
        else:
            result.changed_fields = _apply_changes(order, values={**values, **links}, data=data)
            order.raw_payload, order.payload_hash = raw, fingerprint
            fields = [name for name in result.changed_fields if name != "items"]
            order.save(update_fields=[*fields, "raw_payload", "payload_hash", "updated_at"])
        if created:
            result.status_change = _shop_status_changed(order=order, shop_status_id=data["stat_status"], source=source)
        elif order.shop_status_id != data["stat_status"]:
            if confirm_status:
                result.needs_confirmation = True
            else:
                result.status_change = _shop_status_changed(
                    order=order, shop_status_id=data["stat_status"], source=source
                )
        if "payed" in result.changed_fields:
            _payment_changed(order)
    return result


def _payment_changed(order: Order) -> None:
    from integrations.services.outbox import deliveries_create_for_payment

    order.refresh_from_db(fields=["status"])
    deliveries_create_for_payment(order=order)


def _attach(item: OrderItem, order: Order) -> OrderItem:
    item.order = order
    return item


def _apply_changes(order: Order, *, values: dict[str, Any], data: dict[str, Any]) -> list[str]:
    changed = [name for name, value in values.items() if getattr(order, name) != value]
    for name in changed:
        setattr(order, name, values[name])
    new_items = _items(data)
    old = [tuple(getattr(i, f) for f in ITEM_FIELDS) for i in order.items.all()]
    if old != [tuple(getattr(i, f) for f in ITEM_FIELDS) for i in new_items]:
        order.items.all().delete()
        OrderItem.objects.bulk_create([_attach(item, order) for item in new_items])
        changed.append("items")
    return changed


def _shop_status_changed(*, order: Order, shop_status_id: int, source: StatusChange.Source) -> StatusChange | None:
    """The shop says the order is now `shop_status_id`: record it and move the order there.

    Not while a change the hub made is still on its way to the shop: that back-sync will
    overwrite the shop's status, so the shop's is noted on the order and not applied.
    """
    if order.status_id is not None and _back_sync_pending(order):
        note = (f"The shop reported status {shop_status_id} while the hub's change to "
                f"{order.status.shop_status_id if order.status else '?'} was still being written back to it.")
        Order.objects.filter(pk=order.pk).update(out_of_step_note=note)
        logger.warning("Order %s: %s", order.shop_order_id, note, extra={"order": order.shop_order_id})
        return None
    if order.shop_status_id != shop_status_id:
        order.shop_status_id = shop_status_id
        order.save(update_fields=["shop_status_id", "updated_at"])
    mapping = status_mapping_for_shop_status(shop_status_id=shop_status_id)
    change = order_change_status(order_id=order.pk, to_status=mapping, source=source)
    order.status = mapping  # the service moved its own copy of the row
    return change


def _back_sync_pending(order: Order) -> bool:
    from integrations.models import Channel, Delivery

    return Delivery.objects.filter(order=order, channel=Channel.SHOP, state__in=Delivery.OPEN_STATES).exists()


def order_shop_status_synced(*, order_id: int, shop_status_id: int) -> None:
    """The hub's status was written to the shop: the shop now says `shop_status_id`."""
    Order.objects.filter(pk=order_id).update(shop_status_id=shop_status_id, out_of_step=False, out_of_step_note="")


def order_flag_out_of_step(*, order_id: int, note: str) -> None:
    """The shop could not be told of the hub's change: a manager must put them in step."""
    Order.objects.filter(pk=order_id).update(out_of_step=True, out_of_step_note=note[:2000])
    logger.warning("Order %s is out of step with the shop: %s", order_id, note, extra={"order": order_id})
