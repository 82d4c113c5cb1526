"""A local stand-in for Imshop: answers every status sync with Imshop's success JSON, after a latency.

Run it as `python -m bench.fake_partner --port N [--latency-ms MS]`. Each request is answered on a
thread of its own, after sleeping the latency (a real partner takes 100-500 ms), so requests are
never serialised: 200 at once all answer after about one latency. It counts the requests of each
order (`id` in the body) and timestamps each order's first arrival and first answer (wall clock),
so the benchmarks can match arrivals to webhooks and check that no order was sent twice.

    POST /imshop/status       -> 200 and the success answer from tests/fixtures, after the latency
    GET  /stats               -> {"requests", "orders", "answered_orders", "repeated", "peak_in_flight",
                                 "latency_ms"};
                                 with ?arrivals=1 also "arrivals" and "answered" ({id: time}) and
                                 "counts" ({id: requests}, orders received more than once only)
    POST /reset[?latency_ms=] -> forget everything received so far (and set a new latency)
"""

from __future__ import annotations

import argparse
import http.client
import json
import threading
import time
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path
from typing import Any
from urllib.parse import parse_qs, urlsplit

import requests

SUCCESS_FIXTURE = Path(__file__).resolve().parent.parent / "tests" / "fixtures" / "imshop_status_response.json"
STATUS_PATH = "/imshop/status"


class Arrivals:
    """What the partner received: per-order counts, first arrival and first answer, requests in flight."""

    def __init__(self) -> None:
        self._lock = threading.Lock()
        self.requests = 0
        self.counts: dict[str, int] = {}
        self.first_seen: dict[str, float] = {}
        self.answered: dict[str, float] = {}
        self.in_flight = self.peak_in_flight = 0

    def record(self, order_id: str, at: float) -> None:
        """A request for `order_id` arrived at `at`; it is in flight until `done`."""
        with self._lock:
            self.requests += 1
            self.counts[order_id] = self.counts.get(order_id, 0) + 1
            self.first_seen.setdefault(order_id, at)
            self.in_flight += 1
            self.peak_in_flight = max(self.peak_in_flight, self.in_flight)

    def done(self, order_id: str, at: float) -> None:
        with self._lock:
            self.in_flight -= 1
            self.answered.setdefault(order_id, at)

    def reset(self) -> None:
        with self._lock:
            self.requests, self.counts, self.first_seen, self.answered = 0, {}, {}, {}
            self.peak_in_flight = self.in_flight

    def snapshot(self, *, arrivals: bool) -> dict[str, Any]:
        with self._lock:
            data: dict[str, Any] = {
                "requests": self.requests, "orders": len(self.first_seen), "answered_orders": len(self.answered),
                "repeated": sum(1 for n in self.counts.values() if n > 1), "peak_in_flight": self.peak_in_flight,
            }
            if arrivals:
                data["arrivals"] = dict(self.first_seen)
                data["answered"] = dict(self.answered)
                data["counts"] = {k: n for k, n in self.counts.items() if n > 1}
        return data


class PartnerHandler(BaseHTTPRequestHandler):
    """Keep-alive HTTP/1.1, no logging, one thread per connection: the partner must never be the bottleneck."""

    protocol_version = "HTTP/1.1"
    # Headers and body go out in two writes: without TCP_NODELAY, Nagle and delayed ACKs add 40 ms.
    disable_nagle_algorithm = True
    server: PartnerServer

    def _reply(self, status: int, body: bytes) -> None:
        self.send_response(status)
        self.send_header("Content-Type", "application/json")
        self.send_header("Content-Length", str(len(body)))
        self.end_headers()
        self.wfile.write(body)

    def do_POST(self) -> None:  # noqa: N802 - the http.server API
        at = time.time()
        body = self.rfile.read(int(self.headers.get("Content-Length") or 0))
        parts = urlsplit(self.path)
        if parts.path == STATUS_PATH:
            try:
                order_id = str(json.loads(body).get("id", ""))
            except (ValueError, AttributeError):
                self._reply(400, b'{"success": false, "message": "bad JSON"}')
                return
            arrivals = self.server.arrivals
            arrivals.record(order_id, at)
            try:
                if self.server.latency_s:
                    time.sleep(self.server.latency_s)  # this thread only: other requests go on
                self._reply(200, self.server.success_body)
            finally:
                arrivals.done(order_id, time.time())
        elif parts.path == "/reset":
            latency = parse_qs(parts.query).get("latency_ms")
            if latency:
                self.server.latency_s = float(latency[0]) / 1000
            self.server.arrivals.reset()
            self._reply(200, b"{}")
        else:
            self._reply(404, b'{"success": false}')

    def do_GET(self) -> None:  # noqa: N802 - the http.server API
        parts = urlsplit(self.path)
        if parts.path != "/stats":
            self._reply(404, b"{}")
            return
        arrivals = parse_qs(parts.query).get("arrivals") == ["1"]
        data = self.server.arrivals.snapshot(arrivals=arrivals)
        data["latency_ms"] = round(self.server.latency_s * 1000, 1)
        self._reply(200, json.dumps(data).encode())

    def log_message(self, format: str, *args: Any) -> None:  # noqa: A002 - the http.server API
        return


