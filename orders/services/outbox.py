"""Outbound deliveries: which partners hear of a status change, and putting them on the queue.

The outbox asks every registered partner (orders.partners) and never branches on a partner's
name. Deliveries are rows written in the status change's transaction (a transactional outbox),
queued only after it commits; the database, not the broker, holds their schedule.
"""

from __future__ import annotations

import logging
from collections.abc import Iterable
from functools import partial

from django.db import transaction
from django.utils import timezone

from hub.observability import request_id_get
from hub.publishing import task_publish
from orders.models import Delivery, Order, StatusChange, StatusMapping
from orders.partners import Partner, partners
from orders.services.statements import insert
from orders.services.wakeups import WAKEUP_CHANNEL, deliveries_announce, wakeup_by_notify

logger = logging.getLogger(__name__)

# The tasks (orders/tasks.py) this module queues, by name: they import the services they call.
DELIVERY_SEND_TASK = "integrations.delivery_send"
DELIVERIES_SEND_BATCH_TASK = "integrations.deliveries_send_batch"


def destinations_for_change(*, order: Order, mapping: StatusMapping, source: str) -> list[tuple[Partner, str]]:
    """(partner, channel) for every channel that must hear of `order` reaching `mapping` from `source`."""
    if mapping.needs_setup:
        return []
    return [(partner, channel) for partner in partners.all() if partner.is_configured()
            for channel in partner.channels_for(order=order, mapping=mapping, source=source)]


def deliveries_supersede_pending(*, order_id: int, channel: str, why: str, older_than: int | None = None) -> int:
    """Mark the order's unsent deliveries on `channel` superseded (only those before `older_than`, if given)."""
    pending = Delivery.objects.filter(order_id=order_id, channel=channel, state=Delivery.State.PENDING)
    if older_than is not None:
        pending = pending.filter(pk__lt=older_than)
    return pending.update(state=Delivery.State.SUPERSEDED, last_error=why, updated_at=timezone.now())


def _pending_told_payment(*, partner: Partner, order: Order, channel: str) -> bool:
    """Whether an unsent delivery about to be superseded told of a payment (its replacement must too)."""
    return partner.tells_payment and Delivery.objects.filter(
        order=order, channel=channel, state=Delivery.State.PENDING, payload__has_key="payment").exists()


def _delivery_build(
    *, partner: Partner, channel: str, order: Order, change: StatusChange, mapping: StatusMapping,
    payment_changed: bool, for_payment: bool = False,
) -> Delivery:
    now = timezone.now()
    return Delivery(
        order=order, status_change=change, channel=channel, next_attempt_at=now, enqueued_at=now,
        request_id=request_id_get(), for_payment=for_payment,
        payload=partner.payload_build(channel=channel, order=order, mapping=mapping, change=change,
                                      payment_changed=payment_changed),
    )


def _deliveries_save(deliveries: list[Delivery], *, enqueue: bool) -> list[Delivery]:
    """INSERT these new deliveries in one statement and, with `enqueue`, have them queued once it commits.

    With DELIVERY_WAKEUP = "notify" the INSERT itself names them in its pg_notify (no statement of
    its own); otherwise this process queues their task after commit.
    """
    if not deliveries:
        return deliveries
    announce = enqueue and wakeup_by_notify()
    insert(deliveries, notify=WAKEUP_CHANNEL if announce else None)
    if enqueue and not announce:
        _enqueue_on_commit(deliveries)
    return deliveries


def _enqueue_on_commit(deliveries: list[Delivery]) -> None:
    """Once the transaction commits, one task for these deliveries (a task costs a worker more than a row).

    With DELIVERY_WAKEUP = "notify" the listening worker queues it (orders/services/wakeups.py);
    otherwise this process does, after commit.
    """
    ids = [delivery.pk for delivery in deliveries]
    if not ids:
        return
    if wakeup_by_notify():
        deliveries_announce(ids)
    else:
        transaction.on_commit(partial(deliveries_enqueue, ids))


def deliveries_create_for_change(
    *, change: StatusChange, order: Order, mapping: StatusMapping, skip_channels: Iterable[str] = (),
    enqueue: bool = True,
) -> list[Delivery]:
    """One delivery per channel that must hear of `change`, queued after commit (unless `enqueue` is
    False: the caller queues them, with others).

    Call inside the status change's transaction. Older deliveries of the same order and channel
    that have not been sent yet are superseded: only the newest status goes out (a payment the
    superseded one told of is told by its replacement).
    """
    skip = set(skip_channels)
    created = []
    for partner, channel in destinations_for_change(order=order, mapping=mapping, source=change.source):
        if channel in skip:
            continue
        payment = False
        if change.from_status_id is not None:  # an order's first status has nothing to replace
            payment = _pending_told_payment(partner=partner, order=order, channel=channel)
            deliveries_supersede_pending(order_id=order.pk, channel=channel, why="A newer status replaced this one.")
        created.append(_delivery_build(partner=partner, channel=channel, order=order, change=change,
                                       mapping=mapping, payment_changed=payment))
    return _deliveries_save(created, enqueue=enqueue)


def deliveries_create_for_payment(*, order: Order) -> list[Delivery]:
    """The order's payment changed: partners that show payment hear of it, with the current status.

    Call inside the intake's transaction, after any status change it made.
    """
    mapping = order.status
    change = order.status_changes.order_by("-created_at", "-id").first()
    if mapping is None or change is None:
        return []
    created = []
    told = destinations_for_change(order=order, mapping=mapping, source=StatusChange.Source.SHOP_WEBHOOK)
    for partner, channel in told:
        if not partner.tells_payment:
            continue
        deliveries_supersede_pending(order_id=order.pk, channel=channel,
                                     why="Replaced by the same status with the payment.")
        created.append(_delivery_build(partner=partner, channel=channel, order=order, change=change,
                                       mapping=mapping, payment_changed=True, for_payment=True))
    return _deliveries_save(created, enqueue=True)


def _queue_or_leave_to_sweeper(task: str, argument: int | list[int], delivery_ids: list[int]) -> None:
    """Queue `task`; if the broker is down, the rows go back to the sweeper."""
    if not task_publish(task, argument, what=f"deliveries {delivery_ids[:10]}"):
        Delivery.objects.filter(pk__in=delivery_ids, state=Delivery.State.PENDING).update(enqueued_at=None)


def deliveries_enqueue(delivery_ids: list[int]) -> None:
    """Put one send task for these deliveries on the queue.

    A broker that is down is not an error: the sweeper retries.
    """
    ids = list(delivery_ids)
    if len(ids) == 1:
        _queue_or_leave_to_sweeper(DELIVERY_SEND_TASK, ids[0], ids)
    else:
        _queue_or_leave_to_sweeper(DELIVERIES_SEND_BATCH_TASK, ids, ids)


def deliveries_enqueue_batch(delivery_ids: list[int]) -> None:
    """Put one task on the queue that sends these deliveries in turn; the sweeper retries if the broker is down."""
    ids = list(delivery_ids)
    _queue_or_leave_to_sweeper(DELIVERIES_SEND_BATCH_TASK, ids, ids)


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
            deliveries_supersede_pending(order_id=original.order_id, channel=original.channel,
                                         why="Replaced by a resend.")
            copy = Delivery.objects.create(
                order_id=original.order_id, status_change_id=original.status_change_id, channel=original.channel,
                payload=original.payload, next_attempt_at=now, enqueued_at=now, resend_of=original,
                request_id=request_id_get(),
            )
            _enqueue_on_commit([copy])
            resent += 1
    return resent, skipped
