"""Recording what sends ended in: each attempt closed, each delivery moved on, the next try scheduled.

The outcomes of deliveries sent together are written together: every attempt in one `UPDATE`,
the delivered rows in another, in one transaction.
"""

from __future__ import annotations

import logging
import random
from dataclasses import dataclass
from datetime import datetime, timedelta

from django.conf import settings
from django.db import connection, transaction
from django.utils import timezone

from orders.models import Delivery, DeliveryAttempt
from orders.partner_errors import Exchange, PartnerError
from orders.partners import partners
from orders.services.outbox import deliveries_supersede_pending

logger = logging.getLogger(__name__)

ATTEMPT_RESULT_FIELDS = [
    "outcome", "started_at", "duration_ms", "request_method", "request_url", "request_headers", "request_body",
    "response_status", "response_body", "error_class", "error",
]


@dataclass(frozen=True)
class AttemptResult:
    outcome: DeliveryAttempt.Outcome
    exchange: Exchange | None
    error: PartnerError | Exception | None = None


@dataclass(frozen=True)
class Sent:
    """One claimed delivery, its attempt (opened before the request left) and how the request ended."""

    delivery: Delivery
    attempt: DeliveryAttempt
    started_at: datetime
    result: AttemptResult


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


def error_text(error: BaseException | None) -> str:
    if error is None:
        return ""
    return getattr(error, "message", None) or str(error) or error.__class__.__name__


def _delivery_update(delivery: Delivery, result: AttemptResult, now: datetime) -> tuple[str, dict]:
    """The attempt's final outcome and the delivery's new fields."""
    outcome, error = result.outcome, result.error
    update: dict = {"lease_until": None, "updated_at": now, "last_error": error_text(error)}
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


def _attempt_close(sent: Sent, outcome: str, now: datetime) -> None:
    attempt, exchange, error = sent.attempt, sent.result.exchange, sent.result.error
    attempt.outcome, attempt.started_at = outcome, sent.started_at
    attempt.duration_ms = exchange.duration_ms if exchange else int((now - sent.started_at).total_seconds() * 1000)
    if exchange:
        attempt.request_method, attempt.request_url = exchange.method, exchange.url
        attempt.request_headers, attempt.request_body = exchange.request_headers, exchange.request_body
        attempt.response_status, attempt.response_body = exchange.response_status, exchange.response_body
    attempt.error_class = error.__class__.__name__ if error else ""
    attempt.error = error_text(error)


def attempts_close(attempts: list[DeliveryAttempt]) -> None:
    """Write the result fields of these open attempts in one `UPDATE … FROM (VALUES …)`.

    Django's `bulk_update` builds a `CASE WHEN` per field per row, which costs more CPU than the
    statements it saves; this is one plain statement. PostgreSQL is told each column's type
    (a `VALUES` list of bare literals has none); SQLite needs no casts.
    """
    if not attempts:
        return
    fields = [DeliveryAttempt._meta.get_field(name) for name in ATTEMPT_RESULT_FIELDS]
    quote = connection.ops.quote_name
    table = quote(DeliveryAttempt._meta.db_table)
    if connection.vendor == "postgresql":
        source = "v(id, " + ", ".join(quote(f.column) for f in fields) + ")"
        columns = [f"CAST(v.{quote(f.column)} AS {f.db_type(connection)})" for f in fields]
        key = "v.id"
    else:  # SQLite names the columns of a VALUES list column1, column2, ...
        source = "v"
        columns = [f"v.column{index}" for index in range(2, len(fields) + 2)]
        key = "v.column1"
    row = "(" + ", ".join(["%s"] * (len(fields) + 1)) + ")"
    assignments = ", ".join(f"{quote(f.column)} = {column}" for f, column in zip(fields, columns, strict=True))
    sql = (f"UPDATE {table} SET {assignments} FROM (VALUES {', '.join([row] * len(attempts))}) AS {source} "  # noqa: S608
           f"WHERE {table}.{quote('id')} = {key}")
    params: list = []
    for attempt in attempts:
        params.append(attempt.pk)
        params.extend(f.get_db_prep_save(getattr(attempt, f.attname), connection) for f in fields)
    with connection.cursor() as cursor:
        cursor.execute(sql, params)


def deliveries_record(sent: list[Sent]) -> None:
    """Close each attempt and move each delivery on, in one transaction (the delivered ones in one statement)."""
    now = timezone.now()
    delivered: list[Delivery] = []
    others: list[tuple[Delivery, dict]] = []
    for item in sent:
        outcome, update = _delivery_update(item.delivery, item.result, now)
        _attempt_close(item, outcome, now)
        if update["state"] == Delivery.State.DELIVERED:
            delivered.append(item.delivery)
        else:
            others.append((item.delivery, update))
        _log(item.delivery, outcome, item.result.error)
    with transaction.atomic():
        attempts_close([item.attempt for item in sent])
        if delivered:
            Delivery.objects.filter(pk__in=[d.pk for d in delivered], state=Delivery.State.SENDING).update(
                state=Delivery.State.DELIVERED, delivered_at=now, next_attempt_at=None, lease_until=None,
                last_error="", updated_at=now)
        for delivery, update in others:
            Delivery.objects.filter(pk=delivery.pk, state=Delivery.State.SENDING).update(**update)
        for delivery, update in [*((d, {"state": Delivery.State.DELIVERED}) for d in delivered), *others]:
            _delivery_after(delivery, update)


def _delivery_after(delivery: Delivery, update: dict) -> None:
    """What a delivery's final outcome means beyond its own row: its partner's, and older rows superseded."""
    delivered = update["state"] == Delivery.State.DELIVERED
    partner = partners.for_channel(delivery.channel)
    if partner is not None and update["state"] in (Delivery.State.DELIVERED, Delivery.State.FAILED):
        partner.outcome_apply(delivery, delivered=delivered, error=update.get("last_error", ""))
    if delivered and getattr(delivery, "older_pending", False):
        deliveries_supersede_pending(order_id=delivery.order_id, channel=delivery.channel,
                                     why="A newer status was delivered.", older_than=delivery.pk)


def _log(delivery: Delivery, outcome: str, error: BaseException | None) -> None:
    log = logger.info if outcome == DeliveryAttempt.Outcome.DELIVERED else logger.warning
    log("Delivery %s to %s attempt %s: %s %s", delivery.pk, delivery.channel, delivery.attempts, outcome,
        error_text(error), extra={"delivery": delivery.pk, "order": delivery.order_id, "channel": delivery.channel})
