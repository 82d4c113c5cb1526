"""Reconciliation with the shop: read `orders/get` and treat what it says exactly like a webhook.

Horoshop documents only `order_created` webhooks and gives up on a webhook after about ten
tries, so a status changed in the shop's admin may never be announced. The poller reads new
orders by date and every open order by id, and feeds each through the intake service.
"""

from __future__ import annotations

import logging
import time
from collections.abc import Iterable
from dataclasses import dataclass, field
from datetime import datetime, timedelta
from typing import Any
from zoneinfo import ZoneInfo

from django.conf import settings
from django.db import DatabaseError
from django.db.models import Q
from django.utils import timezone
from rest_framework import serializers

from hub.api import error_message
from integrations.horoshop.client import HoroshopClient, horoshop_client_from_settings
from integrations.horoshop.intake import order_report_from_shop
from integrations.horoshop.order_validation import shop_order_validated
from integrations.models import PollRun, PollState
from integrations.tokens import process_tokens
from orders.models import Order, StatusChange, order_number_canonical
from orders.partner_errors import PartnerError
from orders.services.intake import order_upsert_from_shop

logger = logging.getLogger(__name__)

POLL_STATE = "horoshop"
LOCK_SECONDS = 900


@dataclass
class PollCounts:
    seen: int = 0
    created: int = 0
    changed: int = 0
    # Orders the shop returned that the hub cannot take: recorded and passed over.
    skipped: list[str] = field(default_factory=list)
    # Faults that stop the poll (the shop unreachable): the window stays for the next poll.
    errors: list[str] = field(default_factory=list)


def _lock_take(now: datetime) -> bool:
    """Take the poll lease; False if another poll holds it. A lease, so a dead worker frees it."""
    PollState.objects.get_or_create(name=POLL_STATE)
    free = Q(locked_until__isnull=True) | Q(locked_until__lt=now)
    return bool(PollState.objects.filter(free, name=POLL_STATE).update(
        locked_until=now + timedelta(seconds=LOCK_SECONDS)))


def _lock_release(*, success_started_at: datetime | None) -> None:
    fields: dict[str, Any] = {"locked_until": None}
    if success_started_at is not None:
        fields["last_success_started_at"] = success_started_at
    PollState.objects.filter(name=POLL_STATE).update(**fields)


def _shop_time(moment: datetime) -> str:
    return moment.astimezone(ZoneInfo(settings.SHOP_TIMEZONE)).strftime("%Y-%m-%d %H:%M:%S")


def horoshop_poll(*, client: HoroshopClient | None = None) -> PollRun | None:
    """Run one poll if the shop's API is configured and no other poll runs. Returns its record.

    Never raises for the shop's or the data's faults. An order the hub cannot take is skipped,
    with the reason on the record, and does not hold the others back. A poll the shop did not
    answer is recorded as failed, and the next one starts again from the same point (the
    window start only moves after a poll that read everything).
    """
    client = client or horoshop_client_from_settings(token_store=process_tokens)
    if client is None:
        return None
    started = timezone.now()
    if not _lock_take(started):
        logger.info("A shop poll is already running; skipping this one")
        return None
    run = PollRun(started_at=started)
    counts = PollCounts()
    try:
        state = PollState.objects.get(name=POLL_STATE)
        since = state.last_success_started_at or started - timedelta(seconds=settings.HOROSHOP_POLL_FIRST_WINDOW)
        run.window_from = _shop_time(since - timedelta(seconds=settings.HOROSHOP_POLL_OVERLAP))
        _poll_new_orders(client, window_from=run.window_from, counts=counts)
        _poll_open_orders(client, counts=counts)
    except PartnerError as exc:
        counts.errors.append(f"Horoshop: {exc.message}")
    except Exception as exc:  # noqa: BLE001 - a poll must never crash-loop the worker; record and go on
        logger.exception("Shop poll failed")
        counts.errors.append(f"{exc.__class__.__name__}: {exc}")
    finally:
        run.ok = not counts.errors
        _lock_release(success_started_at=started if run.ok else None)
    run.finished_at = timezone.now()
    run.duration_ms = int((run.finished_at - started).total_seconds() * 1000)
    run.orders_seen, run.orders_created, run.orders_changed = counts.seen, counts.created, counts.changed
    run.orders_skipped, run.skipped = len(counts.skipped), "\n".join(counts.skipped)[:10000]
    run.errors, run.error = len(counts.errors), "\n".join(counts.errors)[:10000]
    run.save()
    return run


