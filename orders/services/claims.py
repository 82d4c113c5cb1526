"""Claiming deliveries to send: one transaction per batch, and each partner's limits across all workers.

A claim moves due PENDING rows to SENDING with a lease, in one `UPDATE … RETURNING` (with
`FOR UPDATE SKIP LOCKED` on PostgreSQL): of two workers racing for a row, only one gets it back.
Before that, it locks the rows' orders (so two statuses of one order are never claimed at once
by two workers), and a few plain reads find what stands in each row's way (a paused channel, a
newer status already delivered, an older status still in flight). Each channel's limits are
applied under a lock on its switch row, so every worker sees the same count: at most
`max_in_flight` requests at once, and at most `per_minute` started in any minute.
"""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Iterable
from datetime import datetime, timedelta
from typing import TYPE_CHECKING, TypeAlias, TypedDict, cast

from django.conf import settings
from django.db import connection, transaction
from django.utils import timezone

from orders.models import ChannelSwitch, Delivery, Order, StatusChange, StatusMapping
from orders.partners import CHANNEL_SEPARATOR
from orders.services.statements import fetch, one_of, stored_time, table

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


class _ReadWith(TypedDict):
    claim_to_status_id: int  # its status change's mapping, read with the row


# A delivery as `deliveries_claim` reads it: the row and its ClaimFlags.
ClaimedDelivery: TypeAlias = "WithAnnotations[Delivery, ClaimFlags]"


def lease_seconds(count: int = 1) -> float:
    """Long enough for `count` sends one after another, each a token fetch and the request with full time-outs.

    Rows sent side by side count once: a chunk sent in parallel is leased for one send.
    """
    return count * 2 * (settings.PARTNER_CONNECT_TIMEOUT + settings.PARTNER_READ_TIMEOUT) + 30


def _rows(delivery_ids: list[int]) -> list[ClaimedDelivery]:
    """The PENDING deliveries among these ids, each with its status change's mapping at hand.

    A partner may renew its payload from the mapping (`delivery.status_change.to_status`); it is
    read here, on the task's thread, not by the sending thread. The status change is attached
    with only its id and mapping loaded (its other fields load if ever read): `select_related`
    of the two models cost more than the claim's every other step together.
    """
    ids, params = one_of("d.id", delivery_ids)
    rows = cast("list[WithAnnotations[Delivery, _ReadWith]]", sorted(Delivery.objects.raw(
        f"SELECT d.*, c.to_status_id AS claim_to_status_id FROM {table(Delivery)} d "  # noqa: S608
        f"JOIN {table(StatusChange)} c ON c.id = d.status_change_id WHERE {ids} AND d.state = %s",
        [*params, Delivery.State.PENDING],
    ), key=lambda row: row.pk))
    if not rows:
        return []
    wanted, params = one_of("id", sorted({row.claim_to_status_id for row in rows}))
    mappings = {mapping.pk: mapping for mapping in StatusMapping.objects.raw(
        f"SELECT * FROM {table(StatusMapping)} WHERE {wanted}", params)}  # noqa: S608
    for row in rows:
        change = StatusChange.from_db(connection.alias, ["id", "to_status_id"],
                                      [row.status_change_id, row.claim_to_status_id])
        change.to_status = mappings[row.claim_to_status_id]
        row.status_change = change
    return cast("list[ClaimedDelivery]", rows)


def _claim_view(delivery_ids: list[int], now: datetime) -> list[ClaimedDelivery]:
    """The PENDING deliveries among these ids, each told what stands in its way (four plain queries).

    Sets `paused`, `newer_delivered`, `in_flight` and `older_pending` on each row from one read of
    the rows' siblings (same order and channel), instead of four correlated subqueries per row.
    """
    rows = _rows(delivery_ids)
    if not rows:
        return rows
    channels, orders = sorted({row.channel for row in rows}), sorted({row.order_id for row in rows})
    in_channels, channel_params = one_of("channel", channels)
    paused = {channel for (channel,) in fetch(
        f"SELECT channel FROM {table(ChannelSwitch)} WHERE paused = %s AND {in_channels}",  # noqa: S608
        [True, *channel_params])}
    in_orders, order_params = one_of("order_id", orders)
    in_states, state_params = one_of(
        "state", [Delivery.State.PENDING, Delivery.State.SENDING, Delivery.State.DELIVERED])
    siblings: dict[tuple[int, str], list[tuple[int, str, bool]]] = defaultdict(list)
    for pk, order_id, channel, state, live in fetch(
        f"SELECT id, order_id, channel, state, CASE WHEN lease_until > %s THEN 1 ELSE 0 END "  # noqa: S608
        f"FROM {table(Delivery)} WHERE {in_orders} AND {in_channels} AND {in_states}",
        [stored_time(now), *order_params, *channel_params, *state_params],
    ):
        siblings[(order_id, channel)].append((pk, state, bool(live)))
    for row in rows:
        others = [s for s in siblings[(row.order_id, row.channel)] if s[0] != row.pk]
        row.paused = row.channel in paused
        row.newer_delivered = any(pk > row.pk and state == Delivery.State.DELIVERED for pk, state, _ in others)
        row.in_flight = any(state == Delivery.State.SENDING and live for _, state, live in others)
        row.older_pending = any(pk < row.pk and state == Delivery.State.PENDING for pk, state, _ in others)
    return rows


