"""Reads for operators and managers: the dashboard's figures. Nothing here writes."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime, timedelta

from django.db.models import Count, Max, Min, Q, Sum
from django.utils import timezone

from integrations.models import Channel, ChannelSwitch, Delivery, DeliveryAttempt, InboundEvent, PollRun
from orders.models import Order, StatusMapping

LAST_ERRORS = 5


@dataclass(frozen=True)
class ChannelFigures:
    channel: str
    label: str
    pending: int
    failed: int
    delivered_today: int
    paused: bool


@dataclass(frozen=True)
class Dashboard:
    orders_today: int
    orders_total: int
    channels: list[ChannelFigures]
    last_errors: list[Delivery]
    refused_today: int
    out_of_step: int
    mappings_needing_setup: int
    last_good_poll: datetime | None
    last_poll_failed: bool


def dashboard_get(*, now: datetime | None = None) -> Dashboard:
    """The admin index's figures in a fixed handful of queries."""
    now = now or timezone.now()
    today = timezone.localtime(now).replace(hour=0, minute=0, second=0, microsecond=0)
    counts = {
        row["channel"]: row
        for row in Delivery.objects.values("channel").annotate(
            pending=Count("id", filter=Q(state__in=Delivery.OPEN_STATES)),
            failed=Count("id", filter=Q(state=Delivery.State.FAILED)),
            delivered_today=Count("id", filter=Q(state=Delivery.State.DELIVERED, delivered_at__gte=today)),
        )
    }
    paused = set(ChannelSwitch.objects.filter(paused=True).values_list("channel", flat=True))
    channels = [
        ChannelFigures(channel=value, label=str(label), pending=counts.get(value, {}).get("pending", 0),
                       failed=counts.get(value, {}).get("failed", 0),
                       delivered_today=counts.get(value, {}).get("delivered_today", 0), paused=value in paused)
        for value, label in Channel.choices
    ]
    last_poll = PollRun.objects.order_by("-started_at").first()
    good_poll = PollRun.objects.filter(ok=True).order_by("-started_at").values_list("started_at", flat=True).first()
    return Dashboard(
        orders_today=Order.objects.filter(created_at__gte=today).count(),
        orders_total=Order.objects.count(),
        channels=channels,
        last_errors=list(
            Delivery.objects.filter(state=Delivery.State.FAILED).select_related("order")
            .order_by("-updated_at")[:LAST_ERRORS]
        ),
        refused_today=InboundEvent.objects.filter(
            created_at__gte=today, outcome__in=[InboundEvent.Outcome.REFUSED, InboundEvent.Outcome.FAILED]
        ).count(),
        out_of_step=Order.objects.filter(out_of_step=True).count(),
        mappings_needing_setup=StatusMapping.objects.filter(needs_setup=True).count(),
        last_good_poll=good_poll,
        last_poll_failed=bool(last_poll and not last_poll.ok),
    )



def delivery_latest_per_channel(*, order_id: int) -> list[Delivery]:
    """The newest delivery of each channel for one order (one query)."""
    latest: dict[str, Delivery] = {}
    for delivery in Delivery.objects.filter(order_id=order_id).order_by("-created_at", "-id"):
        latest.setdefault(delivery.channel, delivery)
    return sorted(latest.values(), key=lambda d: d.channel)


@dataclass(frozen=True)
class MetricsSnapshot:
    inbound: dict[tuple[str, str], int]
    deliveries: dict[tuple[str, str], int]
    latency: dict[str, tuple[list[tuple[str, int]], float]]
    queue_lag_seconds: float
    last_good_poll_timestamp: float


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
    """Everything /metrics reports, in five queries."""
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
    )
