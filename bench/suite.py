"""One benchmark run: start the processes, run each benchmark in turn, and collect the figures.

Order: a check that the fake partner answers many requests at once, growth (on an empty database),
ceiling and ingest (web only), then the Celery worker drains what ingest queued, dispatch and end
to end against a fast partner, then at each partner latency a burst and a steady rate, two worker
processes draining a burst, and the long drain for memory. Beat (the sweeper) runs with the
worker from the first drain on, as in production: rows a worker leaves for later (a channel at
its cap, a retry) are queued again by it.
Import after `django.setup()`.
"""

from __future__ import annotations

import sys
import threading
import time
from collections.abc import Callable
from dataclasses import dataclass
from functools import partial
from typing import Any

from bench.burst import burst_run
from bench.dispatch import dispatch_ceiling, dispatch_run, drain_wait, memory_drain, open_deliveries
from bench.end_to_end import e2e_run, pipeline_warm
from bench.environment import BenchEnvironment
from bench.fake_partner import PartnerClient, concurrency_check
from bench.fixtures import OrderNumbers
from bench.growth import growth_run
from bench.processes import (
    PYTHON,
    CpuMeter,
    ProcessGroup,
    celery_beat_argv,
    celery_worker_argv,
    child_pids,
    cpu_seconds,
    gunicorn_argv,
    http_ok,
    loadavg,
    rss_mb,
    wait_until,
)
from bench.profiling import Profiler
from bench.web import ServerCpu, ceiling_run, ingest_run
from orders.models import Delivery

START_TIMEOUT = 60.0
# Without remote control (the embedded broker) a worker cannot be pinged: this long covers its start.
SECOND_WORKER_BOOT_SECONDS = 8.0


@dataclass(frozen=True)
class Options:
    """What to run, and how big (the command line's flags)."""

    seconds: float
    concurrency: int
    dispatch_n: int
    drain_n: int
    drain_chunk: int
    e2e_rate: float
    e2e_seconds: float
    growth_sizes: list[int]
    query_sizes: list[int]
    round_trips: int
    web_workers: int
    web_threads: int
    profile: bool
    profile_gil: bool
    latencies: list[float]
    burst_n: int
    burst_concurrency: int
    steady_rate: float
    steady_seconds: float
    scale_n: int
    worker_pool: str
    worker_concurrency: int
    partner_check: int


def worker_answers(host: str) -> bool:
    """Whether the worker named `host@...` answers a ping over the broker (it is consuming)."""
    from hub.celery import app

    replies = app.control.ping(timeout=1.0) or []
    return any(name.startswith(f"{host}@") for reply in replies for name in reply)


class Memory:
    """RSS samples of the largest gunicorn worker and of the Celery worker; `warm` marks the baseline."""

    def __init__(self) -> None:
        self.web: list[dict[str, Any]] = []
        self.worker: list[dict[str, Any]] = []

    def web_sample(self, when: str, master: int, *, warm: bool = False) -> None:
        sizes = [rss_mb(pid) for pid in child_pids(master)]
        self.web.append({"when": when, "mb": round(max(sizes, default=0.0), 1), "warm": warm,
                         "workers": [round(s, 1) for s in sizes]})

    def worker_sample(self, when: str, pid: int, *, warm: bool = False) -> None:
        self.worker.append({"when": when, "mb": round(rss_mb(pid), 1), "warm": warm})