class PartnerServer(ThreadingHTTPServer):
    daemon_threads = True
    request_queue_size = 1024  # hundreds of workers' threads may connect at once

    def __init__(self, address: tuple[str, int], *, latency_ms: float = 0.0) -> None:
        super().__init__(address, PartnerHandler)
        self.arrivals = Arrivals()
        self.latency_s = latency_ms / 1000
        self.success_body = json.dumps(json.loads(SUCCESS_FIXTURE.read_text(encoding="utf-8"))).encode()


class PartnerClient:
    """The benchmark's side: the partner's URLs, its counters and arrivals, its latency."""

    def __init__(self, port: int) -> None:
        self.base = f"http://127.0.0.1:{port}"
        self.status_url = self.base + STATUS_PATH
        self._session = requests.Session()

    def stats(self, *, arrivals: bool = False) -> dict[str, Any]:
        response = self._session.get(f"{self.base}/stats", params={"arrivals": int(arrivals)}, timeout=30)
        response.raise_for_status()
        return response.json()

    def reset(self, *, latency_ms: float | None = None) -> None:
        """Forget what was received; with `latency_ms`, answer after that long from now on."""
        params = {} if latency_ms is None else {"latency_ms": latency_ms}
        self._session.post(f"{self.base}/reset", params=params, timeout=10).raise_for_status()


def concurrency_check(*, partner: PartnerClient, concurrency: int, latency_ms: float) -> dict[str, Any]:
    """Whether the partner answers `concurrency` requests at once in about one latency (it must not serialise).

    Every client thread connects first, then all send together. Leaves the partner reset, at latency 0.
    """
    partner.reset(latency_ms=latency_ms)
    start = threading.Barrier(concurrency + 1)
    failed: list[int] = []

    host, port = urlsplit(partner.base).netloc.split(":")

    def one(n: int) -> None:
        conn = http.client.HTTPConnection(host, int(port), timeout=30)
        try:
            conn.connect()  # the connection is open before the barrier
            start.wait()
            conn.request("POST", STATUS_PATH, body=json.dumps({"id": f"check-{n}"}).encode(),
                         headers={"Content-Type": "application/json"})
            response = conn.getresponse()
            response.read()
            if response.status != 200:
                failed.append(n)
        finally:
            conn.close()

    threads = [threading.Thread(target=one, args=(n,), daemon=True) for n in range(concurrency)]
    for thread in threads:
        thread.start()
    start.wait()
    began = time.perf_counter()
    for thread in threads:
        thread.join(timeout=60)
    wall = time.perf_counter() - began
    stats = partner.stats()
    partner.reset(latency_ms=0)
    return {"concurrency": concurrency, "latency_ms": latency_ms, "wall_s": round(wall, 3),
            "answered": stats["requests"] - len(failed), "peak_in_flight": stats["peak_in_flight"]}


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--port", type=int, required=True)
    parser.add_argument("--latency-ms", type=float, default=0.0, help="answer each request after this long (0)")
    args = parser.parse_args()
    server = PartnerServer(("127.0.0.1", args.port), latency_ms=args.latency_ms)  # loopback only
    try:
        server.serve_forever(poll_interval=0.2)
    except KeyboardInterrupt:
        pass
    finally:
        server.server_close()


if __name__ == "__main__":
    main()
