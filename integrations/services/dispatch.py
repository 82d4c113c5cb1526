"""Sending deliveries: claim, send, record the attempt, and schedule the next try."""

from __future__ import annotations

import logging
import random
import time
from dataclasses import dataclass
from datetime import datetime, timedelta

from django.conf import settings
from django.db import transaction
from django.db.models import Exists, F, OuterRef
from django.utils import timezone

from hub.observability import request_id_bound
from integrations.choco.client import choco_client_from_settings
from integrations.choco.payloads import payload_expiry_renewed
from integrations.exceptions import Exchange, PartnerError, PartnerNotConfiguredError, PartnerRejectedError
from integrations.horoshop.client import horoshop_client_from_settings
from integrations.imshop.client import imshop_client_from_settings
from integrations.models import Channel, ChannelSwitch, Delivery, DeliveryAttempt
from integrations.tokens import DatabaseTokenStore

logger = logging.getLogger(__name__)

# While another delivery of the same order and channel is in flight, wait this long and look again.
IN_FLIGHT_WAIT_SECONDS = 5


@dataclass(frozen=True)
class AttemptResult:
    outcome: DeliveryAttempt.Outcome
    exchange: Exchange | None
    error: PartnerError | Exception | None = None


def retry_delay(*, attempt: int, error: BaseException | None) -> float | None:
    """Seconds before try `attempt + 1`, or None when the schedule is spent.

    The schedule comes from DELIVERY_RETRY_SCHEDULE with ±jitter. An overloaded partner (time-out,
    429) is not asked again sooner than DELIVERY_OVERLOAD_FLOOR, and a Retry-After is honoured up
    to DELIVERY_RETRY_AFTER_CAP.
    """
    schedule = settings.DELIVERY_RETRY_SCHEDULE
    if attempt > len(schedule):
        return None
    jitter = settings.DELIVERY_RETRY_JITTER
    delay = schedule[attempt - 1] * random.uniform(1 - jitter, 1 + jitter)
    if getattr(error, "overloaded", False):
        delay = max(delay, settings.DELIVERY_OVERLOAD_FLOOR)
    retry_after = getattr(error, "retry_after", None)
    if retry_after:
        delay = max(delay, min(retry_after, settings.DELIVERY_RETRY_AFTER_CAP))
    return delay


def _lease_seconds() -> float:
    # Long enough for the slowest send (a token fetch and the request, each with full time-outs).
    return 2 * (settings.PARTNER_CONNECT_TIMEOUT + settings.PARTNER_READ_TIMEOUT) + 30


def _claim_view(delivery_id: int, now: datetime) -> Delivery | None:
    """The delivery with what stands in its way, read in one query."""
    siblings = Delivery.objects.filter(order_id=OuterRef("order_id"), channel=OuterRef("channel")).exclude(
        pk=OuterRef("pk"))
    return (
        Delivery.objects.filter(pk=delivery_id)
        .annotate(
            paused=Exists(ChannelSwitch.objects.filter(channel=OuterRef("channel"), paused=True)),
            newer_delivered=Exists(siblings.filter(pk__gt=OuterRef("pk"), state=Delivery.State.DELIVERED)),
            in_flight=Exists(siblings.filter(state=Delivery.State.SENDING, lease_until__gt=now)),
            older_pending=Exists(siblings.filter(pk__lt=OuterRef("pk"), state=Delivery.State.PENDING)),
            choco_minutes=F("status_change__to_status__choco_expires_in_minutes"),
        )
        .first()
    )


