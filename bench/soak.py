"""Soak: `make run` on the embedded defaults, under steady traffic, for a long time.

    python -m bench.soak --minutes 60 --port 8149 --rate 4       (or: make soak SOAK_ARGS="...")

It starts the real `make run` (SQLite, the SQLite broker, the sandbox partners, web + worker +
beat under scripts/procrun.py) on HUB_BIND=127.0.0.1:<port>, with none of the hub's variables
from this environment, and sends `--rate` shop webhooks a second for `--minutes`: each order is
created by a webhook (with a Choco user id), then moved to *processing*, *shipping* and
*delivered* through the status API, as an ERP does (each change goes to Choco, Imshop and back to
the shop), and after each change the shop sends the order again (`order_update`) with the status
it now has; a step every `--step-seconds`. Every minute it samples the resident memory of every process.

At the end it waits for the queue to drain, then checks, and prints and writes as JSON:
- crashes: processes that exited (procrun's restarts) - must be 0;
- orders lost: orders sent but not stored, or not in the last status sent - must be 0;
- deliveries not delivered: any not `delivered` (a superseded one is replaced by a newer one) -
  must be 0, and the sandbox partners must have accepted one status request per delivered delivery;
- memory per process at the first sample after warm-up and at the end.
Then it stops `make run` with SIGINT, as Ctrl-C does, and checks that all three processes are gone.

Run it in a clean clone: it uses that clone's var/ (the embedded defaults), deleting the database, the
broker and var/dev.env first.
Output: var/soak/ (soak.log is make run's output, memory.csv, result.json). Exit status 1 if a check fails.
"""

from __future__ import annotations

import argparse
import json
import os
import re
import shutil
import signal
import subprocess
import sys
import time
from collections import Counter
from copy import deepcopy
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import requests

ROOT = Path(__file__).resolve().parent.parent
VAR = ROOT / "var"
OUT = VAR / "soak"
SAMPLE = ROOT / "tests" / "fixtures" / "shop_order_created.json"
HUB_PREFIXES = ("DATABASE_URL", "CELERY_", "CACHE_URL", "SECRET_KEY", "DEBUG", "HUB_", "SHOP_", "IMSHOP_",
                "CHOCO_", "HOROSHOP_", "DJANGO_SETTINGS_MODULE", "ALLOWED_HOSTS", "DELIVERY_", "PARTNER_")
STARTED = re.compile(r"^\S+ (\w+)\s*\| started with pid (\d+)$")
EXITED = re.compile(r"\| (\w+) exited with code")
# Each order's life: (how, shop status id / mapping code). The status API moves it (an ERP), the change
# goes to Choco, Imshop and back to the shop, and the shop then sends the order again with that status.
STEPS = (("created", 1), ("api", "processing"), ("webhook", 2), ("api", "shipping"), ("webhook", 6),
         ("api", "delivered"), ("webhook", 3))
SHOP_STATUS_CODES = {1: "new", 2: "processing", 6: "shipping", 3: "delivered"}


def clean_env(port: int) -> dict[str, str]:
    env = {k: v for k, v in os.environ.items() if not k.startswith(HUB_PREFIXES)}
    env["HUB_BIND"] = f"127.0.0.1:{port}"
    return env


def rss_kib(pid: int) -> int | None:
    try:
        for line in Path(f"/proc/{pid}/status").read_text().splitlines():
            if line.startswith("VmRSS:"):
                return int(line.split()[1])
    except (FileNotFoundError, ProcessLookupError):
        return None
    return None


def children(pid: int) -> list[int]:
    found = []
    for task in Path(f"/proc/{pid}/task").glob("*"):
        try:
            found += [int(c) for c in (task / "children").read_text().split()]
        except FileNotFoundError:
            continue
    return found


