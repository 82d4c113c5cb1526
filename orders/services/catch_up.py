"""Orders that reached a status while it sent nothing: told once a manager sets the status up.

A status the shop uses before anyone mapped it gets a placeholder mapping (`needs_setup`), which
sends nothing. When a manager sets it up, the partners that now hear of it are told of every order
still in it, as if the change had happened now; a channel told already is not told again.
"""

from __future__ import annotations

from functools import partial

from django.db import transaction

from hub.publishing import task_publish
from orders.models import Delivery, Order, StatusChange, StatusMapping
from orders.services.outbox import deliveries_create_for_change, deliveries_enqueue_batch

# The task (orders/tasks.py) that runs `status_catch_up`, by name: it imports this module.
STATUS_CATCH_UP_TASK = "orders.status_catch_up"
# Orders locked and told per transaction.
CATCH_UP_CHUNK = 200


def status_catch_up_queue(*, mapping: StatusMapping) -> int:
    """After the caller's transaction commits, queue the telling of the orders in `mapping`'s status.

    Returns how many orders are in it now. A broker that is down does not lose it: it runs at once.
    """
    waiting = Order.objects.filter(status=mapping).count()
    if waiting:
        transaction.on_commit(partial(_publish_or_run, mapping.pk))
    return waiting


def _publish_or_run(mapping_id: int) -> None:
    if not task_publish(STATUS_CATCH_UP_TASK, mapping_id, what=f"the orders of status mapping {mapping_id}"):
        status_catch_up(mapping_id=mapping_id)


def status_catch_up(*, mapping_id: int) -> int:
    """Tell every partner that must hear of it of each order in this status. Returns the deliveries made.

    Safe to run twice: a channel that has a delivery for the order's change into the status is
    skipped. An order that moved on in the meantime is left alone (its newer status was sent).
    """
    mapping = StatusMapping.objects.filter(pk=mapping_id).first()
    if mapping is None or mapping.needs_setup:
        return 0
    created, after = 0, 0
    while True:
        with transaction.atomic():
            orders = list(Order.objects.select_for_update().filter(status=mapping, pk__gt=after)
                          .order_by("pk")[:CATCH_UP_CHUNK])
            if not orders:
                return created
            after = orders[-1].pk
            created += _orders_tell(orders, mapping)


def _orders_tell(orders: list[Order], mapping: StatusMapping) -> int:
    latest: dict[int, StatusChange] = {}
    for change in StatusChange.objects.filter(order__in=orders).order_by("order_id", "-created_at", "-id"):
        latest.setdefault(change.order_id, change)
    told: dict[int, set[str]] = {}
    for change_id, channel in Delivery.objects.filter(
            status_change__in=[change.pk for change in latest.values()], for_payment=False,
            resend_of__isnull=True).values_list("status_change_id", "channel"):
        told.setdefault(change_id, set()).add(channel)
    created: list[int] = []
    for order in orders:
        newest = latest.get(order.pk)
        if newest is None or newest.to_status_id != mapping.pk:
            continue
        order.status = mapping
        created += [delivery.pk for delivery in deliveries_create_for_change(
            change=newest, order=order, mapping=mapping, skip_channels=told.get(newest.pk, set()), enqueue=False)]
    if created:  # one task for the chunk's deliveries, once they are committed
        transaction.on_commit(partial(deliveries_enqueue_batch, created))
    return len(created)
