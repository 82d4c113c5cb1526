"""Sending deliveries: claim, open an attempt, send, record the outcome and schedule the next try.

Deliveries claimed together are sent side by side on the process's pool of sending threads and
their outcomes recorded together (orders/services/sender.py). Inside a transaction (a caller's
`atomic` block, as in tests) they are sent one after another on the caller's thread instead:
the pool's threads, with connections of their own, could not see the caller's uncommitted rows.
"""

from __future__ import annotations

import logging
import time
from collections.abc import Sequence

from django.conf import settings
from django.db import connection
from django.utils import timezone

from hub.observability import delivery_bound, request_id_bound
from orders.models import Delivery, DeliveryAttempt
from orders.partner_errors import PartnerError, PartnerNotConfiguredError, PartnerRejectedError
from orders.partners import Partner, partners
from orders.services.claims import deliveries_claim, deliveries_defer
from orders.services.outcomes import AttemptResult, Sent, attempts_open, deliveries_record, retry_delay
from orders.services.sender import DeliverySender, sender_get

logger = logging.getLogger(__name__)

# A row held over its channel's cap is tried again at least this often (another worker's request may end).
AT_CAP_RETRY_SECONDS = 0.1

__all__ = ["deliveries_send", "delivery_send", "delivery_sender_make", "retry_delay"]


def _channel_send(delivery: Delivery) -> AttemptResult:
    partner = partners.for_channel(delivery.channel)
    if partner is None:
        raise PartnerNotConfiguredError(f"No partner is registered for the channel {delivery.channel!r}.")
    return AttemptResult(DeliveryAttempt.Outcome.DELIVERED, partner.send(delivery))


def _attempt(delivery: Delivery) -> AttemptResult:
    try:
        return _channel_send(delivery)
    except PartnerRejectedError as exc:
        return AttemptResult(DeliveryAttempt.Outcome.REJECTED, exc.exchange, exc)
    except PartnerError as exc:
        return AttemptResult(DeliveryAttempt.Outcome.RETRY, exc.exchange, exc)
    except Exception as exc:  # noqa: BLE001 - a bug must not leave the row SENDING; record and retry
        logger.exception("Unexpected error sending delivery %s", delivery.pk, extra={"delivery": delivery.pk})
        return AttemptResult(DeliveryAttempt.Outcome.RETRY, None, exc)


def _send(delivery: Delivery, attempt_id: int) -> Sent:
    """One request for a claimed delivery (on any thread): it carries the delivery's request and delivery ids."""
    with request_id_bound(delivery.request_id), delivery_bound(delivery.pk):
        started_at = timezone.now()
        result = _attempt(delivery)
        return Sent(delivery, attempt_id, started_at, result, timezone.now())


def _claim_and_open(
    delivery_ids: list[int], task_id: str, sends_at_once: int
) -> tuple[list[tuple[Delivery, int]], list[int]]:
    """Claim these deliveries (one statement per channel) and open an attempt for each (one statement).

    The attempts are written before any request leaves: a worker killed mid-send leaves a trace.
    Returns (delivery, attempt id) pairs and the ids over their channel's cap, left as they were.
    """
    over_cap: list[int] = []
    claimed = deliveries_claim(delivery_ids=delivery_ids, sends_at_once=sends_at_once, over_cap=over_cap)
    if not claimed:
        return [], over_cap
    opened = attempts_open(claimed, task_id=task_id or "", now=timezone.now())
    _sends_prepare(claimed)
    return list(zip(claimed, opened, strict=True)), over_cap


def _sends_prepare(claimed: Sequence[Delivery]) -> None:
    """Each partner reads, here on the claiming thread, what its sends will need from the database.

    Only a saving: a partner that fails to prepare reads what it needs when it sends.
    """
    by_partner: dict[str, tuple[Partner, list[Delivery]]] = {}
    for delivery in claimed:
        partner = partners.for_channel(delivery.channel)
        if partner is not None:
            by_partner.setdefault(partner.key, (partner, []))[1].append(delivery)
    for partner, deliveries in by_partner.values():
        try:
            partner.send_prepare(deliveries)
        except Exception:  # noqa: BLE001 - the claimed rows must still go out
            logger.exception("Partner %s could not prepare its sends; they read what they need", partner.key)