@dataclass
class Soak:
    port: int
    minutes: float
    rate: float
    step_seconds: float
    warmup_minutes: float
    log: Path = OUT / "soak.log"
    pids: dict[str, int] = field(default_factory=dict)
    sent: Counter = field(default_factory=Counter)
    errors: Counter = field(default_factory=Counter)
    final: dict[str, str] = field(default_factory=dict)
    memory: list[dict] = field(default_factory=list)

    @property
    def base(self) -> str:
        return f"http://127.0.0.1:{self.port}"

    def run(self) -> dict:
        for stale in (*VAR.glob("hub.sqlite3*"), *VAR.glob("broker.sqlite3*"), *VAR.glob("celerybeat-schedule*"),
                      VAR / "dev.env"):
            stale.unlink(missing_ok=True)
        shutil.rmtree(OUT, ignore_errors=True)
        OUT.mkdir(parents=True)
        log = self.log.open("wb")
        self.make = subprocess.Popen(["make", "run"], cwd=ROOT, env=clean_env(self.port), stdout=log,  # noqa: S607
                                     stderr=subprocess.STDOUT, start_new_session=True)
        try:
            self._wait_up()
            self._load_dev_env()
            started = time.monotonic()
            self._traffic(until=started + self.minutes * 60)
            duration = time.monotonic() - started
            self._sample_memory()
            drained = self._drain()
            checks = self._verify()
        finally:
            stopped = self._stop()
        crashes = self._crashes()
        result = {
            "minutes": round(duration / 60, 1), "port": self.port, "rate_per_s": self.rate,
            "webhooks_sent": self.sent["webhook"], "status_api_calls": self.sent["api"],
            "orders": len(self.final), "request_errors": dict(self.errors), "crashes": crashes,
            "drained_in_s": drained, **checks, "stopped_by_sigint": stopped, "memory_mib": self._memory_summary(),
        }
        result["ok"] = (crashes == 0 and stopped and drained is not None and not result["request_errors"]
                        and checks["orders_lost"] == 0 and checks["deliveries_not_delivered"] == 0
                        and checks["sandbox_accepted_status_requests"] >= checks["deliveries_delivered"])
        (OUT / "result.json").write_text(json.dumps(result, indent=2))
        return result

    # The hub ---------------------------------------------------------------------------------

    def _wait_up(self) -> None:
        deadline = time.monotonic() + 600  # a fresh clone installs its .venv first
        while time.monotonic() < deadline:
            if self.make.poll() is not None:
                raise SystemExit(f"make run ended with code {self.make.returncode}; see {self.log}")
            try:
                if requests.get(f"{self.base}/healthz", timeout=2).status_code == 200 and len(self._started()) >= 3:
                    return
            except requests.RequestException:
                pass
            time.sleep(1)
        raise SystemExit(f"the hub did not come up on {self.base}; see {self.log}")

    def _started(self) -> dict[str, int]:
        for line in self.log.read_text(errors="replace").splitlines():
            if match := STARTED.match(line):
                self.pids[match[1]] = int(match[2])
        return self.pids

    def _crashes(self) -> int:
        return len(EXITED.findall(self.log.read_text(errors="replace")))

    def _load_dev_env(self) -> None:
        values = dict(line.split("=", 1) for line in (VAR / "dev.env").read_text().splitlines()
                      if "=" in line and not line.startswith("#"))
        self.shop_token, self.api_token = values["SHOP_WEBHOOK_TOKEN"], values["HUB_API_TOKEN"]

    def _stop(self) -> bool:
        pids = dict(self.pids)
        tree = [p for pid in pids.values() for p in [pid, *children(pid)]]
        try:
            os.killpg(self.make.pid, signal.SIGINT)  # what Ctrl-C in the terminal does
            self.make.wait(timeout=60)
        except subprocess.TimeoutExpired:
            os.killpg(self.make.pid, signal.SIGKILL)
            return False
        time.sleep(1)
        left = [pid for pid in tree if Path(f"/proc/{pid}").exists()]
        return not left

    # Traffic ---------------------------------------------------------------------------------

    def _traffic(self, *, until: float) -> None:
        session = requests.Session()
        sample = json.loads(SAMPLE.read_text(encoding="utf-8"))
        due: list[tuple[float, str, int]] = []  # (when, order id, next step)
        next_order = 500000
        next_sample = time.monotonic() + self.warmup_minutes * 60
        tick = 1 / self.rate
        while (now := time.monotonic()) < until or due:
            if due and due[0][0] <= now:
                _, order_id, step = due.pop(0)
            elif now < until:
                next_order += 1
                order_id, step = str(next_order), 0
            else:  # no new orders after the time is up; the ones in flight finish their lives
                time.sleep(min(tick, max(0.0, due[0][0] - now)))
                continue
            how, status = STEPS[step]
            self._send(session, sample, order_id, how, status)
            if step + 1 < len(STEPS):
                due.append((now + self.step_seconds, order_id, step + 1))
            if now >= next_sample:
                self._sample_memory()
                next_sample = now + 60
            time.sleep(max(0.0, tick - (time.monotonic() - now)))

    def _send(self, session: requests.Session, sample: dict, order_id: str, how: str, status: int | str) -> None:
        if how == "api":
            url, method = f"{self.base}/api/orders/{order_id}/status/", "POST"
            body: dict[str, Any] = {"status": status, "reason": "soak"}
            headers = {"Authorization": f"Bearer {self.api_token}"}
        else:
            event = "order_created" if how == "created" else "order_update"
            url, method = f"{self.base}/api/webhooks/shop/{event}/?token={self.shop_token}", "PUT"
            body = {**deepcopy(sample), "order_id": int(order_id), "stat_status": status, "choco_user_id": 1234567}
            headers = {}
        for attempt in range(3):
            try:
                response = session.request(method, url, json=body, headers=headers, timeout=30)
                if response.status_code < 300:
                    break
                self.errors[f"HTTP {response.status_code}"] += 1
            except requests.RequestException as exc:
                self.errors[type(exc).__name__] += 1
            time.sleep(1 + attempt)
        self.sent["api" if how == "api" else "webhook"] += 1
        # A webhook step names the shop's status id; the status API, the mapping code.
        self.final[order_id] = SHOP_STATUS_CODES.get(status, str(status)) if isinstance(status, int) else status

    def _sample_memory(self) -> None:
        row: dict[str, int | None] = {"t": round(time.time())}
        for name, pid in self._started().items():
            row[name] = rss_kib(pid)
            for n, child in enumerate(sorted(children(pid)), start=1):
                row[f"{name}.child{n}"] = rss_kib(child)
        self.memory.append(row)
        with (OUT / "memory.csv").open("a") as out:
            if len(self.memory) == 1:
                out.write(",".join(row) + "\n")
            out.write(",".join(str(v) for v in row.values()) + "\n")

    def _memory_summary(self) -> dict:
        if not self.memory:
            return {}
        first, last = self.memory[0], self.memory[-1]
        return {name: [round((first.get(name) or 0) / 1024, 1), round((last.get(name) or 0) / 1024, 1),
                       round(max((row.get(name) or 0) for row in self.memory) / 1024, 1)]
                for name in first if name != "t"}

    # Checks ----------------------------------------------------------------------------------

    def _django(self) -> None:
        for name in [k for k in os.environ if k.startswith(HUB_PREFIXES)]:
            del os.environ[name]
        os.environ.update(DEBUG="true", DJANGO_SETTINGS_MODULE="hub.settings")
        import django

        django.setup()

    def _drain(self, timeout: float = 600) -> float | None:
        self._django()
        from orders.models import Delivery

        started = time.monotonic()
        while time.monotonic() - started < timeout:
            open_rows = Delivery.objects.filter(state__in=[Delivery.State.PENDING, Delivery.State.SENDING]).count()
            if open_rows == 0:
                return round(time.monotonic() - started, 1)
            time.sleep(2)
        return None

    def _verify(self) -> dict:
        from integrations.sandbox.models import SandboxRequest
        from orders.models import Delivery, Order

        stored = dict(Order.objects.values_list("shop_order_id", "status__code"))
        lost = [o for o, code in self.final.items() if stored.get(o) != code]
        states = Counter(Delivery.objects.values_list("state", flat=True))
        status_endpoints = ["/orders/v2/preorder/external/status", "/status", "/api/orders/update/"]
        accepted = SandboxRequest.objects.filter(accepted=True, endpoint__in=status_endpoints).count()
        by_partner = Counter(SandboxRequest.objects.filter(accepted=True).values_list("partner", flat=True))
        return {
            "orders_lost": len(lost), "orders_lost_sample": lost[:10], "deliveries": dict(states),
            "deliveries_delivered": states.get("delivered", 0),
            "deliveries_not_delivered": sum(n for s, n in states.items() if s not in ("delivered", "superseded")),
            "sandbox_accepted_status_requests": accepted, "sandbox_accepted_by_partner": dict(by_partner),
            "sandbox_refused": SandboxRequest.objects.filter(accepted=False).count(),
        }


def main() -> int:
    parser = argparse.ArgumentParser(description="Soak `make run` on the embedded defaults.")
    parser.add_argument("--minutes", type=float, default=60)
    parser.add_argument("--port", type=int, default=8149)
    parser.add_argument("--rate", type=float, default=6,
                        help="requests a second: 4 of each 7 are webhooks, 3 status API calls")
    parser.add_argument("--step-seconds", type=float, default=15, help="time between an order's steps")
    parser.add_argument("--warmup-minutes", type=float, default=2, help="first memory sample after this")
    args = parser.parse_args()
    soak = Soak(port=args.port, minutes=args.minutes, rate=args.rate, step_seconds=args.step_seconds,
                warmup_minutes=min(args.warmup_minutes, args.minutes / 2))
    result = soak.run()
    print(json.dumps(result, indent=2))
    print(f"make run's output: {soak.log}", file=sys.stderr)
    return 0 if result["ok"] else 1


if __name__ == "__main__":
    sys.exit(main())
