"""Reads for operators and managers: the dashboard's figures. Nothing here writes."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime, timedelta

from django.db.models import Count, Max, Min, Q, Sum
from django.utils import timezone

from integrations.models import InboundEvent, PollRun
from orders.models import ChannelSwitch, Delivery, DeliveryAttempt, Order, StatusMapping
from orders.partners import partners
from orders.selectors import deliveries_open_failures
from orders.services.wakeups import wakeup_by_notify, wakeup_relay_listening

OPEN_FAILURES_SHOWN = 10
FAILING_POLLS_SCAN = 20


@dataclass(frozen=True)
class ChannelFigures:
    channel: str
    label: str
    pending: int
    failed: int
    delivered_today: int
    paused: bool
    paused_since: datetime | None = None


@dataclass(frozen=True)
class OrderFailure:
    """An order with at least one partner whose newest delivery failed."""

    order: Order
    channels: list[str]
    last_error: str
    failed_at: datetime


@dataclass(frozen=True)
class Dashboard:
    orders_today: int
    orders_total: int
    channels: list[ChannelFigures]
    open_failures: list[OrderFailure]
    open_failure_orders: int
    refused_today: int
    out_of_step: int
    mappings_needing_setup: int
    last_good_poll: datetime | None
    last_poll_failed: bool
    failing_polls: int = 0
    last_poll_error: str = ""

    @property
    def paused_channels(self) -> list[ChannelFigures]:
        return [c for c in self.channels if c.paused]

    @property
    def needs_attention(self) -> bool:
        return bool(self.open_failure_orders or self.out_of_step or self.paused_channels or self.last_poll_failed
                    or self.mappings_needing_setup)


def _open_failures_by_order(limit: int) -> tuple[list[OrderFailure], int]:
    failures = deliveries_open_failures()
    order_ids = list(failures.values("order_id").annotate(last=Max("updated_at")).order_by("-last")
                     .values_list("order_id", flat=True)[:limit])
    rows = failures.filter(order_id__in=order_ids).select_related("order").order_by("-updated_at", "-id")
    grouped: dict[int, OrderFailure] = {}
    for row in rows:
        if row.order_id in grouped:
            grouped[row.order_id].channels.append(row.channel_label)
        else:
            grouped[row.order_id] = OrderFailure(order=row.order, channels=[row.channel_label],
                                                 last_error=row.last_error, failed_at=row.updated_at)
    total = failures.values("order_id").distinct().count() if len(order_ids) == limit else len(order_ids)
    return [grouped[i] for i in order_ids if i in grouped], total


def _failing_polls() -> tuple[int, str]:
    """How many of the latest polls failed in a row, and the last one's error."""
    recent = list(PollRun.objects.order_by("-started_at", "-id").values_list("ok", "error")[:FAILING_POLLS_SCAN])
    failing = 0
    for ok, _error in recent:
        if ok:
            break
        failing += 1
    return failing, (recent[0][1] if failing else "")


def dashboard_get(*, now: datetime | None = None) -> Dashboard:
    """The admin index's figures in a fixed handful of queries; only what is still wrong is counted."""
    now = now or timezone.now()
    today = timezone.localtime(now).replace(hour=0, minute=0, second=0, microsecond=0)
    counts = {
        row["channel"]: row
        for row in Delivery.objects.values("channel").annotate(
            pending=Count("id", filter=Q(state__in=Delivery.OPEN_STATES)),
            delivered_today=Count("id", filter=Q(state=Delivery.State.DELIVERED, delivered_at__gte=today)),
        )
    }
    failed = dict(deliveries_open_failures().values("channel").annotate(n=Count("id")).values_list("channel", "n"))
    paused = dict(ChannelSwitch.objects.filter(paused=True).values_list("channel", "changed_at"))
    channels = [
        ChannelFigures(channel=value, label=partners.label(value), pending=counts.get(value, {}).get("pending", 0),
                       failed=failed.get(value, 0), delivered_today=counts.get(value, {}).get("delivered_today", 0),
                       paused=value in paused, paused_since=paused.get(value))
        for value in [channel for partner in partners.all() for channel in partner.channels()]
    ]
    good_poll = PollRun.objects.filter(ok=True).order_by("-started_at").values_list("started_at", flat=True).first()
    failing_polls, poll_error = _failing_polls()
    open_failures, open_failure_orders = _open_failures_by_order(OPEN_FAILURES_SHOWN)
    return Dashboard(
        orders_today=Order.objects.filter(created_at__gte=today).count(),
        orders_total=Order.objects.count(),
        channels=channels,
        open_failures=open_failures,
        open_failure_orders=open_failure_orders,
        refused_today=InboundEvent.objects.filter(
            created_at__gte=today, outcome__in=[InboundEvent.Outcome.REFUSED, InboundEvent.Outcome.FAILED]
        ).count(),
        out_of_step=Order.objects.filter(out_of_step=True).count(),
        mappings_needing_setup=StatusMapping.objects.filter(needs_setup=True).count(),
        last_good_poll=good_poll,
        last_poll_failed=failing_polls > 0,
        failing_polls=failing_polls,
        last_poll_error=poll_error,
    )


@dataclass(frozen=True)
class MetricsSnapshot:
    inbound: dict[tuple[str, str], int]
    deliveries: dict[tuple[str, str], int]
    latency: dict[str, tuple[list[tuple[str, int]], float]]
    queue_lag_seconds: float
    last_good_poll_timestamp: float
    # Whether a worker listens for the delivery wake-ups; None when requests publish their own tasks.
    wakeup_relay: bool | None = None


def _latency(buckets: tuple[float, ...], since: datetime) -> dict[str, tuple[list[tuple[str, int]], float]]:
    """Cumulative attempt-duration buckets per channel, in one query."""
    aggregates = {f"le_{i}": Count("id", filter=Q(duration_ms__lte=int(b * 1000))) for i, b in enumerate(buckets)}
    rows = (DeliveryAttempt.objects.filter(started_at__gte=since).values("delivery__channel")
            .annotate(total=Count("id"), total_ms=Sum("duration_ms"), **aggregates))
    result = {}
    for row in rows:
        pairs = [(str(b), row[f"le_{i}"]) for i, b in enumerate(buckets)] + [("+Inf", row["total"])]
        result[row["delivery__channel"]] = (pairs, (row["total_ms"] or 0) / 1000)
    return result


def metrics_snapshot(*, latency_buckets: tuple[float, ...], now: datetime | None = None) -> MetricsSnapshot:
    """Everything /metrics reports, in five queries (six with the wake-up relay's lock)."""
    now = now or timezone.now()
    inbound = {(r["source"], r["outcome"]): r["n"]
               for r in InboundEvent.objects.values("source", "outcome").annotate(n=Count("id"))}
    deliveries = {(r["channel"], r["state"]): r["n"]
                  for r in Delivery.objects.values("channel", "state").annotate(n=Count("id"))}
    oldest = Delivery.objects.filter(state=Delivery.State.PENDING, next_attempt_at__lte=now).aggregate(
        oldest=Min("next_attempt_at"))["oldest"]
    good_poll = PollRun.objects.filter(ok=True).aggregate(last=Max("started_at"))
    return MetricsSnapshot(
        inbound=inbound, deliveries=deliveries,
        latency=_latency(latency_buckets, now - timedelta(hours=1)),
        queue_lag_seconds=(now - oldest).total_seconds() if oldest else 0.0,
        last_good_poll_timestamp=good_poll["last"].timestamp() if good_poll["last"] else 0.0,
        wakeup_relay=wakeup_relay_listening() if wakeup_by_notify() else None,
    )