def _defer(delivery_ids: list[int]) -> None:
    deliveries_defer(delivery_ids=delivery_ids)


def _sender() -> DeliverySender:
    return sender_get(claim=_claim_and_open, send=_send, record=deliveries_record, defer=_defer)


def delivery_sender_make(*, threads: int | None = None) -> DeliverySender:
    """A sender of its own, as another worker process has (tests; `shutdown()` it after use)."""
    return DeliverySender(threads=threads or settings.DELIVERY_SEND_THREADS, claim_max=settings.DELIVERY_CLAIM_MAX,
                          record_wave=settings.DELIVERY_RECORD_WAVE, claim=_claim_and_open, send=_send,
                          record=deliveries_record, defer=_defer)


def sender_send(sender: DeliverySender, delivery_ids: list[int], *, task_id: str = "",
                wait_outcome: bool = True) -> list[Delivery]:
    """Send through `sender`; rows over their channel's cap wait in this process for a place.

    A place frees when a request in flight is answered, here or in another worker: the rows are
    tried again as soon as one of this process's is recorded, or every `AT_CAP_RETRY_SECONDS`,
    for `DELIVERY_CAP_HOLD` seconds at most; then they are left to the sweeper.
    """
    deadline = time.monotonic() + settings.DELIVERY_CAP_HOLD
    claimed: list[Delivery] = []
    ids = delivery_ids
    while ids:
        hold = time.monotonic() < deadline
        got, ids = sender.send(ids, task_id=task_id, wait_outcome=wait_outcome, hold=hold)
        claimed += got
        if ids:
            sender.room_wait(AT_CAP_RETRY_SECONDS)
    return claimed


def _chunk_send(delivery_ids: list[int], *, task_id: str, wait_outcome: bool) -> list[Delivery]:
    if not connection.in_atomic_block:
        return sender_send(_sender(), delivery_ids, task_id=task_id, wait_outcome=wait_outcome)
    claimed: list[Delivery] = list(deliveries_claim(delivery_ids=delivery_ids))
    opened = attempts_open(claimed, task_id=task_id or "", now=timezone.now()) if claimed else []
    deliveries_record([_send(delivery, attempt) for delivery, attempt in zip(claimed, opened, strict=True)])
    return claimed


def delivery_send(*, delivery_id: int, task_id: str = "", wait_outcome: bool = True) -> Delivery | None:
    """Send one delivery if it is due. Safe to call twice: only one caller claims the row.

    Returns the delivery as claimed, or None when there was nothing to send. It returns once the
    outcome is recorded, or with `wait_outcome=False` once the row is claimed and its request on
    its way (a task: from then on the row's lease, not the broker's message, keeps it safe).
    """
    claimed = _chunk_send([delivery_id], task_id=task_id, wait_outcome=wait_outcome)
    return claimed[0] if claimed else None


def deliveries_send(*, delivery_ids: list[int], task_id: str = "", budget_seconds: float | None = None,
                    wait_outcome: bool = True) -> list[int]:
    """Send these deliveries, claimed a chunk at a time (one statement each), so a repeat is harmless.

    A chunk is half what the pool sends at once (`DELIVERY_CLAIM_MAX` at most), so the chunks of two
    tasks are in flight together. Stops taking new
    chunks once `budget_seconds` have passed and returns the ids it did not reach, for the
    caller to queue again; the first chunk always goes, so a batch always makes progress.
    """
    budget = settings.DELIVERY_BATCH_BUDGET if budget_seconds is None else budget_seconds
    started = time.monotonic()
    ids = list(dict.fromkeys(delivery_ids))
    size = max(1, min(settings.DELIVERY_CLAIM_MAX, settings.DELIVERY_SEND_THREADS // 2))
    for position in range(0, len(ids), size):
        if position and time.monotonic() - started > budget:
            return ids[position:]
        _chunk_send(ids[position:position + size], task_id=task_id, wait_outcome=wait_outcome)
    return []