def _set_aside(rows: list[ClaimedDelivery], now: datetime) -> list[ClaimedDelivery]:
    """The rows free to send now; the others are left for later (or superseded) as each case says.

    Of two rows of one order and channel, only the oldest goes: rows claimed together are sent side
    by side, and the newer must not reach the partner before (or alongside) the older. The newer
    waits as it would behind a row in flight, and goes after it (the newest wins).
    """
    free, paused, superseded, waiting = [], [], [], []
    seen: set[tuple[int, str]] = set()
    for row in rows:
        if row.next_attempt_at and row.next_attempt_at > now + timedelta(seconds=1):
            continue  # not due yet; the sweeper queues it when it is
        key = (row.order_id, row.channel)
        if row.paused:
            paused.append(row.pk)
        elif row.newer_delivered:
            superseded.append(row.pk)
        elif row.in_flight or key in seen:
            waiting.append(row.pk)
        else:
            seen.add(key)
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
    return free


def _update_returning(ids: list[int], *, now: datetime, lease_until: datetime) -> set[int]:
    """Move these rows from PENDING to SENDING in one statement; the ids this caller got."""
    deliveries = table(Delivery)
    among, params = one_of("id", ids)
    lock = " FOR UPDATE SKIP LOCKED" if connection.features.has_select_for_update_skip_locked else ""
    sql = (
        f"UPDATE {deliveries} SET state = %s, attempts = attempts + 1, lease_until = %s, updated_at = %s "  # noqa: S608
        f"WHERE id IN (SELECT id FROM {deliveries} WHERE {among} AND state = %s{lock}) RETURNING id"
    )
    return {pk for (pk,) in fetch(sql, [Delivery.State.SENDING, stored_time(lease_until), stored_time(now), *params,
                                        Delivery.State.PENDING])}


def channel_limits(channel: str) -> tuple[int, int]:
    """(max requests in flight, max requests started per minute; 0 = no limit) for a channel.

    A channel without limits of its own takes its partner's (`webhook:7` those of `webhook`), else
    the default cap PARTNER_MAX_IN_FLIGHT: no partner is sent to without a cap unless told so.
    """
    limits = (settings.CHANNEL_LIMITS.get(channel) or settings.CHANNEL_LIMITS.get(channel.split(CHANNEL_SEPARATOR)[0])
              or {"max_in_flight": settings.PARTNER_MAX_IN_FLIGHT})
    return int(limits.get("max_in_flight", 0)), int(limits.get("per_minute", 0))


def _in_flight_locked(channel: str, now: datetime) -> int:
    """Lock the channel's switch row (claims of the channel by every worker wait their turn), then count
    its requests in flight. Two plain statements: the count must run after the lock is held."""
    lock = " FOR UPDATE" if connection.features.has_select_for_update else ""
    if not fetch(f"SELECT channel FROM {table(ChannelSwitch)} WHERE channel = %s{lock}", [channel]):  # noqa: S608
        ChannelSwitch.objects.select_for_update().get_or_create(channel=channel)
    return fetch(f"SELECT count(*) FROM {table(Delivery)} WHERE channel = %s AND state = %s AND lease_until > %s",  # noqa: S608
                 [channel, Delivery.State.SENDING, stored_time(now)])[0][0]


