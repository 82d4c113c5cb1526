"""HTTP load in Python: a closed loop (fixed concurrency for a fixed time) and an open loop (fixed rate).

Each sender thread keeps a keep-alive `http.client` connection (renewed every few requests):
lighter than `requests`, so the generator takes as little as it can of the two cores it shares
with the server.
"""

from __future__ import annotations

import http.client
import itertools
import math
import queue
import threading
import time
from collections import Counter
from collections.abc import Callable, Iterator
from dataclasses import dataclass, field
from typing import Any

from bench.processes import process_cpu_seconds

REQUEST_TIMEOUT = 30.0


def percentile(values: list[float], q: float) -> float:
    """The nearest-rank `q` percentile (0-100) of `values`; 0.0 for none."""
    if not values:
        return 0.0
    ordered = sorted(values)
    rank = max(1, math.ceil(q / 100 * len(ordered)))
    return ordered[rank - 1]


@dataclass
class Sent:
    """One request: the order it carried, when it left (wall clock), how long it took, its status."""

    order_id: int
    sent_at: float
    latency_ms: float
    status: int  # 0: no answer (connection error or time-out)
    error: str = ""

    @property
    def ok(self) -> bool:
        return 200 <= self.status < 300


@dataclass
class LoadResult:
    """The outcome of one load run: throughput, latency and errors."""

    concurrency: int
    seconds: float
    sent: list[Sent] = field(repr=False, default_factory=list)
    cpu_seconds: float = 0.0  # used by the load generator itself
    cpu: dict[str, int] = field(default_factory=dict)  # the machine's CPU by kind (processes.CpuMeter)

    @property
    def ok_ids(self) -> list[int]:
        return [s.order_id for s in self.sent if s.ok]

    def summary(self) -> dict[str, Any]:
        latencies = [s.latency_ms for s in self.sent]
        errors = Counter(s.error or f"HTTP {s.status}" for s in self.sent if not s.ok)
        return {
            "concurrency": self.concurrency, "seconds": round(self.seconds, 2), "requests": len(self.sent),
            "ok": len(self.sent) - sum(errors.values()), "errors": sum(errors.values()),
            "error_kinds": dict(errors.most_common(5)),
            "rps": round(len(self.sent) / self.seconds, 1) if self.seconds else 0.0,
            "p50_ms": round(percentile(latencies, 50), 1), "p99_ms": round(percentile(latencies, 99), 1),
            "max_ms": round(max(latencies, default=0.0), 1),
            "loadgen_cpu_pct": round(100 * self.cpu_seconds / self.seconds, 1) if self.seconds else 0.0,
            "cpu_pct": self.cpu,
        }


# A sender opens a new connection after this many requests. A keep-alive connection stays with the
# web worker that accepted it, and which worker accepts is chance: with 16 connections kept for a
# whole run, one of two gunicorn workers could hold most of them and, one process being one core
# under the GIL, the run measured one core instead of two (ingest/ceiling ratios of 0.13 to 0.37 in
# one hour). Reconnecting spreads the load as a proxy's connection pool does, for the ceiling too.
RECONNECT_EVERY = 20


class Sender:
    """One keep-alive connection to the server under test, renewed every RECONNECT_EVERY requests."""

    def __init__(self, *, port: int, method: str, path: str, headers: dict[str, str]) -> None:
        self._port, self._method, self._path, self._headers = port, method, path, headers
        self._conn = self._connect()
        self._sent = 0

    def _connect(self) -> http.client.HTTPConnection:
        return http.client.HTTPConnection("127.0.0.1", self._port, timeout=REQUEST_TIMEOUT)

    def send(self, order_id: int, body: bytes) -> Sent:
        self._sent += 1
        if self._sent % RECONNECT_EVERY == 0:
            self._conn.close()
            self._conn = self._connect()
        sent_at, started = time.time(), time.perf_counter()
        try:
            self._conn.request(self._method, self._path, body=body, headers=self._headers)
            response = self._conn.getresponse()
            response.read()
            status, error = response.status, ""
        except (OSError, http.client.HTTPException) as exc:
            status, error = 0, exc.__class__.__name__
            self._conn.close()
            self._conn = self._connect()
        return Sent(order_id, sent_at, (time.perf_counter() - started) * 1000, status, error)

    def close(self) -> None:
        self._conn.close()


