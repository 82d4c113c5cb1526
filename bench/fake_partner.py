"""A fast local stand-in for Imshop: answers every status sync with Imshop's success JSON.

Run it as `python -m bench.fake_partner --port N`. It timestamps the first arrival of each order
(`id` in the body, wall clock) so the end to end benchmark can match arrivals to webhooks.

    POST /imshop/status   -> 200 and the success answer from tests/fixtures
    GET  /stats           -> {"requests": n, "orders": n}; with ?arrivals=1 also {"arrivals": {id: time}}
    POST /reset           -> forget everything received so far
"""

from __future__ import annotations

import argparse
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
    """What the partner received: thread-safe counters and the first arrival time of each order."""

    def __init__(self) -> None:
        self._lock = threading.Lock()
        self.requests = 0
        self.first_seen: dict[str, float] = {}

    def record(self, order_id: str, at: float) -> None:
        with self._lock:
            self.requests += 1
            self.first_seen.setdefault(order_id, at)

    def reset(self) -> None:
        with self._lock:
            self.requests, self.first_seen = 0, {}

    def snapshot(self, *, arrivals: bool) -> dict[str, Any]:
        with self._lock:
            data: dict[str, Any] = {"requests": self.requests, "orders": len(self.first_seen)}
            if arrivals:
                data["arrivals"] = dict(self.first_seen)
        return data


class PartnerHandler(BaseHTTPRequestHandler):
    """Keep-alive HTTP/1.1, no logging: the partner must never be the bottleneck."""

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
        route = urlsplit(self.path).path
        if route == STATUS_PATH:
            try:
                order_id = str(json.loads(body).get("id", ""))
            except (ValueError, AttributeError):
                self._reply(400, b'{"success": false, "message": "bad JSON"}')
                return
            self.server.arrivals.record(order_id, at)
            self._reply(200, self.server.success_body)
        elif route == "/reset":
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
        self._reply(200, json.dumps(self.server.arrivals.snapshot(arrivals=arrivals)).encode())

    def log_message(self, format: str, *args: Any) -> None:  # noqa: A002 - the http.server API
        return


class PartnerServer(ThreadingHTTPServer):
    daemon_threads = True
    request_queue_size = 256

    def __init__(self, address: tuple[str, int]) -> None:
        super().__init__(address, PartnerHandler)
        self.arrivals = Arrivals()
        self.success_body = json.dumps(json.loads(SUCCESS_FIXTURE.read_text(encoding="utf-8"))).encode()


class PartnerClient:
    """The benchmark's side: the partner's URLs, its counters and arrivals."""

    def __init__(self, port: int) -> None:
        self.base = f"http://127.0.0.1:{port}"
        self.status_url = self.base + STATUS_PATH
        self._session = requests.Session()

    def stats(self, *, arrivals: bool = False) -> dict[str, Any]:
        response = self._session.get(f"{self.base}/stats", params={"arrivals": int(arrivals)}, timeout=30)
        response.raise_for_status()
        return response.json()

    def reset(self) -> None:
        self._session.post(f"{self.base}/reset", timeout=10).raise_for_status()


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--port", type=int, required=True)
    args = parser.parse_args()
    server = PartnerServer(("127.0.0.1", args.port))  # loopback only
    try:
        server.serve_forever(poll_interval=0.2)
    except KeyboardInterrupt:
        pass
    finally:
        server.server_close()


if __name__ == "__main__":
    main()