class Suite:
    """The processes and the benchmarks of one run; `run()` returns the figures."""

    def __init__(self, *, options: Options, env: BenchEnvironment, group: ProcessGroup) -> None:
        self.o, self.env, self.group = options, env, group
        self.numbers = OrderNumbers()
        self.partner = PartnerClient(env.partner_port)
        self.memory = Memory()
        self.profiler = Profiler(group=group, out_dir=env.log_dir.parent / f"{env.name}-profiles",
                                 gil=options.profile_gil) if options.profile or options.profile_gil else None
        self.results: dict[str, Any] = {"profiles": {}, "stage_seconds": {}}
        self.began = time.monotonic()

    def alive(self) -> None:
        """Raise ProcessFailedError if any process the benchmarks rely on has died."""
        for name in ("partner", "web", "worker", "worker-b", "beat"):
            if self.group.running(name):
                self.group.check(name)

    def _start(self, name: str, argv: list[str], ready_url: str) -> None:
        self.group.start(name, argv)
        wait_until(lambda: http_ok(ready_url), timeout=START_TIMEOUT, what=f"{name} to answer", interval=0.2,
                   alive=lambda: self.group.check(name))

    def say(self, message: str) -> None:
        print(f"[bench {time.monotonic() - self.began:6.1f} s] {message}", file=sys.stderr, flush=True)

    def stage(self, name: str, function: Callable[[], None]) -> None:
        """Run one benchmark, saying when it starts and keeping how long it took."""
        self.say(f"{name}...")
        began = time.monotonic()
        function()
        self.results["stage_seconds"][name] = round(time.monotonic() - began, 1)

    def run(self) -> dict[str, Any]:
        """Every benchmark in turn; the figures as one dict (see bench/report.py)."""
        o = self.o
        self.results["loadavg"] = {"start": loadavg()}
        self.stage("start partner and web", self._start_web)
        master = self.group.pid("web")
        self.memory.web_sample("start", master)
        if o.partner_check:
            self.stage("fake partner answers many at once", self._partner_check)
        self.stage("growth", self._growth)
        self.memory.web_sample("after growth", master)
        self.stage("ceiling", lambda: self._ceiling(master))
        self.stage("ingest", lambda: self._ingest(master))
        self.stage("worker drains ingest's deliveries", self._worker_start)
        self.stage("dispatch", self._dispatch)
        self.stage("end to end", lambda: self._end_to_end(master))
        self.results["latency"] = []
        for latency in o.latencies:
            self.stage(f"burst and steady rate, partner at {latency:g} ms", partial(self._latency, latency))
        if o.scale_n > 0:
            self.stage("two worker processes drain a burst", self._scale_out)
        if o.drain_n > 0:
            self.stage(f"drain {o.drain_n:,} deliveries", self._drain)
        self.memory.web_sample("end", master)
        self.results["memory"] = {"web": self.memory.web, "worker": self.memory.worker}
        self.results["loadavg"]["end"] = loadavg()
        return self.results

    def _start_web(self) -> None:
        self._start("partner", [PYTHON, "-m", "bench.fake_partner", "--port", str(self.env.partner_port),
                                "--latency-ms", "0"], f"{self.partner.base}/stats")
        self._start("web", gunicorn_argv(port=self.env.web_port, workers=self.o.web_workers,
                                         threads=self.o.web_threads), f"http://127.0.0.1:{self.env.web_port}/healthz")

    def _partner_check(self) -> None:
        latency = max(self.o.latencies, default=0.0) or 200.0
        self.results["partner_check"] = concurrency_check(partner=self.partner, concurrency=self.o.partner_check,
                                                          latency_ms=latency)

    def _server_cpu(self, master: int) -> ServerCpu:
        return ServerCpu(master=master, database=self.env.database_name if self.env.vendor == "postgresql" else None)

    def _growth(self) -> None:
        self.results["growth"] = growth_run(
            port=self.env.web_port, numbers=self.numbers.block(), bulk_numbers=self.numbers.block(),
            timing_sizes=self.o.growth_sizes, query_sizes=self.o.query_sizes, round_trips=self.o.round_trips)

    def _ceiling(self, master: int) -> None:
        self.results["ceiling"] = ceiling_run(port=self.env.web_port, numbers=self.numbers.block(),
                                              concurrency=self.o.concurrency, seconds=self.o.seconds,
                                              server=self._server_cpu(master))

    def _ingest(self, master: int) -> None:
        sampler = threading.Timer(self.o.seconds / 2 + 1, self.memory.web_sample,
                                  args=("mid-ingest", master), kwargs={"warm": True})
        profiling = self.profiler is not None and self.profiler.start("ingest", master, subprocesses=True)
        sampler.start()
        try:
            self.results["ingest"] = ingest_run(port=self.env.web_port, numbers=self.numbers.block(),
                                                concurrency=self.o.concurrency, seconds=self.o.seconds,
                                                server=self._server_cpu(master))
        finally:
            sampler.cancel()
            if profiling and self.profiler is not None:
                self.results["profiles"]["ingest (gunicorn workers)"] = self.profiler.stop("ingest")
        self.memory.web_sample("after ingest", master)

    def _worker_start(self) -> None:
        """The worker and beat (the sweeper), as production runs them, from here to the end."""
        self.group.start("worker", self._worker_argv("bench-a"))
        self.group.start("beat", celery_beat_argv())
        worker = self.group.pid("worker")
        if open_deliveries():
            wait_until(lambda: Delivery.objects.exclude(state__in=Delivery.OPEN_STATES).exists(),
                       timeout=START_TIMEOUT, what="the worker's first delivery", alive=self.alive)
        self.memory.worker_sample("start", worker)
        drain_wait(expected_rate=50, alive=self.alive)
        self.memory.worker_sample("after ingest", worker)

    def _dispatch(self) -> None:
        worker = self.group.pid("worker")
        self.partner.reset()
        profiling = self.profiler is not None and self.profiler.start("dispatch", worker)
        meter = CpuMeter()
        meter.start()
        used = cpu_seconds([worker])
        try:
            dispatch = dispatch_run(numbers=self.numbers.block(), count=self.o.dispatch_n, alive=self.alive)
            dispatch["cpu_pct"] = meter.stop()
            dispatch["worker_cpu_ms_per_delivery"] = round(
                1000 * (cpu_seconds([worker]) - used) / max(1, dispatch["delivered"]), 1)
            dispatch["loadavg"] = loadavg()
        finally:
            if profiling and self.profiler is not None:
                self.results["profiles"]["dispatch (Celery worker)"] = self.profiler.stop("dispatch")
        dispatch["partner_received"] = self.partner.stats()["orders"]
        dispatch["ceiling"] = dispatch_ceiling(partner=self.partner, first=dispatch["first_id"],
                                               last=dispatch["last_id"])
        self.results["dispatch"] = dispatch
        self.memory.worker_sample("after dispatch", worker)

    def _worker_argv(self, host: str) -> list[str]:
        return celery_worker_argv(pool=self.o.worker_pool, concurrency=self.o.worker_concurrency, host=host)

    def _end_to_end(self, master: int) -> None:
        """Fast partner: a steady rate end to end."""
        pipeline_warm(port=self.env.web_port, partner=self.partner, numbers=self.numbers.block(), alive=self.alive)
        meter = CpuMeter()
        meter.start()
        self.results["e2e"] = e2e_run(port=self.env.web_port, partner=self.partner, numbers=self.numbers.block(),
                                      rate=self.o.e2e_rate, seconds=self.o.e2e_seconds, alive=self.alive)
        self.results["e2e"]["cpu_pct"] = meter.stop()
        self.memory.web_sample("after e2e", master)
        self.memory.worker_sample("after e2e", self.group.pid("worker"))

    def _burst(self, *, latency: float, count: int, workers: list[int], requeue_all: bool) -> dict[str, Any]:
        meter = CpuMeter()
        meter.start()
        burst = burst_run(port=self.env.web_port, partner=self.partner, numbers=self.numbers.block(), count=count,
                          latency_ms=latency, workers=workers, concurrency=self.o.burst_concurrency,
                          alive=self.alive, requeue_all=requeue_all,
                          database=self.env.database_name if self.env.vendor == "postgresql" else None)
        burst["cpu_pct"] = meter.stop()
        return burst

    def _latency(self, latency: float) -> None:
        """At this partner latency: a burst of new orders, then a steady rate end to end."""
        worker = self.group.pid("worker")
        figures: dict[str, Any] = {"latency_ms": latency}
        if self.o.burst_n > 0:
            self.memory.worker_sample(f"before burst at {latency:g} ms", worker)
            profiling = self.profiler is not None and self.profiler.start(f"burst-{latency:g}ms", worker)
            try:
                figures["burst"] = self._burst(latency=latency, count=self.o.burst_n, workers=[worker],
                                               requeue_all=False)
            finally:
                if profiling and self.profiler is not None:
                    self.results["profiles"][f"burst at {latency:g} ms (Celery worker)"] = \
                        self.profiler.stop(f"burst-{latency:g}ms")
            self.memory.worker_sample(f"after burst at {latency:g} ms", worker)
        if self.o.steady_seconds > 0:
            meter = CpuMeter()
            meter.start()
            figures["steady"] = e2e_run(port=self.env.web_port, partner=self.partner, numbers=self.numbers.block(),
                                        rate=self.o.steady_rate, seconds=self.o.steady_seconds, alive=self.alive,
                                        latency_ms=latency)
            figures["steady"]["cpu_pct"] = meter.stop()
        self.results["latency"].append(figures)
        self.partner.reset(latency_ms=0)

    def _scale_out(self) -> None:
        """Two worker processes (one per host) drain a burst in which every row is queued twice."""
        latency = max(self.o.latencies, default=0.0)
        self.group.start("worker-b", self._worker_argv("bench-b"))
        try:
            self._second_worker_wait()
            workers = [self.group.pid("worker"), self.group.pid("worker-b")]
            self.results["scale_out"] = self._burst(latency=latency, count=self.o.scale_n, workers=workers,
                                                    requeue_all=True)
        finally:
            self.group.stop("worker-b")
        self.partner.reset(latency_ms=0)

    def _second_worker_wait(self) -> None:
        from hub.celery import app

        if app.conf.worker_enable_remote_control:
            wait_until(lambda: worker_answers("bench-b"), timeout=START_TIMEOUT, what="the second worker to start",
                       interval=0.2, alive=self.alive)
            return
        # The embedded broker has no remote control to ping: give the worker the time it takes to start.
        deadline = time.monotonic() + SECOND_WORKER_BOOT_SECONDS
        while time.monotonic() < deadline:
            self.alive()
            self.group.check("worker-b")
            time.sleep(0.2)

    def _drain(self) -> None:
        worker, n = self.group.pid("worker"), self.o.drain_n
        half = n // 2

        def progress(settled: int) -> None:
            warm = not any(s["warm"] for s in self.memory.worker) and settled >= half
            self.memory.worker_sample(f"drain {settled:,}", worker, warm=warm)

        self.results["drain"] = memory_drain(numbers=self.numbers.block(), count=n, chunk=self.o.drain_chunk,
                                             alive=self.alive, on_progress=progress)
        self.memory.worker_sample(f"after {n:,} drained", worker)