def _within_limits(
    channel: str, rows: list[ClaimedDelivery], now: datetime
) -> tuple[list[ClaimedDelivery], list[ClaimedDelivery]]:
    """(the rows the channel's limits let go now, the rows over its cap); call inside the claim's transaction.

    The switch row is locked so claims of this channel by every worker are counted one after
    another (rows claimed are sent at once, so the rows SENDING are the requests in flight).
    Rows over the rate get the next free slots; rows over the cap are the caller's to hold or defer.
    """
    cap, per_minute = channel_limits(channel)
    if not cap and not per_minute:
        return rows, []
    allowed = rows[: max(0, cap - _in_flight_locked(channel, now))] if cap else rows
    over_cap = rows[len(allowed):]
    if per_minute and allowed:
        # At most one request per interval: the first row goes if the channel's next slot has come,
        # the others are told the slots after it (estimates: a row that comes back early waits again).
        switch, _ = ChannelSwitch.objects.select_for_update().get_or_create(channel=channel)
        interval = timedelta(seconds=60 / per_minute)
        slot = max(switch.rate_next_at or now, now)
        go = allowed[:1] if slot <= now else []
        if go:
            slot = now + interval
            ChannelSwitch.objects.filter(pk=switch.pk).update(rate_next_at=slot)
        for index, row in enumerate(allowed[len(go):]):
            Delivery.objects.filter(pk=row.pk, state=Delivery.State.PENDING).update(
                next_attempt_at=slot + interval * index, enqueued_at=None, updated_at=now)
        allowed = go
    return allowed, over_cap


def deliveries_defer(*, delivery_ids: list[int]) -> None:
    """Leave these deliveries (over their channel's cap) to the sweeper, due in a moment."""
    if delivery_ids:
        now = timezone.now()
        Delivery.objects.filter(pk__in=delivery_ids, state=Delivery.State.PENDING).update(
            next_attempt_at=now + timedelta(seconds=AT_CAP_WAIT_SECONDS), enqueued_at=None, updated_at=now)


def _orders_lock(delivery_ids: list[int]) -> None:
    """Lock the orders of these deliveries, in id order (Order before its children, as everywhere).

    Two workers claiming two statuses of one order take turns: the second reads the first's row
    as in flight and waits, so the two never reach the partner together (newest wins). SQLite
    needs nothing: a claim's transaction there is `BEGIN IMMEDIATE`, one writer at a time.
    """
    if not connection.features.has_select_for_update:
        return
    among, params = one_of("id", delivery_ids)
    fetch(f"SELECT id FROM {table(Order)} WHERE id IN (SELECT order_id FROM {table(Delivery)} WHERE {among}) "  # noqa: S608
          "ORDER BY id FOR UPDATE", params)


def deliveries_claim(
    *, delivery_ids: Iterable[int], sends_at_once: int = 1, over_cap: list[int] | None = None
) -> list[ClaimedDelivery]:
    """Claim the due deliveries among these ids for this caller; the claimed rows, now SENDING.

    `sends_at_once`: how many of them the caller sends side by side (their lease covers the
    rounds that takes). Rows over their channel's cap are left to the sweeper, or, given an
    `over_cap` list, left as they were and their ids added to it. One transaction, the orders
    locked first. Safe against any number of concurrent callers: a row is claimed by one of
    them at most, and of two rows of one order and channel only one is in flight.
    """
    now = timezone.now()
    ids = sorted(set(delivery_ids))
    if not ids:
        return []
    claimed: list[ClaimedDelivery] = []
    held: list[int] = []
    with transaction.atomic():
        _orders_lock(ids)
        by_channel: dict[str, list[ClaimedDelivery]] = defaultdict(list)
        for row in _set_aside(_claim_view(ids, now), now):
            by_channel[row.channel].append(row)
        for channel, channel_rows in by_channel.items():
            ready, over = _within_limits(channel, channel_rows, now)
            held += [row.pk for row in over]
            if not ready:
                continue
            lease_until = now + timedelta(seconds=lease_seconds(-(-len(ready) // max(1, sends_at_once))))
            got = _update_returning([row.pk for row in ready], now=now, lease_until=lease_until)
            for row in ready:
                if row.pk in got:
                    row.state, row.attempts, row.lease_until = Delivery.State.SENDING, row.attempts + 1, lease_until
                    claimed.append(row)
        if over_cap is None:
            deliveries_defer(delivery_ids=held)
    if over_cap is not None:
        over_cap.extend(held)
    return sorted(claimed, key=lambda row: row.pk)
