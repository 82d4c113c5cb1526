"""Claiming deliveries to send: one statement per batch, and each partner's limits across all workers.

A claim moves due PENDING rows to SENDING with a lease, in one `UPDATE … RETURNING` (with
`FOR UPDATE SKIP LOCKED` on PostgreSQL): of two workers racing for a row, only one gets it back.
Before that, one read finds what stands in each row's way (a paused channel, a newer status
already delivered, an older status still in flight), and each channel's limits are applied
under a lock on its switch row, so every worker sees the same count: at most
`max_in_flight` requests at once, and at most `per_minute` started in any minute.
"""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Iterable, Sequence
from datetime import datetime, timedelta
from typing import TYPE_CHECKING, TypeAlias, TypedDict

from django.conf import settings
from django.db import connection, transaction
from django.db.models import Exists, OuterRef
from django.utils import timezone

from orders.models import ChannelSwitch, Delivery
from orders.partners import CHANNEL_SEPARATOR

if TYPE_CHECKING:
    from django_stubs_ext import WithAnnotations

# While another delivery of the same order and channel is in flight, wait this long and look again.
IN_FLIGHT_WAIT_SECONDS = 5
# A channel at its in-flight cap: look again this soon (the sweeper queues the row when it is due).
AT_CAP_WAIT_SECONDS = 1


class ClaimFlags(TypedDict):
    """What stands in a delivery's way, read with it when it is claimed."""

    paused: bool
    newer_delivered: bool
    in_flight: bool
    older_pending: bool


# A delivery as `deliveries_claim` reads it: the row and its ClaimFlags.
ClaimedDelivery: TypeAlias = "WithAnnotations[Delivery, ClaimFlags]"


def lease_seconds(count: int = 1) -> float:
    """Long enough for `count` sends one after another, each a token fetch and the request with full time-outs."""
    return count * 2 * (settings.PARTNER_CONNECT_TIMEOUT + settings.PARTNER_READ_TIMEOUT) + 30


def _claim_view(delivery_ids: list[int], now: datetime) -> list[ClaimedDelivery]:
    """The deliveries with what stands in their way, read in one query."""
    siblings = Delivery.objects.filter(order_id=OuterRef("order_id"), channel=OuterRef("channel")).exclude(
        pk=OuterRef("pk"))
    return list(
        Delivery.objects.filter(pk__in=delivery_ids, state=Delivery.State.PENDING)
        .annotate(
            paused=Exists(ChannelSwitch.objects.filter(channel=OuterRef("channel"), paused=True)),
            newer_delivered=Exists(siblings.filter(pk__gt=OuterRef("pk"), state=Delivery.State.DELIVERED)),
            in_flight=Exists(siblings.filter(state=Delivery.State.SENDING, lease_until__gt=now)),
            older_pending=Exists(siblings.filter(pk__lt=OuterRef("pk"), state=Delivery.State.PENDING)),
        )
        .select_related("status_change__to_status")  # what a partner's payload may be renewed from
        .order_by("pk")
    )


def _set_aside(rows: list[ClaimedDelivery], now: datetime) -> list[ClaimedDelivery]:
    """The rows free to send now; the others are left for later (or superseded) as each case says."""
    free, paused, superseded, waiting = [], [], [], []
    for row in rows:
        if row.next_attempt_at and row.next_attempt_at > now + timedelta(seconds=1):
            continue  # not due yet; the sweeper queues it when it is
        if row.paused:
            paused.append(row.pk)
        elif row.newer_delivered:
            superseded.append(row.pk)
        elif row.in_flight:
            waiting.append(row.pk)
        else:
            free.append(row)
    pending = Delivery.objects.filter(state=Delivery.State.PENDING)
    if paused:
        pending.filter(pk__in=paused).update(enqueued_at=None)  # the sweeper takes them once resumed
    if superseded:
        pending.filter(pk__in=superseded).update(
            state=Delivery.State.SUPERSEDED, last_error="A newer status was already delivered.", updated_at=now)
    if waiting:
        pending.filter(pk__in=waiting).update(
            next_attempt_at=now + timedelta(seconds=IN_FLIGHT_WAIT_SECONDS), enqueued_at=None, updated_at=now)
    # Two rows of one order and channel in one batch: only the oldest goes now (newest-wins order).
    seen: set[tuple[int, str]] = set()
    first = []
    for row in free:
        key = (row.order_id, row.channel)
        if key not in seen:
            seen.add(key)
            first.append(row)
    return first


