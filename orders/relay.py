"""The worker side of DELIVERY_WAKEUP = "notify": hear which deliveries were created, queue their tasks.

One thread in each worker process (started when the worker is ready, orders/tasks.py). Of all
the workers on one database, one relays at a time: the one holding a PostgreSQL advisory lock
on its listening connection. The others try for the lock every few seconds, so when the relaying
worker stops or loses its connection, another takes over.

On taking over, the relay first queues the deliveries announced while nobody was listening
(pending, due, announced before it listened); from then on it queues what it hears, one task per
notification (the deliveries of one change, as a request publishing itself queues them). A task
queued twice sends nothing twice: sending claims each row first. If the broker is down, the rows
go back to the sweeper, as when a request publishes them itself.
"""

from __future__ import annotations

import logging
import threading
import time
from datetime import datetime, timedelta
from typing import Any

import psycopg
from django.conf import settings
from django.db import connections
from django.utils import timezone

from hub.publishing import broker_recently_failed
from orders.listening import ListeningThread, listen_connect, listen_conninfo, listen_probe
from orders.services.outbox import deliveries_enqueue
from orders.services.sweeper import deliveries_sweep
from orders.services.wakeups import RELAY_LOCK_KEY, WAKEUP_CHANNEL, wakeup_ids

logger = logging.getLogger(__name__)

# How often a worker that does not relay tries to take over, and how long the relay waits before
# trying again after an error (a connection lost, the database restarting).
RELAY_RETRY_SECONDS = 2.0
# The catch-up also takes rows announced this long after the relay listened: a web host's clock
# may run ahead of the worker's (a row queued twice sends once).
RELAY_CLOCK_MARGIN_SECONDS = 5.0
RELAY_APPLICATION_NAME = "hub-wakeup-relay"


def relay_conninfo() -> dict[str, Any]:
    """psycopg.connect's arguments for the relay's listening connection (orders/listening.py)."""
    return listen_conninfo(RELAY_APPLICATION_NAME)


def _lock_taken(conn: psycopg.Connection[Any]) -> bool:
    row = conn.execute("SELECT pg_try_advisory_lock(%s)", [RELAY_LOCK_KEY]).fetchone()
    return bool(row and row[0])


class WakeupRelay(ListeningThread):
    """Listens for delivery wake-ups while it holds the relay lock; `stop()` ends it."""

    what = "The wake-up relay"
    meanwhile = "the sweeper covers meanwhile"

    def __init__(self, *, retry_seconds: float = RELAY_RETRY_SECONDS) -> None:
        super().__init__(name="hub-wakeup-relay", retry_seconds=retry_seconds)
        self.relaying = threading.Event()  # set while this thread holds the lock and listens
        self.queued = 0  # deliveries it has queued (tests, the log)
        self.takeovers = 0  # times it has taken the lock and listened (tests)

    def _listening_ended(self) -> None:
        self.relaying.clear()
        connections.close_all()

    def _thread_ended(self) -> None:
        connections.close_all()  # this thread's own (the ORM's, for the catch-up), not kept past it

    def _listen(self) -> None:
        with listen_connect(RELAY_APPLICATION_NAME) as conn:
            listen_probe(conn)  # before the lock: a relay that hears nothing must not hold it
            while not _lock_taken(conn):
                if self._stopping.wait(self.retry_seconds):
                    return
            conn.execute(f"LISTEN {WAKEUP_CHANNEL}")
            self.relaying.set()
            self.takeovers += 1
            self._listening_began()
            logger.info("This worker relays the delivery wake-ups")
            self._catch_up(listening_since=timezone.now() + timedelta(seconds=RELAY_CLOCK_MARGIN_SECONDS))
            for payloads in self._heard(conn):
                self._queue([wakeup_ids(payload) for payload in payloads])

    def _queue(self, heard: list[list[int]]) -> None:
        """One task per notification: the deliveries of one change, as the request would have queued them.

        Not one task for everything heard at once: a task holding many rows keeps them all while
        their channel is at its cap, and with two worker processes sharing that cap a burst so
        queued paused for seconds (1,000 at 200 ms: 105-160 deliveries/s against 235).
        """
        seen: set[int] = set()
        for ids in heard:
            fresh = [pk for pk in ids if pk not in seen]
            seen.update(fresh)
            if fresh:
                deliveries_enqueue(fresh)
        self.queued += len(seen)
        connections.close_all()  # deliveries_enqueue may have used the ORM (broker down): not kept idle

    def _catch_up(self, *, listening_since: datetime) -> None:
        """Queue what was announced before this relay listened (nobody may have heard it)."""
        began = time.monotonic()
        queued = 0
        while not self._stopping.is_set():
            swept = deliveries_sweep(requeue_announced_before=listening_since)
            queued += swept
            # A broker that is down hands the rows back to the sweeper: they would be swept again at once.
            if swept < settings.DELIVERY_SWEEP_BATCH or broker_recently_failed():
                break
        connections.close_all()
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
