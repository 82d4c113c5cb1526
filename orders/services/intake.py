"""Orders as the shop reports them (webhook or poll): create, update, and detect status changes."""

from __future__ import annotations

import hashlib
import json
import logging
from dataclasses import dataclass, field
from functools import partial
from typing import Any

from django.db import connection, transaction

from orders.models import Order, OrderItem, StatusChange, StatusMapping
from orders.services.config_cache import ConfigCache, config_unwritten_sql
from orders.services.outbox import deliveries_create_for_payment
from orders.services.search import order_search_values
from orders.services.shop_sync import order_back_sync_pending
from orders.services.statements import insert, row_and_flag_by
from orders.services.status import order_status_first_record, order_status_move

logger = logging.getLogger(__name__)

ITEM_FIELDS = ("title", "article", "price", "quantity", "total_price", "discount_marker", "url", "photo_url")


@dataclass(frozen=True)
class OrderReport:
    """An order as the shop reports it, in the hub's own field names (the shop's format is read at the edge).

    `values` are Order fields, `items` OrderItem fields in the shop's order, `links` the partner
    links the report carries (never cleared by a report without them), `raw` the body as it arrived.
    """

    shop_order_id: str
    shop_status_id: int
    values: dict[str, Any]
    items: list[dict[str, Any]]
    links: dict[str, Any]
    raw: dict[str, Any]
    # The shop announced the order as new (Horoshop's `order_created`): insert first, read only if it exists.
    announced_new: bool = False


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


# Read for every new order: kept in each process while PostgreSQL tells it of every change.
_mappings: ConfigCache[int, StatusMapping | None] = ConfigCache()


def status_mapping_for_shop_status(*, shop_status_id: int) -> StatusMapping:
    """The mapping of a shop status; an unknown id gets a placeholder that sends nothing until set up.

    The mapping may be the one instance this process keeps for every request: read it, never change it.
    """
    mapping = _mappings.get(shop_status_id, partial(_mapping_read, shop_status_id))
    if mapping is not None:
        return mapping
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


def _mapping_read(shop_status_id: int) -> tuple[StatusMapping | None, bool]:
    """The mapping, and whether it may be kept (a mapping that does not exist yet is not)."""
    return row_and_flag_by(StatusMapping, "shop_status_id", shop_status_id,
                           config_unwritten_sql(connection.vendor))


def _items(report: OrderReport) -> list[OrderItem]:
    return [OrderItem(position=position, **values) for position, values in enumerate(report.items)]


def _lock_or_create(
    *, shop_order_id: str, shop_status_id: int, values: dict[str, Any], announced_new: bool
) -> tuple[Order, bool]:
    """The order row, locked, creating it if new, with its first status. Concurrent first copies make one row.

    An order the shop announced as new is inserted without a read first (one statement where
    a read and an insert cost two); any other is read first, as it most likely exists.
    """
    # No select_related("status"): compiling the join costs every webhook more than reading the
    # status on the few that change it.
    locked = Order.objects.select_for_update()
    if not announced_new:
        order = locked.filter(shop_order_id=shop_order_id).first()
        if order is not None:
            return order, False
    order = Order(shop_order_id=shop_order_id, shop_status_id=shop_status_id,
                  status=status_mapping_for_shop_status(shop_status_id=shop_status_id), **values)
    # ON CONFLICT DO NOTHING: one statement where a savepoint around a plain INSERT costs three.
    if insert([order], ignore_conflicts=True):
        return order, True
    # It exists (a repeated announcement, or another request inserted it first; ours waited for theirs).
    existing = locked.filter(shop_order_id=shop_order_id).first()
    if existing is not None:
        return existing, False
    # Skipped for another reason (SQLite's INSERT OR IGNORE skips a NOT NULL or CHECK failure too):
    # a plain insert raises that error, named, instead of a puzzling "does not exist".
    with transaction.atomic():
        order.save(force_insert=True)
    return order, True