def _update_returning(ids: list[int], *, now: datetime, lease_until: datetime) -> set[int]:
    """Move these rows from PENDING to SENDING in one statement; the ids this caller got."""
    table = connection.ops.quote_name(Delivery._meta.db_table)
    placeholders = ", ".join(["%s"] * len(ids))
    lock = " FOR UPDATE SKIP LOCKED" if connection.features.has_select_for_update_skip_locked else ""
    sql = (
        f"UPDATE {table} SET state = %s, attempts = attempts + 1, lease_until = %s, updated_at = %s "  # noqa: S608
        f"WHERE id IN (SELECT id FROM {table} WHERE id IN ({placeholders}) AND state = %s{lock}) RETURNING id"
    )
    with connection.cursor() as cursor:
        cursor.execute(sql, [Delivery.State.SENDING, lease_until, now, *ids, Delivery.State.PENDING])
        return {row[0] for row in cursor.fetchall()}


def channel_limits(channel: str) -> tuple[int, int]:
    """(max requests in flight, max requests started per minute; 0 = no limit) for a channel.

    A channel of a partner with several destinations (`key:id`) has its partner's limits, each
    destination on its own, unless CHANNEL_LIMITS names that channel itself.
    """
    limits = settings.CHANNEL_LIMITS.get(channel) or settings.CHANNEL_LIMITS.get(
        channel.split(CHANNEL_SEPARATOR, 1)[0], {})
    return int(limits.get("max_in_flight", 0)), int(limits.get("per_minute", 0))


def _within_limits(channel: str, rows: list[ClaimedDelivery], now: datetime) -> list[ClaimedDelivery]:
    """The rows the channel's limits let go now (call inside the claim's transaction).

    The switch row is locked so claims of this channel by every worker are counted one after
    another. Rows over the cap wait a moment; rows over the rate get the next free slots.
    """
    cap, per_minute = channel_limits(channel)
    if not cap and not per_minute:
        return rows
    in_flight = Delivery.objects.filter(channel=channel, state=Delivery.State.SENDING, lease_until__gt=now)
    if not per_minute and in_flight.count() + len(rows) <= cap // 2:
        # Well under the cap (half of it left even if every other claim now adds as much): no need
        # to make the other workers wait for the lock.
        return rows
    switch, _ = ChannelSwitch.objects.select_for_update().get_or_create(channel=channel)
    allowed = rows
    if cap:
        allowed = allowed[: max(0, cap - in_flight.count())]
    over_cap = rows[len(allowed):]
    if per_minute and allowed:
        # At most one request per interval: the first row goes if the channel's next slot has come,
        # the others are told the slots after it (estimates: a row that comes back early waits again).
        interval = timedelta(seconds=60 / per_minute)
        slot = max(switch.rate_next_at or now, now)
        go = allowed[:1] if slot <= now else []
        if go:
            slot = now + interval
            ChannelSwitch.objects.filter(pk=switch.pk).update(rate_next_at=slot)
        later = allowed[len(go):]
        slots = [slot + interval * i for i in range(len(later))]
        _defer(later, slots, now)
        allowed = go
    _defer(over_cap, [], now)
    return allowed


def _defer(rows: Sequence[Delivery], slots: list[datetime], now: datetime) -> None:
    """Leave rows PENDING until their slot (or a moment, without one): the sweeper queues them then."""
    for index, row in enumerate(rows):
        when = slots[index] if index < len(slots) else now + timedelta(seconds=AT_CAP_WAIT_SECONDS)
        Delivery.objects.filter(pk=row.pk, state=Delivery.State.PENDING).update(
            next_attempt_at=when, enqueued_at=None, updated_at=now)


def deliveries_claim(*, delivery_ids: Iterable[int]) -> list[ClaimedDelivery]:
    """Claim the due deliveries among these ids for this caller; the claimed rows, now SENDING.

    Safe against any number of concurrent callers: a row is claimed by one of them at most.
    """
    now = timezone.now()
    ids = sorted(set(delivery_ids))
    if not ids:
        return []
    rows = _set_aside(_claim_view(ids, now), now)
    by_channel: dict[str, list[ClaimedDelivery]] = defaultdict(list)
    for row in rows:
        by_channel[row.channel].append(row)
    claimed: list[ClaimedDelivery] = []
    for channel, channel_rows in by_channel.items():
        with transaction.atomic():
            ready = _within_limits(channel, channel_rows, now)
            if not ready:
                continue
            lease_until = now + timedelta(seconds=lease_seconds(len(ready)))
            got = _update_returning([row.pk for row in ready], now=now, lease_until=lease_until)
        for row in ready:
            if row.pk in got:
                row.state, row.attempts, row.lease_until = Delivery.State.SENDING, row.attempts + 1, lease_until
                claimed.append(row)
    return sorted(claimed, key=lambda row: row.pk)
