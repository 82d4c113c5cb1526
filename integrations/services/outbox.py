"""Outbound deliveries: which channels hear of a status change, and putting them on the queue."""

from __future__ import annotations

import logging
from collections.abc import Callable, Iterable
from functools import partial

from django.conf import settings
from django.db import transaction
from django.utils import timezone

from hub.observability import request_id_get
from hub.publishing import broker_publish
from integrations.choco.payloads import build_status_payload as choco_payload
from integrations.horoshop.payloads import build_status_update_payload as horoshop_payload
from integrations.imshop.payloads import build_status_payload as imshop_payload
from integrations.models import Channel, Delivery
from orders.models import Order, StatusChange, StatusMapping

logger = logging.getLogger(__name__)


def channel_is_configured(channel: str) -> bool:
    """Whether the hub has what it needs to talk to this partner at all."""
    if channel == Channel.CHOCO:
        return bool(settings.CHOCO_CLIENT_ID and settings.CHOCO_CLIENT_SECRET)
    if channel == Channel.IMSHOP:
        return bool(settings.IMSHOP_STATUS_URL)
    return bool(settings.HOROSHOP_API_URL and settings.HOROSHOP_LOGIN and settings.HOROSHOP_PASSWORD)


def channels_for_change(*, order: Order, mapping: StatusMapping, source: str) -> list[str]:
    """The channels that must hear of `order` reaching `mapping`, given where the change came from."""
    channels = []
    if mapping.choco_enabled and order.choco_user_id:
        channels.append(Channel.CHOCO)
    if mapping.imshop_enabled and (order.imshop_uuid or settings.IMSHOP_SYNC_ALL_ORDERS):
        channels.append(Channel.IMSHOP)
    # A change the shop told us about is never echoed back to it.
    if mapping.shop_enabled and source not in StatusChange.SHOP_SOURCES:
        channels.append(Channel.SHOP)
    return [c for c in channels if not mapping.needs_setup and channel_is_configured(c)]


def build_payload(
    *, channel: str, order: Order, mapping: StatusMapping, reason: str = "", payment_changed: bool = False
) -> dict:
    if channel == Channel.CHOCO:
        return choco_payload(
            order=order, mapping=mapping, now=timezone.now(), version=settings.CHOCO_PAYLOAD_VERSION,
            tz=settings.CHOCO_TIMEZONE, reason=reason,
        )
    if channel == Channel.IMSHOP:
        return imshop_payload(order=order, mapping=mapping, payment_changed=payment_changed)
    return horoshop_payload(order=order, mapping=mapping)


def _pending_supersede(*, order: Order, channel: str, why: str) -> bool:
    """Mark the order's unsent deliveries on `channel` superseded; whether one of them told of a payment."""
    pending = Delivery.objects.filter(order=order, channel=channel, state=Delivery.State.PENDING)
    carried_payment = channel == Channel.IMSHOP and pending.filter(payload__has_key="payment").exists()
    pending.update(state=Delivery.State.SUPERSEDED, last_error=why, updated_at=timezone.now())
    return carried_payment


def _delivery_create(
    *, order: Order, change: StatusChange, channel: str, mapping: StatusMapping, payment_changed: bool,
    for_payment: bool = False,
) -> Delivery:
    now = timezone.now()
    delivery = Delivery.objects.create(
        order=order, status_change=change, channel=channel, next_attempt_at=now, enqueued_at=now,
        request_id=request_id_get(), for_payment=for_payment,
        payload=build_payload(channel=channel, order=order, mapping=mapping, reason=change.reason,
                              payment_changed=payment_changed),
    )
    transaction.on_commit(partial(delivery_enqueue, delivery.pk))
    return delivery