def order_upsert_from_shop(
    *, report: OrderReport, source: StatusChange.Source, confirm_status: bool = False
) -> IntakeResult:
    """Take an order as the shop reports it (webhook or poll).

    A new order is created with its items and its first status. The same payload again changes
    nothing. Otherwise changed fields are saved, and a `stat_status` different from what the
    shop said last time goes through the status service (only a change on the shop's side is a
    change, so a late or repeated report cannot move the order backwards). With `confirm_status`
    such a status is not applied but flagged `needs_confirmation`: the caller reads the order
    from the shop's API, the truth, and feeds that in. Links (`choco_user_id`, `imshop_uuid`) are
    only set when the payload carries them, never cleared by it.
    """
    shop_order_id, raw, status_id = report.shop_order_id, report.raw, report.shop_status_id
    fingerprint = payload_fingerprint(raw)
    values = dict(report.values)
    values |= order_search_values(name=values.get("delivery_name", ""), email=values.get("delivery_email", ""),
                                  phone=values.get("delivery_phone", ""))
    links = report.links
    # No savepoint of its own: any error here ends the caller's transaction too.
    with transaction.atomic(savepoint=False):
        order, created = _lock_or_create(
            shop_order_id=shop_order_id, announced_new=report.announced_new,
            shop_status_id=status_id, values={**values, **links, "raw_payload": raw, "payload_hash": fingerprint},
        )
        result = IntakeResult(order=order, created=created)
        if created:
            insert([_attach(item, order) for item in _items(report)])
        elif order.payload_hash == fingerprint and order.shop_status_id == status_id:
            # Nothing new. The status is compared too: a webhook's status waits for the shop's
            # API to confirm it, and the confirmation reads back this very body.
            return result
        else:
            result.changed_fields = _apply_changes(order, values={**values, **links}, report=report)
            order.raw_payload, order.payload_hash = raw, fingerprint
            fields = [name for name in result.changed_fields if name != "items"]
            order.save(update_fields=[*fields, "raw_payload", "payload_hash", "updated_at"])
        if created:
            result.status_change = order_status_first_record(order=order, source=source)
        elif order.shop_status_id != status_id:
            if confirm_status:
                result.needs_confirmation = True
            else:
                result.status_change = _shop_status_changed(
                    order=order, shop_status_id=status_id, source=source
                )
        if "payed" in result.changed_fields:
            deliveries_create_for_payment(order=order)  # `order` carries the status this intake gave it
    return result


def _attach(item: OrderItem, order: Order) -> OrderItem:
    item.order = order
    return item


def _apply_changes(order: Order, *, values: dict[str, Any], report: OrderReport) -> list[str]:
    changed = [name for name, value in values.items() if getattr(order, name) != value]
    for name in changed:
        setattr(order, name, values[name])
    new_items = _items(report)
    old = [tuple(getattr(i, f) for f in ITEM_FIELDS) for i in order.items.all()]
    if old != [tuple(getattr(i, f) for f in ITEM_FIELDS) for i in new_items]:
        order.items.all().delete()
        insert([_attach(item, order) for item in new_items])
        changed.append("items")
    return changed


def _shop_status_changed(*, order: Order, shop_status_id: int, source: StatusChange.Source) -> StatusChange | None:
    """The shop says the order is now `shop_status_id`: record it and move the order there.

    Not while a change the hub made is still on its way to the shop: that back-sync will
    overwrite the shop's status, so the shop's is noted on the order and not applied.
    """
    if order.status_id is not None and order_back_sync_pending(order_id=order.pk):
        note = (f"The shop reported status {shop_status_id} while the hub's change to "
                f"{order.status.shop_status_id if order.status else '?'} was still being written back to it.")
        Order.objects.filter(pk=order.pk).update(out_of_step_note=note)
        logger.warning("Order %s: %s", order.shop_order_id, note, extra={"order": order.shop_order_id})
        return None
    if order.shop_status_id != shop_status_id:
        order.shop_status_id = shop_status_id
        order.save(update_fields=["shop_status_id", "updated_at"])
    mapping = status_mapping_for_shop_status(shop_status_id=shop_status_id)
    return order_status_move(order=order, to_status=mapping, source=source)
