"""The sweeper: the database holds the delivery schedule, and this puts due rows on the queue."""

from __future__ import annotations

import logging
from datetime import timedelta
from functools import partial

from django.conf import settings
from django.db import transaction
from django.utils import timezone

from orders.models import ChannelSwitch, Delivery, DeliveryAttempt
from orders.services.outbox import deliveries_enqueue_batch

logger = logging.getLogger(__name__)


def deliveries_sweep(*, now=None, requeue_announced_before=None) -> int:
    """Queue every due delivery that has no live task. Returns how many were queued.

    Recovers what a crash leaves behind: a SENDING row whose worker died (lease over) goes back to
    PENDING; a PENDING row queued long ago whose task never ran (lost by the broker) is queued
    again. Rows of paused channels wait. Running it twice at once queues a row at most twice,
    and a duplicate task sends nothing.

    `requeue_announced_before` (the wake-up relay taking over) queues again every row queued or
    announced before then, instead of only those queued DELIVERY_REQUEUE_AFTER ago.
    """
    now = now or timezone.now()
    lost = Delivery.objects.filter(state=Delivery.State.SENDING, lease_until__lt=now)
    with transaction.atomic():
        # Their open attempts say so: the partner may or may not have received the request.
        DeliveryAttempt.objects.filter(delivery__in=lost, outcome=DeliveryAttempt.Outcome.SENDING).update(
            outcome=DeliveryAttempt.Outcome.INTERRUPTED,
            error="The worker stopped before the answer was recorded; the partner may have received it.",
        )
        lost.update(
            state=Delivery.State.PENDING, next_attempt_at=now, enqueued_at=None, lease_until=None,
            last_error="The worker sending this stopped before it finished; sending again.", updated_at=now,
        )
    stale = requeue_announced_before or now - timedelta(seconds=settings.DELIVERY_REQUEUE_AFTER)
    paused = list(ChannelSwitch.objects.filter(paused=True).values_list("channel", flat=True))
    with transaction.atomic():
        due = (
            Delivery.objects.select_for_update(skip_locked=True)
            .filter(state=Delivery.State.PENDING, next_attempt_at__lte=now)
            .exclude(channel__in=paused)
            .exclude(enqueued_at__gt=stale)
            .order_by("next_attempt_at", "id")
            .values_list("pk", flat=True)[: settings.DELIVERY_SWEEP_BATCH]
        )
        ids = list(due)
        if ids:
            Delivery.objects.filter(pk__in=ids).update(enqueued_at=now)
            # Swept rows go out in batches: one task per batch, not per row (the per-task cost of the
            # broker dominates a fast partner's answer).
            size = settings.DELIVERY_SEND_BATCH
            for start in range(0, len(ids), size):
                transaction.on_commit(partial(deliveries_enqueue_batch, ids[start:start + size]))
    if ids:
        logger.info("Sweeper queued %s deliveries", len(ids))
    return len(ids)
