"""The worker side of DELIVERY_WAKEUP = "notify": hear which deliveries were created, queue their tasks.

One thread in each worker process (started when the worker is ready, orders/tasks.py). Of all
the workers on one database, one relays at a time: the one holding a PostgreSQL advisory lock
on its listening connection. The others try for the lock every few seconds, so when the relaying
worker stops or loses its connection, another takes over.

On taking over, the relay first queues the deliveries announced while nobody was listening
(pending, due, announced before it listened); from then on it queues what it hears, everything
heard together as one task of at most DELIVERY_SEND_BATCH deliveries. A task queued twice sends
nothing twice: sending claims each row first. If the broker is down, the rows go back to the
sweeper, as when a request publishes them itself.
"""

from __future__ import annotations

import logging
import threading
import time
from typing import Any

import psycopg
from django.conf import settings
from django.db import close_old_connections, connections, router
from django.utils import timezone

from orders.models import Delivery
from orders.services.outbox import deliveries_enqueue
from orders.services.sweeper import deliveries_sweep
from orders.services.wakeups import RELAY_LOCK_KEY, WAKEUP_CHANNEL, wakeup_ids

logger = logging.getLogger(__name__)

# How often a worker that does not relay tries to take over, and how long the relay waits before
# trying again after an error (a connection lost, the database restarting).
RELAY_RETRY_SECONDS = 2.0
# How long one wait for notifications lasts before the thread looks at its stop flag.
RELAY_POLL_SECONDS = 1.0
# Notifications arriving within this long of the first are queued together.
RELAY_GATHER_SECONDS = 0.002


def relay_conninfo() -> dict[str, Any]:
    """psycopg.connect's arguments for the listening connection: DELIVERY_LISTEN_URL, else Django's."""
    if settings.DELIVERY_LISTEN_URL:
        return {"conninfo": settings.DELIVERY_LISTEN_URL}
    params = connections[router.db_for_write(Delivery)].get_connection_params()
    for django_only in ("cursor_factory", "context", "prepare_threshold"):
        params.pop(django_only, None)
    return params


def _lock_taken(conn: psycopg.Connection[Any]) -> bool:
    row = conn.execute("SELECT pg_try_advisory_lock(%s)", [RELAY_LOCK_KEY]).fetchone()
    return bool(row and row[0])


class WakeupRelay(threading.Thread):
    """Listens for delivery wake-ups while it holds the relay lock; `stop()` ends it."""

    def __init__(self, *, retry_seconds: float = RELAY_RETRY_SECONDS) -> None:
        super().__init__(name="hub-wakeup-relay", daemon=True)
        self.retry_seconds = retry_seconds
        self._stopping = threading.Event()
        self.relaying = threading.Event()  # set while this thread holds the lock and listens
        self.queued = 0  # deliveries it has queued (tests, the log)

    def stop(self, timeout: float | None = 5.0) -> None:
        self._stopping.set()
        if self.is_alive():
            self.join(timeout)

    def run(self) -> None:
        try:
            while not self._stopping.is_set():
                try:
                    self._listen()
                except Exception:  # noqa: BLE001 - the relay outlives any one connection's failure
                    logger.exception("The wake-up relay failed; trying again in %s s (the sweeper covers meanwhile)",
                                     self.retry_seconds)
                finally:
                    self.relaying.clear()
                    close_old_connections()
                self._stopping.wait(self.retry_seconds)
        finally:
            connections.close_all()  # this thread's own (the ORM's, for the catch-up), not kept past it

    def _listen(self) -> None:
        with psycopg.connect(autocommit=True, connect_timeout=10, **relay_conninfo()) as conn:
            while not _lock_taken(conn):
                if self._stopping.wait(self.retry_seconds):
                    return
            conn.execute(f"LISTEN {WAKEUP_CHANNEL}")
            self.relaying.set()
            logger.info("This worker relays the delivery wake-ups")
            self._catch_up(listening_since=timezone.now())
            while not self._stopping.is_set():
                ids: list[int] = []
                for notify in conn.notifies(timeout=RELAY_POLL_SECONDS, stop_after=1):
                    ids.extend(wakeup_ids(notify.payload))
                if ids:
                    ids.extend(pk for notify in conn.notifies(timeout=RELAY_GATHER_SECONDS)
                               for pk in wakeup_ids(notify.payload))
                    self._queue(ids)

    def _queue(self, ids: list[int]) -> None:
        unique = list(dict.fromkeys(ids))
        size = settings.DELIVERY_SEND_BATCH
        for start in range(0, len(unique), size):
            deliveries_enqueue(unique[start:start + size])
        self.queued += len(unique)
        close_old_connections()  # deliveries_enqueue may have used the ORM (broker down)

    def _catch_up(self, *, listening_since: Any) -> None:
        """Queue what was announced before this relay listened (nobody may have heard it)."""
        began = time.monotonic()
        queued = 0
        while not self._stopping.is_set():
            swept = deliveries_sweep(requeue_announced_before=listening_since)
            queued += swept
            if swept < settings.DELIVERY_SWEEP_BATCH:
                break
        close_old_connections()
        if queued:
            logger.info("Wake-up relay: queued %s deliveries announced before it listened (%.1f s)",
                        queued, time.monotonic() - began)


_relay: WakeupRelay | None = None


def relay_start() -> WakeupRelay:
    """Start this process's relay (once)."""
    global _relay
    if _relay is None or not _relay.is_alive():
        _relay = WakeupRelay()
        _relay.start()
    return _relay


def relay_stop() -> None:
    global _relay
    if _relay is not None:
        _relay.stop()
        _relay = None
