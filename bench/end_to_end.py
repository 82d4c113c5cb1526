"""The end to end benchmark: webhook sent -> Imshop request received, at a steady rate.

Web, worker and beat (the sweeper) run; the fake partner timestamps each order's first arrival
with the wall clock, the load generator each webhook's departure, on the same machine.
Import after `django.setup()`.
"""

from __future__ import annotations

import contextlib
from collections.abc import Callable, Iterator
from typing import Any

from bench.fake_partner import PartnerClient
from bench.fixtures import body_template
from bench.load import open_loop, percentile
from bench.processes import WaitTimeoutError, wait_until
from bench.web import WEBHOOK_PATH

ARRIVAL_TIMEOUT = 60.0


def pipeline_warm(*, port: int, partner: PartnerClient, numbers: Iterator[int], alive: Callable[[], None]) -> None:
    """Send one order and wait until it reaches the partner: web, broker and worker are all up."""
    partner.reset()
    result = open_loop(port=port, path=WEBHOOK_PATH, body_for=body_template(), ids=numbers, rate=1, seconds=1,
                       senders=1)
    if not result.ok_ids:
        raise RuntimeError(f"the warm-up webhook failed: {result.summary()['error_kinds']}")
    wait_until(lambda: partner.stats()["orders"] >= 1, timeout=ARRIVAL_TIMEOUT, what="the warm-up delivery",
               interval=0.1, alive=alive)


def e2e_run(*, port: int, partner: PartnerClient, numbers: Iterator[int], rate: float, seconds: float,
            alive: Callable[[], None]) -> dict[str, Any]:
    """`rate` new orders per second for `seconds`; latency from each webhook's departure to its arrival."""
    partner.reset()
    result = open_loop(port=port, path=WEBHOOK_PATH, body_for=body_template(), ids=numbers, rate=rate,
                       seconds=seconds)
    accepted = {str(s.order_id): s.sent_at for s in result.sent if s.ok}
    with contextlib.suppress(WaitTimeoutError):  # what does not arrive is counted as missing below
        wait_until(lambda: partner.stats()["orders"] >= len(accepted), timeout=ARRIVAL_TIMEOUT,
                   what="every accepted order to reach the partner", interval=0.2, alive=alive)
    arrivals = partner.stats(arrivals=True)["arrivals"]
    latencies = [(arrivals[k] - sent) * 1000 for k, sent in accepted.items() if k in arrivals]
    web = result.summary()
    return {
        "rate": rate, "seconds": seconds, "sent": web["requests"], "accepted": len(accepted),
        "errors": web["errors"], "error_kinds": web["error_kinds"], "webhook_p50_ms": web["p50_ms"],
        "arrived": len(latencies), "missing": len(accepted) - len(latencies),
        "p50_ms": round(percentile(latencies, 50), 1), "p99_ms": round(percentile(latencies, 99), 1),
        "max_ms": round(max(latencies, default=0.0), 1),
    }