def _poll_new_orders(client: HoroshopClient, *, window_from: str, counts: PollCounts) -> None:
    size = settings.HOROSHOP_POLL_PAGE_SIZE
    for page in range(settings.HOROSHOP_POLL_MAX_PAGES):
        if page:
            time.sleep(settings.HOROSHOP_POLL_PAGE_PAUSE)
        orders, _ = client.orders_get(from_=window_from, limit=size, offset=page * size)
        orders_ingest(orders, source=StatusChange.Source.SHOP_POLL, counts=counts)
        if len(orders) < size:
            return
    counts.errors.append(f"Stopped after {settings.HOROSHOP_POLL_MAX_PAGES} pages of new orders.")


def _poll_open_orders(client: HoroshopClient, *, counts: PollCounts) -> None:
    """Re-read every order the hub holds in a non-final status, in batches of ids."""
    numbers = shop_ids(Order.objects.filter(status__is_final=False).order_by("pk").values_list("shop_order_id",
                                                                                             flat=True))
    size = settings.HOROSHOP_POLL_PAGE_SIZE
    for start in range(0, len(numbers), size):
        if start:
            time.sleep(settings.HOROSHOP_POLL_PAGE_PAUSE)
        batch = numbers[start:start + size]
        orders, _ = client.orders_get(ids=batch, limit=len(batch))
        orders_ingest(orders, source=StatusChange.Source.SHOP_POLL, counts=counts)


def shop_ids(numbers: Iterable[object]) -> list[int]:
    """Order numbers as `orders/get` takes them (ints); anything that is no shop order number is left out."""
    canonical = (order_number_canonical(n) for n in numbers)
    return [int(n) for n in canonical if n is not None]


def orders_ingest(orders: list[dict[str, Any]], *, source: StatusChange.Source, counts: PollCounts) -> None:
    """Feed orders read from the shop through intake, counting what happened.

    One order the hub cannot take (invalid, or refused by the database) is skipped with its
    reason; the others go on.
    """
    for raw in orders:
        counts.seen += 1
        number = raw.get("order_id", "?") if isinstance(raw, dict) else "?"
        try:
            data = shop_order_validated(raw)
        except serializers.ValidationError as exc:
            counts.skipped.append(f"Order {number}: {error_message(exc.detail)}")
            continue
        try:
            result = order_upsert_from_shop(report=order_report_from_shop(data=data, raw=raw), source=source)
        except DatabaseError as exc:
            logger.exception("Order %s from the shop could not be stored", number, extra={"order": str(number)})
            counts.skipped.append(f"Order {number}: the database refused it ({exc.__class__.__name__}).")
            continue
        counts.created += int(result.created)
        counts.changed += int(not result.created and result.status_change is not None)


def horoshop_orders_confirm(*, order_numbers: list[str], client: HoroshopClient | None = None) -> PollCounts:
    """Read these orders from the shop's API and apply what it says (a webhook's hint confirmed).

    Raises PartnerError when the shop cannot be read, so the calling task can retry.
    """
    client = client or horoshop_client_from_settings(token_store=process_tokens)
    counts = PollCounts()
    if client is None or not order_numbers:
        return counts
    ids = shop_ids(order_numbers)
    if not ids:
        return counts
    orders, _ = client.orders_get(ids=ids, limit=len(ids))
    orders_ingest(orders, source=StatusChange.Source.SHOP_WEBHOOK, counts=counts)
    return counts
