"""Reads of orders and mappings. Nothing here writes."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime

from django.db.models import Exists, OuterRef, Prefetch, QuerySet

from orders.errors import NotFoundError, StatusUnknownError
from orders.models import ChannelSwitch, Delivery, Order, StatusChange, StatusMapping, order_number_canonical


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


def deliveries_open_failures() -> QuerySet[Delivery]:
    """Failed deliveries that are still the newest for their order and partner.

    A failure that was resent, or overtaken by a newer status, is no longer one: a newer row exists.
    """
    newer = Delivery.objects.filter(order_id=OuterRef("order_id"), channel=OuterRef("channel"), pk__gt=OuterRef("pk"))
    return Delivery.objects.filter(state=Delivery.State.FAILED).exclude(Exists(newer))


def order_has_open_failure() -> Exists:
    """For filtering orders: one of its partners' newest delivery failed."""
    return Exists(deliveries_open_failures().filter(order_id=OuterRef("pk")))


@dataclass(frozen=True)
class PartnerState:
    """One partner's side of an order: its newest delivery and whether the channel is paused."""

    channel: str
    label: str
    delivery: Delivery
    paused_since: datetime | None


def order_partner_states(*, order_id: int) -> list[PartnerState]:
    """Each partner's newest delivery for one order, with the channel's pause (two queries)."""
    paused = dict(ChannelSwitch.objects.filter(paused=True).values_list("channel", "changed_at"))
    return [PartnerState(channel=d.channel, label=d.channel_label, delivery=d,
                         paused_since=paused.get(d.channel))
            for d in delivery_latest_per_channel(order_id=order_id)]


def delivery_latest_per_channel(*, order_id: int) -> list[Delivery]:
    """The newest delivery of each channel for one order (one query)."""
    latest: dict[str, Delivery] = {}
    for delivery in Delivery.objects.filter(order_id=order_id).order_by("-created_at", "-id"):
        latest.setdefault(delivery.channel, delivery)
    return sorted(latest.values(), key=lambda d: d.channel)