def deliveries_create_for_change(
    *, change: StatusChange, order: Order, mapping: StatusMapping, skip_channels: Iterable[str] = ()
) -> list[Delivery]:
    """One delivery per channel that must hear of `change`, queued after commit.

    Call inside the status change's transaction. Older deliveries of the same order and channel
    that have not been sent yet are superseded: only the newest status goes out (a payment the
    superseded one told of is told by its replacement).
    """
    skip = set(skip_channels)
    created = []
    for channel in channels_for_change(order=order, mapping=mapping, source=change.source):
        if channel in skip:
            continue
        payment = False
        if change.from_status_id is not None:  # an order's first status has nothing to replace
            payment = _pending_supersede(order=order, channel=channel, why="A newer status replaced this one.")
        created.append(_delivery_create(order=order, change=change, channel=channel, mapping=mapping,
                                        payment_changed=payment))
    return created


def deliveries_create_for_payment(*, order: Order) -> list[Delivery]:
    """The order's payment changed: Imshop hears of it, with the current status and a `payment` block.

    Call inside the intake's transaction, after any status change it made. Imshop's documents
    ask for `payment` only when the payment status changed; no other partner shows payment.
    """
    mapping = order.status
    change = order.status_changes.order_by("-created_at", "-id").first()
    if mapping is None or change is None:
        return []
    if Channel.IMSHOP not in channels_for_change(order=order, mapping=mapping, source=StatusChange.Source.SHOP_WEBHOOK):
        return []
    _pending_supersede(order=order, channel=Channel.IMSHOP, why="Replaced by the same status with the payment.")
    return [_delivery_create(order=order, change=change, channel=Channel.IMSHOP, mapping=mapping,
                             payment_changed=True, for_payment=True)]


def _queue_or_leave_to_sweeper(send: Callable[[], object], delivery_ids: list[int]) -> None:
    """Run `send` (a task's .delay); if the broker is down, the rows go back to the sweeper."""
    if not broker_publish(send, what=f"deliveries {delivery_ids[:10]}"):
        Delivery.objects.filter(pk__in=delivery_ids, state=Delivery.State.PENDING).update(enqueued_at=None)


def delivery_enqueue(delivery_id: int) -> None:
    """Put a send task on the queue. A broker that is down is not an error: the sweeper retries."""
    from integrations.tasks import delivery_send_task

    _queue_or_leave_to_sweeper(partial(delivery_send_task.delay, delivery_id), [delivery_id])


def deliveries_enqueue_batch(delivery_ids: list[int]) -> None:
    """Put one task on the queue that sends these deliveries in turn; the sweeper retries if the broker is down."""
    from integrations.tasks import deliveries_send_batch_task

    ids = list(delivery_ids)
    _queue_or_leave_to_sweeper(partial(deliveries_send_batch_task.delay, ids), ids)


def deliveries_resend(*, delivery_ids: Iterable[int]) -> tuple[int, int]:
    """Send these deliveries' payloads again as new deliveries. Returns (resent, skipped).

    A delivery whose order has moved on to a newer status is skipped: resending it would put an
    old status over the new one.
    """
    resent = skipped = 0
    for original in Delivery.objects.filter(pk__in=list(delivery_ids)).select_related("status_change"):
        with transaction.atomic():
            latest = StatusChange.objects.filter(order_id=original.order_id).order_by("-created_at", "-id").first()
            if latest is not None and latest.pk != original.status_change_id:
                skipped += 1
                continue
            now = timezone.now()
            Delivery.objects.filter(
                order_id=original.order_id, channel=original.channel, state=Delivery.State.PENDING
            ).update(state=Delivery.State.SUPERSEDED, last_error="Replaced by a resend.", updated_at=now)
            copy = Delivery.objects.create(
                order_id=original.order_id, status_change_id=original.status_change_id, channel=original.channel,
                payload=original.payload, next_attempt_at=now, enqueued_at=now, resend_of=original,
                request_id=request_id_get(),
            )
            transaction.on_commit(partial(delivery_enqueue, copy.pk))
            resent += 1
    return resent, skipped