def _delivery_claim(delivery_id: int) -> Delivery | None:
    """Mark the delivery SENDING if it is due and nothing stands in its way; None otherwise.

    One read and one conditional update: of two workers racing for the row, only the one whose
    update finds it still PENDING sends it.
    """
    now = timezone.now()
    delivery = _claim_view(delivery_id, now)
    if delivery is None or delivery.state != Delivery.State.PENDING:
        return None
    if delivery.next_attempt_at and delivery.next_attempt_at > now + timedelta(seconds=1):
        return None  # not due yet; the sweeper queues it when it is
    pending = Delivery.objects.filter(pk=delivery.pk, state=Delivery.State.PENDING)
    if delivery.paused:
        pending.update(enqueued_at=None)  # the sweeper takes it once the channel is resumed
        return None
    if delivery.newer_delivered:
        pending.update(state=Delivery.State.SUPERSEDED, last_error="A newer status was already delivered.",
                       updated_at=now)
        return None
    if delivery.in_flight:
        pending.update(next_attempt_at=now + timedelta(seconds=IN_FLIGHT_WAIT_SECONDS), enqueued_at=None,
                       updated_at=now)
        return None
    lease_until = now + timedelta(seconds=_lease_seconds())
    if not pending.update(state=Delivery.State.SENDING, attempts=F("attempts") + 1, lease_until=lease_until,
                          updated_at=now):
        return None  # another worker claimed it first
    delivery.state, delivery.attempts, delivery.lease_until = Delivery.State.SENDING, delivery.attempts + 1, lease_until
    return delivery


def _channel_send(delivery: Delivery) -> Exchange:
    token_store = DatabaseTokenStore()
    if delivery.channel == Channel.CHOCO:
        client = choco_client_from_settings(token_store=token_store)
    elif delivery.channel == Channel.IMSHOP:
        client = imshop_client_from_settings()
    else:
        client = horoshop_client_from_settings(token_store=token_store)
    if client is None:
        raise PartnerNotConfiguredError(f"The {delivery.get_channel_display()} channel is not configured.")
    if delivery.channel == Channel.SHOP:
        return client.update_orders(delivery.payload)
    if delivery.channel == Channel.CHOCO and delivery.choco_minutes:
        # The card's validity runs from when it is sent, not from when the status changed.
        return client.send_status(payload_expiry_renewed(
            delivery.payload, now=timezone.now(), minutes=delivery.choco_minutes, tz=settings.CHOCO_TIMEZONE))
    return client.send_status(delivery.payload)


def _attempt(delivery: Delivery) -> AttemptResult:
    try:
        return AttemptResult(DeliveryAttempt.Outcome.DELIVERED, _channel_send(delivery))
    except PartnerRejectedError as exc:
        return AttemptResult(DeliveryAttempt.Outcome.REJECTED, exc.exchange, exc)
    except PartnerError as exc:
        return AttemptResult(DeliveryAttempt.Outcome.RETRY, exc.exchange, exc)
    except Exception as exc:  # noqa: BLE001 - a bug must not leave the row SENDING; record and retry
        logger.exception("Unexpected error sending delivery %s", delivery.pk, extra={"delivery": delivery.pk})
        return AttemptResult(DeliveryAttempt.Outcome.RETRY, None, exc)


def delivery_send(*, delivery_id: int, task_id: str = "") -> Delivery | None:
    """Send one delivery if it is due. Safe to call twice: only one caller claims the row.

    The attempt is recorded; then the delivery is DELIVERED, FAILED (refused, or schedule spent)
    or PENDING with `next_attempt_at` set for the sweeper. Returns the delivery, or None when
    there was nothing to send.
    """
    delivery = _delivery_claim(delivery_id)
    if delivery is None:
        return None
    with request_id_bound(delivery.request_id):
        started = timezone.now()
        result = _attempt(delivery)
        _delivery_record(delivery, result=result, started=started, task_id=task_id)
    return delivery


def _error_text(error: BaseException | None) -> str:
    if error is None:
        return ""
    return getattr(error, "message", None) or str(error) or error.__class__.__name__


