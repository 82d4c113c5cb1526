"""Prometheus metrics at /metrics, read from the database at scrape time.

The figures come from the tables every process writes, so they are right however many web and
worker processes run (no per-process counters to aggregate).
"""

from __future__ import annotations

import ipaddress
from collections.abc import Iterator

from django.conf import settings
from django.http import HttpRequest, HttpResponse
from django.views.decorators.csrf import csrf_exempt
from django.views.decorators.http import require_GET
from prometheus_client import CONTENT_TYPE_LATEST, CollectorRegistry, generate_latest
from prometheus_client.core import GaugeMetricFamily, HistogramMetricFamily
from prometheus_client.registry import Collector

from hub.api import secret_matches
from integrations.selectors import metrics_snapshot

LATENCY_BUCKETS = (0.05, 0.1, 0.25, 0.5, 1.0, 2.5, 5.0, 10.0, 30.0)


class HubCollector(Collector):
    def collect(self) -> Iterator:
        snapshot = metrics_snapshot(latency_buckets=LATENCY_BUCKETS)
        inbound = GaugeMetricFamily("hub_inbound_requests", "Inbound requests kept, by source and outcome "
                                    "(within the retention period).", labels=["source", "outcome"])
        for (source, outcome), count in snapshot.inbound.items():
            inbound.add_metric([source, outcome], count)
        yield inbound
        deliveries = GaugeMetricFamily("hub_deliveries", "Deliveries by channel and state.",
                                       labels=["channel", "state"])
        for (channel, state), count in snapshot.deliveries.items():
            deliveries.add_metric([channel, state], count)
        yield deliveries
        latency = HistogramMetricFamily("hub_delivery_attempt_seconds",
                                        "Duration of delivery attempts in the last hour.", labels=["channel"])
        for channel, (buckets, total) in snapshot.latency.items():
            latency.add_metric([channel], buckets=buckets, sum_value=total)
        yield latency
        lag = GaugeMetricFamily("hub_delivery_queue_lag_seconds", "Age of the oldest due, unsent delivery.")
        lag.add_metric([], snapshot.queue_lag_seconds)
        yield lag
        poll = GaugeMetricFamily("hub_last_good_poll_timestamp_seconds", "When the last good shop poll began.")
        poll.add_metric([], snapshot.last_good_poll_timestamp)
        yield poll
        if snapshot.wakeup_relay is not None:
            relay = GaugeMetricFamily("hub_delivery_wakeup_relay",
                                      "1 while a worker listens for new deliveries (DELIVERY_WAKEUP=notify); at 0 "
                                      "they wait for the sweeper, DELIVERY_REQUEUE_AFTER.")
            relay.add_metric([], 1.0 if snapshot.wakeup_relay else 0.0)
            yield relay


def _allowed(request: HttpRequest) -> bool:
    if settings.METRICS_TOKEN:
        header = request.headers.get("Authorization", "")
        return header.startswith("Bearer ") and secret_matches(header[7:], settings.METRICS_TOKEN)
    if not settings.DEBUG:
        return False  # a reverse proxy on the same host would make every caller look like loopback
    try:
        return ipaddress.ip_address(request.META.get("REMOTE_ADDR", "")).is_loopback
    except ValueError:
        return False


@csrf_exempt  # a GET endpoint for machines: another method is a 405, not a CSRF page
@require_GET
def metrics(request: HttpRequest) -> HttpResponse:
    if not _allowed(request):
        return HttpResponse("Forbidden: set METRICS_TOKEN and send it as a bearer token.\n", status=403,
                            content_type="text/plain")
    registry = CollectorRegistry()
    registry.register(HubCollector())
    return HttpResponse(generate_latest(registry), content_type=CONTENT_TYPE_LATEST)
