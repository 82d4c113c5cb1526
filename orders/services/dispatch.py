"""Sending deliveries: claim, send, record the attempt, and schedule the next try."""

from __future__ import annotations

import logging
import random
import time
from dataclasses import dataclass
from datetime import datetime, timedelta

from django.conf import settings
from django.db import transaction
from django.utils import timezone

from hub.observability import delivery_bound, request_id_bound
from orders.models import Delivery, DeliveryAttempt
from orders.partner_errors import Exchange, PartnerError, PartnerNotConfiguredError, PartnerRejectedError
from orders.partners import partners
from orders.services.claims import ClaimedDelivery, deliveries_claim
from orders.services.outbox import deliveries_supersede_pending

logger = logging.getLogger(__name__)

# The first chunk of a batch is small (the partner's speed is not known yet); later ones follow it.
FIRST_CHUNK = 4
ATTEMPT_RESULT_FIELDS = [
    "outcome", "started_at", "duration_ms", "request_method", "request_url", "request_headers", "request_body",
    "response_status", "response_body", "error_class", "error",
]


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


def _channel_send(delivery: Delivery) -> Exchange:
    partner = partners.for_channel(delivery.channel)
    if partner is None:
        raise PartnerNotConfiguredError(f"No partner is registered for the channel {delivery.channel!r}.")
    return partner.send(delivery)


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


def _error_text(error: BaseException | None) -> str:
    if error is None:
        return ""
    return getattr(error, "message", None) or str(error) or error.__class__.__name__


def delivery_send(*, delivery_id: int, task_id: str = "") -> Delivery | None:
    """Send one delivery if it is due. Safe to call twice: only one caller claims the row.

    Returns the delivery as claimed, or None when there was nothing to send.
    """
    claimed = _chunk_send([delivery_id], task_id=task_id)
    return claimed[0] if claimed else None


def deliveries_send(*, delivery_ids: list[int], task_id: str = "", budget_seconds: float | None = None) -> list[int]:
    """Send these deliveries, claimed a chunk at a time (one statement each), so a repeat is harmless.

    The first chunk is small; later ones are sized from how fast the partner answered, so a
    slow partner cannot push the task past its time limit and a fast one is sent in large
    chunks. Stops taking new chunks once `budget_seconds` have passed and returns the ids it
    did not reach, for the caller to queue again.
    """
    budget = settings.DELIVERY_BATCH_BUDGET if budget_seconds is None else budget_seconds
    started = time.monotonic()
    ids = list(dict.fromkeys(delivery_ids))
    size, position = FIRST_CHUNK, 0
    while position < len(ids):
        if position and time.monotonic() - started > budget:
            return ids[position:]
        chunk_started = time.monotonic()
        chunk = ids[position:position + size]
        position += len(chunk)
        sent = _chunk_send(chunk, task_id=task_id)
        per_delivery = (time.monotonic() - chunk_started) / max(1, len(sent))
        left = max(0.0, budget - (time.monotonic() - started))
        size = max(1, min(settings.DELIVERY_CLAIM_MAX, int(left / (2 * per_delivery)) if per_delivery else 10**6))
    return []


def _chunk_send(delivery_ids: list[int], *, task_id: str) -> list[ClaimedDelivery]:
    """Claim these deliveries, open an attempt for each before its request leaves, send, record."""
    claimed = deliveries_claim(delivery_ids=delivery_ids)
    if not claimed:
        return []
    now = timezone.now()
    # Written before any request leaves: a worker killed mid-send leaves a trace an operator sees.
    opened = DeliveryAttempt.objects.bulk_create([
        DeliveryAttempt(delivery=delivery, number=delivery.attempts, task_id=task_id or "", started_at=now,
                        outcome=DeliveryAttempt.Outcome.SENDING)
        for delivery in claimed
    ])
    sent = []
    for delivery, attempt in zip(claimed, opened, strict=True):
        with request_id_bound(delivery.request_id):
            attempt.started_at = timezone.now()
            with delivery_bound(delivery.pk):  # the delivery id partners use to drop repeats
                sent.append((delivery, attempt, _attempt(delivery)))
    _deliveries_record(sent)
    return claimed


