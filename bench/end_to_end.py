"""The end to end benchmark: webhook sent -> Imshop request received, at a steady rate (and partner latency).

Web, worker and beat (the sweeper) run; the fake partner timestamps each order's first arrival
with the wall clock, the load generator each webhook's departure, on the same machine.
Import after `django.setup()`.
"""

from __future__ import annotations

import contextlib
from collections.abc import Callable, Iterator
from typing import Any

from bench.burst import exactly_once, latencies_summary
from bench.fake_partner import PartnerClient
from bench.fixtures import body_template
from bench.load import open_loop
from bench.processes import WaitTimeoutError, loadavg, wait_until
from bench.web import WEBHOOK_PATH

ARRIVAL_TIMEOUT = 60.0


def pipeline_warm(*, port: int, partner: PartnerClient, numbers: Iterator[int], alive: Callable[[], None]) -> None:
    """Send one order and wait until it reaches the partner: web, broker and worker are all up."""
    partner.reset()
    result = open_loop(port=port, path=WEBHOOK_PATH, body_for=body_template(), ids=numbers, rate=1, seconds=1,
                       senders=1)
    if not result.ok_ids:
        raise RuntimeError(f"the warm-up webhook failed: {result.summary()['error_kinds']}")
    wait_until(lambda: partner.stats()["answered_orders"] >= 1, timeout=ARRIVAL_TIMEOUT, what="the warm-up delivery",
               interval=0.1, alive=alive)


def e2e_run(*, port: int, partner: PartnerClient, numbers: Iterator[int], rate: float, seconds: float,
            alive: Callable[[], None], latency_ms: float = 0.0, senders: int = 16) -> dict[str, Any]:
    """`rate` new orders per second for `seconds`; latency from each webhook's departure to its arrival.

    The partner answers after `latency_ms`; each order must reach it exactly once.
    """
    partner.reset(latency_ms=latency_ms)
    result = open_loop(port=port, path=WEBHOOK_PATH, body_for=body_template(), ids=numbers, rate=rate,
                       seconds=seconds, senders=senders)
    accepted = {str(s.order_id): s.sent_at for s in result.sent if s.ok}
    with contextlib.suppress(WaitTimeoutError):  # what does not arrive is counted as missing below
        wait_until(lambda: partner.stats()["answered_orders"] >= len(accepted), timeout=ARRIVAL_TIMEOUT,
                   what="every accepted order to reach the partner", interval=0.2, alive=alive)
    stats = partner.stats(arrivals=True)
    web = result.summary()
    figures = {
        "rate": rate, "seconds": seconds, "sent": web["requests"], "accepted": len(accepted),
        "errors": web["errors"], "error_kinds": web["error_kinds"], "webhook_p50_ms": web["p50_ms"],
        "webhook_p99_ms": web["p99_ms"], "peak_in_flight": stats["peak_in_flight"],
        **latencies_summary(accepted=accepted, stats=stats, latency_ms=latency_ms),
    }
    once = exactly_once(order_ids=list(accepted), stats=stats)
    figures.update(sent_twice=once["sent_twice"], attempt_rows=once["attempt_rows"],
                   deliveries_with_several_attempts=once["deliveries_with_several_attempts"], loadavg=loadavg())
    return figures