def _delivery_record(delivery: Delivery, *, result: AttemptResult, started, task_id: str) -> None:
    exchange, error = result.exchange, result.error
    outcome = result.outcome
    now = timezone.now()
    update: dict = {"lease_until": None, "updated_at": now, "last_error": _error_text(error)}
    if outcome == DeliveryAttempt.Outcome.DELIVERED:
        update.update(state=Delivery.State.DELIVERED, delivered_at=now, next_attempt_at=None)
    elif outcome == DeliveryAttempt.Outcome.REJECTED:
        update.update(state=Delivery.State.FAILED, next_attempt_at=None)
    else:
        delay = retry_delay(attempt=delivery.attempts, error=error)
        if delay is None:
            outcome = DeliveryAttempt.Outcome.REJECTED
            update.update(
                state=Delivery.State.FAILED, next_attempt_at=None,
                last_error=f"Gave up after {delivery.attempts} attempts: {update['last_error']}",
            )
        else:
            next_at = now + timedelta(seconds=delay)
            update.update(state=Delivery.State.PENDING, next_attempt_at=next_at, enqueued_at=None)
    with transaction.atomic():
        DeliveryAttempt.objects.create(
            delivery=delivery, number=delivery.attempts, task_id=task_id or "", started_at=started,
            duration_ms=exchange.duration_ms if exchange else int((now - started).total_seconds() * 1000),
            outcome=outcome,
            request_method=exchange.method if exchange else "", request_url=exchange.url if exchange else "",
            request_headers=exchange.request_headers if exchange else {},
            request_body=exchange.request_body if exchange else "",
            response_status=exchange.response_status if exchange else None,
            response_body=exchange.response_body if exchange else "",
            error_class=error.__class__.__name__ if error else "", error=_error_text(error),
        )
        Delivery.objects.filter(pk=delivery.pk, state=Delivery.State.SENDING).update(**update)
        if delivery.channel == Channel.SHOP:
            _shop_back_sync_outcome(delivery, update)
        if update["state"] == Delivery.State.DELIVERED and delivery.older_pending:
            Delivery.objects.filter(
                order_id=delivery.order_id, channel=delivery.channel, pk__lt=delivery.pk, state=Delivery.State.PENDING
            ).update(state=Delivery.State.SUPERSEDED, last_error="A newer status was delivered.", updated_at=now)
    log = logger.info if outcome == DeliveryAttempt.Outcome.DELIVERED else logger.warning
    log("Delivery %s to %s attempt %s: %s %s", delivery.pk, delivery.channel, delivery.attempts, outcome,
        _error_text(error), extra={"delivery": delivery.pk, "order": delivery.order_id, "channel": delivery.channel})


def _shop_back_sync_outcome(delivery: Delivery, update: dict) -> None:
    """Keep the order's idea of the shop's status true once the shop heard (or never will)."""
    from orders.services.intake import order_flag_out_of_step, order_shop_status_synced

    if update["state"] == Delivery.State.DELIVERED:
        for entry in delivery.payload.get("orders", []):
            order_shop_status_synced(order_id=delivery.order_id, shop_status_id=int(entry["status"]))
    elif update["state"] == Delivery.State.FAILED:
        order_flag_out_of_step(
            order_id=delivery.order_id,
            note=f"The shop was not told of the hub's status change: {update['last_error']}",
        )


def deliveries_send(*, delivery_ids: list[int], task_id: str = "", budget_seconds: float | None = None) -> list[int]:
    """Send these deliveries one after another, each claimed on its own (so a repeat is harmless).

    Stops taking new ones once `budget_seconds` have passed (a slow partner must not push the task
    past its time limit) and returns the ids it did not reach, for the caller to queue again.
    """
    budget = settings.DELIVERY_BATCH_BUDGET if budget_seconds is None else budget_seconds
    deadline = time.monotonic() + budget
    for index, delivery_id in enumerate(delivery_ids):
        if index and time.monotonic() > deadline:
            return list(delivery_ids[index:])
        delivery_send(delivery_id=delivery_id, task_id=task_id)
    return []
