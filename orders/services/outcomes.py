"""Recording what sends ended in: each attempt closed, each delivery moved on, the next try scheduled.

The outcomes of deliveries sent together are written together: every attempt in one `UPDATE`,
the delivered rows in another, in one transaction (plain statements: orders/services/statements.py).
"""

from __future__ import annotations

import logging
import random
from collections.abc import Sequence
from dataclasses import dataclass
from datetime import datetime, timedelta

from django.conf import settings
from django.db import transaction
from django.utils import timezone

from orders.models import Delivery, DeliveryAttempt
from orders.partner_errors import Exchange, PartnerError
from orders.partners import partners
from orders.services.outbox import deliveries_supersede_pending
from orders.services.statements import execute, fetch, json_rows, json_time, stored_time, table

logger = logging.getLogger(__name__)

@dataclass(frozen=True)
class AttemptResult:
    outcome: DeliveryAttempt.Outcome
    exchange: Exchange | None
    error: PartnerError | Exception | None = None


@dataclass(frozen=True)
class Sent:
    """One claimed delivery, its attempt's id (opened before the request left) and how the request ended."""

    delivery: Delivery
    attempt_id: int
    started_at: datetime
    result: AttemptResult
    answered_at: datetime  # when the partner's answer (or the failure) came: a delivered row's `delivered_at`


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


# The attempt's columns the outcome fills in, with their PostgreSQL types (for the JSON rows).
RESULT_COLUMNS = [
    ("outcome", "text"), ("started_at", "timestamptz"), ("duration_ms", "integer"), ("request_method", "text"),
    ("request_url", "text"), ("request_headers", "jsonb"), ("request_body", "text"), ("response_status", "smallint"),
    ("response_body", "text"), ("error_class", "text"), ("error", "text"),
]


def _text(value: str) -> str:
    return value.replace("\x00", "\ufffd")  # a NUL cannot be stored in a PostgreSQL text column


def _attempt_values(sent: Sent, outcome: str, now: datetime) -> list:
    """The attempt's result, in the order of RESULT_COLUMNS."""
    exchange, error = sent.result.exchange, sent.result.error
    duration = exchange.duration_ms if exchange else int((now - sent.started_at).total_seconds() * 1000)
    if exchange:
        request = [exchange.method, _text(exchange.url), exchange.request_headers, _text(exchange.request_body),
                   exchange.response_status, _text(exchange.response_body)]
    else:
        request = ["", "", {}, "", None, ""]
    return [outcome, json_time(sent.started_at), duration, *request, error.__class__.__name__ if error else "",
            _text(error_text(error))]


def attempts_open(deliveries: Sequence[Delivery], *, task_id: str, now: datetime) -> list[int]:
    """Open an attempt (outcome "sending") for each claimed delivery, in one `INSERT … RETURNING`; their ids."""
    rows, params = json_rows([("delivery_id", "bigint"), ("number", "integer")],
                             [(delivery.pk, delivery.attempts) for delivery in deliveries])
    sql = (f"INSERT INTO {table(DeliveryAttempt)} (delivery_id, number, task_id, started_at, duration_ms, outcome, "  # noqa: S608
           "request_method, request_url, request_headers, request_body, response_status, response_body, error_class, "
           f"error) SELECT v.delivery_id, v.number, %s, %s, 0, %s, '', '', '{{}}', '', NULL, '', '', '' FROM {rows} "
           "RETURNING id")
    ids = [pk for (pk,) in fetch(sql, [task_id, stored_time(now), DeliveryAttempt.Outcome.SENDING, *params])]
    if len(ids) != len(deliveries):
        raise RuntimeError(f"Opened {len(ids)} attempts for {len(deliveries)} deliveries.")
    return ids


def attempts_close(rows: list[tuple[int, list]]) -> None:
    """Write (attempt id, values in the order of RESULT_COLUMNS) of open attempts in one statement."""
    if not rows:
        return
    source, params = json_rows([("id", "bigint"), *RESULT_COLUMNS], [(pk, *values) for pk, values in rows])
    attempts = table(DeliveryAttempt)
    assignments = ", ".join(f"{name} = v.{name}" for name, _ in RESULT_COLUMNS)
    execute(f"UPDATE {attempts} SET {assignments} FROM {source} WHERE {attempts}.id = v.id", params)  # noqa: S608


def deliveries_record(sent: list[Sent]) -> None:
    """Close each attempt and move each delivery on, in one transaction (the delivered ones in one statement)."""
    now = timezone.now()
    delivered: list[Sent] = []
    others: list[tuple[Delivery, dict]] = []
    closed: list[tuple[int, list]] = []
    for item in sent:
        outcome, update = _delivery_update(item.delivery, item.result, now)
        closed.append((item.attempt_id, _attempt_values(item, outcome, now)))
        if update["state"] == Delivery.State.DELIVERED:
            delivered.append(item)
        else:
            others.append((item.delivery, update))
        _log(item.delivery, outcome, item.result.error)
    with transaction.atomic():
        attempts_close(closed)
        if delivered:
            deliveries = table(Delivery)
            source, params = json_rows([("id", "bigint"), ("delivered_at", "timestamptz")],
                                       [(item.delivery.pk, json_time(item.answered_at)) for item in delivered])
            execute(f"UPDATE {deliveries} SET state = %s, delivered_at = v.delivered_at, next_attempt_at = NULL, "  # noqa: S608
                    f"lease_until = NULL, last_error = '', updated_at = %s FROM {source} "
                    f"WHERE {deliveries}.id = v.id AND {deliveries}.state = %s",
                    [Delivery.State.DELIVERED, stored_time(now), *params, Delivery.State.SENDING])
        for delivery, update in others:
            Delivery.objects.filter(pk=delivery.pk, state=Delivery.State.SENDING).update(**update)
        for delivery, update in [*((d.delivery, {"state": Delivery.State.DELIVERED}) for d in delivered), *others]:
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