def _delivery_update(delivery: Delivery, result: AttemptResult, now: datetime) -> tuple[str, dict]:
    """The attempt's final outcome and the delivery's new fields."""
    outcome, error = result.outcome, result.error
    update: dict = {"lease_until": None, "updated_at": now, "last_error": _error_text(error)}
    if outcome == DeliveryAttempt.Outcome.DELIVERED:
        update.update(state=Delivery.State.DELIVERED, delivered_at=now, next_attempt_at=None)
    elif outcome == DeliveryAttempt.Outcome.REJECTED:
        update.update(state=Delivery.State.FAILED, next_attempt_at=None)
    else:
        delay = retry_delay(attempt=delivery.attempts, error=error)
        if delay is None:
            outcome = DeliveryAttempt.Outcome.REJECTED
            update.update(state=Delivery.State.FAILED, next_attempt_at=None,
                          last_error=f"Gave up after {delivery.attempts} attempts: {update['last_error']}")
        else:
            update.update(state=Delivery.State.PENDING, next_attempt_at=now + timedelta(seconds=delay),
                          enqueued_at=None)
    return outcome, update


def _attempt_close(attempt: DeliveryAttempt, result: AttemptResult, outcome: str, now: datetime) -> None:
    exchange, error = result.exchange, result.error
    attempt.outcome = outcome
    attempt.duration_ms = exchange.duration_ms if exchange else int((now - attempt.started_at).total_seconds() * 1000)
    if exchange:
        attempt.request_method, attempt.request_url = exchange.method, exchange.url
        attempt.request_headers, attempt.request_body = exchange.request_headers, exchange.request_body
        attempt.response_status, attempt.response_body = exchange.response_status, exchange.response_body
    attempt.error_class = error.__class__.__name__ if error else ""
    attempt.error = _error_text(error)


def _deliveries_record(sent: list[tuple[ClaimedDelivery, DeliveryAttempt, AttemptResult]]) -> None:
    """Close each attempt and move each delivery on, in one transaction (the delivered ones in one statement)."""
    now = timezone.now()
    delivered: list[ClaimedDelivery] = []
    others: list[tuple[ClaimedDelivery, dict]] = []
    for delivery, attempt, result in sent:
        outcome, update = _delivery_update(delivery, result, now)
        _attempt_close(attempt, result, outcome, now)
        if update["state"] == Delivery.State.DELIVERED:
            delivered.append(delivery)
        else:
            others.append((delivery, update))
        _log(delivery, outcome, result.error)
    with transaction.atomic():
        for _, attempt, _ in sent:
            # One plain UPDATE each: bulk_update's CASE per field per row costs more CPU than it saves.
            DeliveryAttempt.objects.filter(pk=attempt.pk).update(
                **{name: getattr(attempt, name) for name in ATTEMPT_RESULT_FIELDS})
        if delivered:
            Delivery.objects.filter(pk__in=[d.pk for d in delivered], state=Delivery.State.SENDING).update(
                state=Delivery.State.DELIVERED, delivered_at=now, next_attempt_at=None, lease_until=None,
                last_error="", updated_at=now)
        for delivery, update in others:
            Delivery.objects.filter(pk=delivery.pk, state=Delivery.State.SENDING).update(**update)
        for delivery, update in [*((d, {"state": Delivery.State.DELIVERED}) for d in delivered), *others]:
            _delivery_after(delivery, update, now)


def _delivery_after(delivery: ClaimedDelivery, update: dict, now: datetime) -> None:
    """What a delivery's final outcome means beyond its own row: its partner's, and older rows superseded."""
    delivered = update["state"] == Delivery.State.DELIVERED
    partner = partners.for_channel(delivery.channel)
    if partner is not None and update["state"] in (Delivery.State.DELIVERED, Delivery.State.FAILED):
        partner.outcome_apply(delivery, delivered=delivered, error=update.get("last_error", ""))
    if delivered and delivery.older_pending:
        deliveries_supersede_pending(order_id=delivery.order_id, channel=delivery.channel,
                                     why="A newer status was delivered.", older_than=delivery.pk)


def _log(delivery: Delivery, outcome: str, error: BaseException | None) -> None:
    log = logger.info if outcome == DeliveryAttempt.Outcome.DELIVERED else logger.warning
    log("Delivery %s to %s attempt %s: %s %s", delivery.pk, delivery.channel, delivery.attempts, outcome,
        _error_text(error), extra={"delivery": delivery.pk, "order": delivery.order_id, "channel": delivery.channel})