def closed_loop(*, port: int, path: str, body_for: Callable[[int], bytes], ids: Iterator[int], concurrency: int,
                seconds: float, method: str = "PUT") -> LoadResult:
    """`concurrency` senders, each sending its next request as soon as the last one is answered."""
    headers = {"Content-Type": "application/json", "Connection": "keep-alive"}
    results: list[list[Sent]] = [[] for _ in range(concurrency)]
    lock = threading.Lock()
    start = threading.Barrier(concurrency + 1)
    deadline = [0.0]

    def run(slot: int) -> None:
        sender = Sender(port=port, method=method, path=path, headers=headers)
        start.wait()
        try:
            while time.monotonic() < deadline[0]:
                with lock:
                    order_id = next(ids)
                results[slot].append(sender.send(order_id, body_for(order_id)))
        finally:
            sender.close()

    threads = [threading.Thread(target=run, args=(i,), daemon=True) for i in range(concurrency)]
    for thread in threads:
        thread.start()
    cpu, began = process_cpu_seconds(), time.monotonic()
    deadline[0] = began + seconds
    start.wait()
    for thread in threads:
        thread.join(timeout=seconds + REQUEST_TIMEOUT + 5)
    elapsed = time.monotonic() - began
    return LoadResult(concurrency, elapsed, list(itertools.chain(*results)), process_cpu_seconds() - cpu)


def _senders(*, count: int, port: int, path: str, method: str, body_for: Callable[[int], bytes],
             jobs: queue.Queue[int | None]) -> tuple[list[threading.Thread], list[list[Sent]]]:
    """`count` sender threads (not started) that send each order id taken from `jobs` until a None."""
    headers = {"Content-Type": "application/json", "Connection": "keep-alive"}
    results: list[list[Sent]] = [[] for _ in range(count)]

    def run(slot: int) -> None:
        sender = Sender(port=port, method=method, path=path, headers=headers)
        try:
            while (order_id := jobs.get()) is not None:
                results[slot].append(sender.send(order_id, body_for(order_id)))
        finally:
            sender.close()

    return [threading.Thread(target=run, args=(i,), daemon=True) for i in range(count)], results


def open_loop(*, port: int, path: str, body_for: Callable[[int], bytes], ids: Iterator[int], rate: float,
              seconds: float, senders: int = 8, method: str = "PUT") -> LoadResult:
    """`rate` requests per second for `seconds`, on schedule whatever the answers take (up to `senders` at once)."""
    jobs: queue.Queue[int | None] = queue.Queue()
    threads, results = _senders(count=senders, port=port, path=path, method=method, body_for=body_for, jobs=jobs)
    for thread in threads:
        thread.start()
    cpu, began = process_cpu_seconds(), time.monotonic()
    for k in range(max(1, int(rate * seconds))):
        time.sleep(max(0.0, began + k / rate - time.monotonic()))
        jobs.put(next(ids))
    for _ in threads:
        jobs.put(None)
    for thread in threads:
        thread.join(timeout=REQUEST_TIMEOUT + 5)
    elapsed = time.monotonic() - began
    return LoadResult(senders, elapsed, list(itertools.chain(*results)), process_cpu_seconds() - cpu)


def send_all(*, port: int, path: str, body_for: Callable[[int], bytes], ids: list[int], concurrency: int,
             method: str = "PUT") -> LoadResult:
    """Send exactly `ids`, `concurrency` at a time, each sender's next as soon as its last is answered (a burst)."""
    jobs: queue.Queue[int | None] = queue.Queue()
    for order_id in ids:
        jobs.put(order_id)
    for _ in range(concurrency):
        jobs.put(None)
    threads, results = _senders(count=concurrency, port=port, path=path, method=method, body_for=body_for,
                                jobs=jobs)
    cpu, began = process_cpu_seconds(), time.monotonic()
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(timeout=len(ids) * REQUEST_TIMEOUT + 5)
    elapsed = time.monotonic() - began
    return LoadResult(concurrency, elapsed, list(itertools.chain(*results)), process_cpu_seconds() - cpu)
