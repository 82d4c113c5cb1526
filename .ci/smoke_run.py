"""`make run` smoke, as the README tells a new user: run it, use it, kill a process, Ctrl-C.

    .venv/bin/python .ci/smoke_run.py [--port 8147]     (from a clone with no hub variables set)

1. `make run` with HUB_BIND on --port: /healthz answers 200;
2. the README's sample webhook is stored (the status API returns the order);
3. its deliveries reach the sandbox partners (Choco and Imshop accepted them, and the sandbox
   subscriber verified its signed event);
4. the worker is killed with SIGKILL: the web keeps answering, the worker comes back and delivers;
5. SIGINT to the whole process group, as Ctrl-C in a terminal: make and all three processes end.
Any failure prints the reason and the end of make run's output, and exits 1.
"""

from __future__ import annotations

import argparse
import copy
import json
import os
import re
import signal
import subprocess
import sys
import time
from collections.abc import Callable
from pathlib import Path

import requests

ROOT = Path(__file__).resolve().parent.parent
LOG = ROOT / "var" / "smoke-run.log"
STARTED = re.compile(r"^\S+ (\w+)\s*\| started with pid (\d+)$", re.MULTILINE)


class SmokeError(Exception):
    pass


def wait(condition: Callable[[], object], *, timeout: float, what: str) -> object:
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        try:
            value = condition()
        except requests.RequestException:
            value = None
        if value:
            return value
        time.sleep(0.5)
    raise SmokeError(f"timed out after {timeout:.0f} s waiting for {what}")


def started() -> list[tuple[str, int]]:
    return [(name, int(pid)) for name, pid in STARTED.findall(LOG.read_text(errors="replace"))]


def alive(pid: int) -> bool:
    status = Path(f"/proc/{pid}/status")
    try:
        return "zombie" not in status.read_text()
    except (FileNotFoundError, ProcessLookupError):
        return False


def descendants(pid: int) -> list[int]:
    found = []
    for task in Path(f"/proc/{pid}/task").glob("*"):
        try:
            kids = [int(c) for c in (task / "children").read_text().split()]
        except FileNotFoundError:
            continue
        for kid in kids:
            found += [kid, *descendants(kid)]
    return found


def dev_env() -> dict[str, str]:
    lines = (ROOT / "var" / "dev.env").read_text().splitlines()
    return dict(line.split("=", 1) for line in lines if "=" in line and not line.startswith("#"))


class Smoke:
    def __init__(self, port: int) -> None:
        self.base = f"http://127.0.0.1:{port}"
        self.port = port
        self.session = requests.Session()

    def webhook(self, order_id: int) -> None:
        payload = copy.deepcopy(json.loads((ROOT / "tests" / "fixtures" / "shop_order_created.json").read_text()))
        payload.update(order_id=order_id, choco_user_id=1234567)
        token = dev_env()["SHOP_WEBHOOK_TOKEN"]
        answer = self.session.put(f"{self.base}/api/webhooks/shop/order_created/?token={token}", json=payload,
                                  timeout=30)
        if answer.status_code != 200:
            raise SmokeError(f"webhook answered {answer.status_code}: {answer.text[:300]}")
        order = self.session.get(f"{self.base}/api/orders/{order_id}/", timeout=30,
                                 headers={"Authorization": f"Bearer {dev_env()['HUB_API_TOKEN']}"})
        if order.status_code != 200 or str(order.json().get("order_id")) != str(order_id):
            raise SmokeError(f"order {order_id} not stored: {order.status_code} {order.text[:300]}")
        print(f"ok: webhook for order {order_id} stored")

    def partners_received(self, order_id: int) -> None:
        """The sandbox partners accepted this order's status (read from the hub's database)."""
        from django.db.models import Q

        from integrations.sandbox.models import SandboxRequest

        def received() -> set[str]:
            rows = SandboxRequest.objects.filter(
                Q(endpoint__in=["/orders/v2/preorder/external/status", "/status"])
                | Q(endpoint__startswith="/subscriber/"), accepted=True).values_list("partner", "body")
            return {partner for partner, body in rows if str(order_id) in body}

        wait(lambda: received() == {"choco", "imshop", "subscriber"}, timeout=90,
             what=f"Choco, Imshop and the subscriber to receive {order_id}")
        print(f"ok: the sandbox Choco, Imshop and subscriber accepted order {order_id}'s status")

    def healthy(self) -> bool:
        return self.session.get(f"{self.base}/healthz", timeout=5).status_code == 200

    def run(self) -> None:
        env = dict(os.environ, HUB_BIND=f"127.0.0.1:{self.port}")
        LOG.parent.mkdir(exist_ok=True)
        with LOG.open("wb") as out:
            make = subprocess.Popen(["make", "run"], cwd=ROOT, env=env, stdout=out, stderr=subprocess.STDOUT,  # noqa: S607
                                    start_new_session=True)
        try:
            wait(lambda: make.poll() is None and self.healthy() and len(started()) >= 3, timeout=300,
                 what="make run: /healthz 200 and three processes")
            print(f"ok: /healthz 200 on {self.base}; started {started()}")
            if f"{self.base}/admin/" not in LOG.read_text() or ":8000" in LOG.read_text():
                raise SmokeError("make run did not print its URLs on HUB_BIND's port")
            os.environ.update(DEBUG="true", DJANGO_SETTINGS_MODULE="hub.settings")
            import django

            django.setup()
            self.webhook(700001)
            self.partners_received(700001)

            worker = dict(started())["worker"]
            os.kill(worker, signal.SIGKILL)
            print(f"killed the worker (pid {worker})")
            for _ in range(6):
                if not self.healthy():
                    raise SmokeError("/healthz stopped answering 200 while the worker was down")
                time.sleep(0.5)
            wait(lambda: [n for n, _ in started()].count("worker") >= 2, timeout=60, what="the worker to come back")
            print("ok: the web kept answering and the worker came back")
            self.webhook(700002)
            self.partners_received(700002)
        finally:
            self.stop(make)

    def stop(self, make: subprocess.Popen) -> None:
        if make.poll() is not None:
            raise SmokeError(f"make run ended by itself with code {make.returncode}")
        pids = [pid for _, pid in started() if alive(pid)]
        tree = pids + [kid for pid in pids for kid in descendants(pid)]
        os.killpg(make.pid, signal.SIGINT)  # Ctrl-C: the terminal signals the foreground process group
        try:
            make.wait(timeout=60)
        except subprocess.TimeoutExpired:
            os.killpg(make.pid, signal.SIGKILL)
            raise SmokeError("make run did not stop within 60 s of SIGINT") from None
        time.sleep(1)
        left = [pid for pid in tree if alive(pid)]
        if left:
            for pid in left:
                os.kill(pid, signal.SIGKILL)
            raise SmokeError(f"processes left running after Ctrl-C: {left}")
        print(f"ok: SIGINT stopped make run and all {len(tree)} of its processes")


def main() -> int:
    parser = argparse.ArgumentParser()
    parser.add_argument("--port", type=int, default=8147)
    args = parser.parse_args()
    try:
        Smoke(args.port).run()
    except SmokeError as exc:
        tail = LOG.read_text(errors="replace").splitlines()[-60:] if LOG.exists() else []
        print("\n".join(["--- make run (last lines) ---", *tail, f"SMOKE FAILED: {exc}"]), file=sys.stderr)
        return 1
    print("make run smoke: all checks passed")
    return 0


if __name__ == "__main__":
    sys.path.insert(0, str(ROOT))
    sys.exit(main())
