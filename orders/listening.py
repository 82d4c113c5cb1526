"""A thread that keeps a LISTEN connection of its own, reconnecting after any failure until stopped.

The delivery wake-up relay (orders/relay.py) and the configuration listener
(orders/config_listener.py) are such threads: each subclass says how to listen once (`_listen`,
returning when stopped, raising when the connection fails) and what to undo when it stops
listening (`_listening_ended`).

Before either trusts its connection, `listen_probe` checks that it hears what the hub's own
connection announces. A LISTEN through a pooler in transaction mode, on a replica or on another
database succeeds and then hears nothing, which would look like a quiet day.
"""

from __future__ import annotations

import logging
import threading
import time
import uuid
from typing import Any

import psycopg
from django.conf import settings
from django.db import connection
from psycopg.conninfo import conninfo_to_dict

logger = logging.getLogger(__name__)

# How long one wait for notifications lasts before the thread looks at its stop flag.
LISTEN_POLL_SECONDS = 1.0
# After this long without a notification the thread sends a query of its own: a listening
# connection only reads, and a read never learns that the server or the network is gone.
LISTEN_HEARTBEAT_SECONDS = 10.0
# A dead peer noticed within about 30 s on both sides (TCP keepalives, and a cap on
# unacknowledged writes): a relay's lock is freed, and a process stops trusting what it keeps.
LISTEN_CONNECTION = {"connect_timeout": 3, "keepalives": 1, "keepalives_idle": 10, "keepalives_interval": 5,
                     "keepalives_count": 3, "tcp_user_timeout": 30_000}
LISTEN_SERVER_KEEPALIVES = "SET tcp_keepalives_idle = 10; SET tcp_keepalives_interval = 5; SET tcp_keepalives_count = 3"

LISTEN_PROBE_CHANNEL = "hub_listen_probe"
# How long a probe may take to come back (a notification is delivered at once on a healthy server).
LISTEN_PROBE_SECONDS = 5.0


def listen_conninfo(application_name: str) -> dict[str, Any]:
    """psycopg.connect's arguments for a listening connection: DELIVERY_LISTEN_URL, else Django's.

    It is named `application_name` in pg_stat_activity; what the URL or DATABASE_URL's options say
    wins over that and LISTEN_CONNECTION's defaults.
    """
    if settings.DELIVERY_LISTEN_URL:
        given = conninfo_to_dict(settings.DELIVERY_LISTEN_URL)
    else:
        given = connection.get_connection_params()
        for django_only in ("cursor_factory", "context", "prepare_threshold"):
            given.pop(django_only, None)
    return {"application_name": application_name, **LISTEN_CONNECTION, **given, "autocommit": True}


def listen_connect(application_name: str) -> psycopg.Connection[Any]:
    """A listening connection, with the server's keepalives set too."""
    conn = psycopg.connect(**listen_conninfo(application_name))
    try:
        conn.execute(LISTEN_SERVER_KEEPALIVES)
    except BaseException:
        conn.close()
        raise
    return conn


class ListenUnheardError(RuntimeError):
    """The listening connection did not hear a notification sent through the hub's own connection."""


def listen_probe(conn: psycopg.Connection[Any], *, timeout: float | None = None) -> None:
    """Send a notification through the ORM's connection (where the hub's writes go) and hear it on `conn`.

    Raises ListenUnheardError after `timeout` (LISTEN_PROBE_SECONDS). Other notifications `conn` hears
    meanwhile are dropped: a caller probes before it takes in what it listens for.
    """
    token = uuid.uuid4().hex
    conn.execute(f"LISTEN {LISTEN_PROBE_CHANNEL}")
    try:
        with connection.cursor() as cursor:
            cursor.execute("SELECT pg_notify(%s, %s)", [LISTEN_PROBE_CHANNEL, token])
        deadline = time.monotonic() + (LISTEN_PROBE_SECONDS if timeout is None else timeout)
        while (left := deadline - time.monotonic()) > 0:
            for notify in conn.notifies(timeout=left, stop_after=1):
                if notify.channel == LISTEN_PROBE_CHANNEL and notify.payload == token:
                    return
        raise ListenUnheardError(
            "The listening connection did not hear a notification the hub's own connection sent: it does not "
            "reach the same PostgreSQL server and database in a session of its own (a pooler in transaction "
            "mode, a replica, another database?). Point DELIVERY_LISTEN_URL at the primary server itself.")
    finally:
        connection.close()  # this thread's ORM connection, not kept idle
        conn.execute(f"UNLISTEN {LISTEN_PROBE_CHANNEL}")


class ListeningThread(threading.Thread):
    """Runs `_listen` again `retry_seconds` after each failure, until `stop()`."""

    # How the log names the thread, and what covers for it while it is not listening.
    what = "The listener"
    meanwhile = "nothing covers meanwhile"

    def __init__(self, *, name: str, retry_seconds: float) -> None:
        super().__init__(name=name, daemon=True)
        self.retry_seconds = retry_seconds
        self._stopping = threading.Event()
        self._failed = False

    def stop(self, timeout: float | None = 5.0) -> None:
        self._stopping.set()
        if self.is_alive():
            self.join(timeout)

    def run(self) -> None:
        try:
            while not self._stopping.is_set():
                try:
                    self._listen()
                except Exception as exc:  # noqa: BLE001 - the thread outlives any one connection's failure
                    # The whole story once; while it goes on failing (a database down), one line each time.
                    log = logger.warning if self._failed else logger.exception
                    log("%s failed (%s); trying again in %s s (%s)", self.what, exc.__class__.__name__,
                        self.retry_seconds, self.meanwhile)
                    self._failed = True
                finally:
                    self._listening_ended()
                self._stopping.wait(self.retry_seconds)
        finally:
            self._thread_ended()

    def _listening_began(self) -> None:
        """Call once listening: the next failure is told in full again."""
        self._failed = False

    def _listen(self) -> None:
        raise NotImplementedError

    def _heard(self, conn: psycopg.Connection[Any]) -> Any:
        """Yield the payloads of each notification `conn` hears, until `stop()`.

        While nothing comes, a query every LISTEN_HEARTBEAT_SECONDS raises if the server or the
        network is gone.
        """
        heard_at = time.monotonic()
        while not self._stopping.is_set():
            payloads = [notify.payload for notify in conn.notifies(timeout=LISTEN_POLL_SECONDS, stop_after=1)]
            if payloads:
                yield payloads
            elif time.monotonic() - heard_at > LISTEN_HEARTBEAT_SECONDS:
                conn.execute("SELECT 1")
            else:
                continue
            heard_at = time.monotonic()

    def _listening_ended(self) -> None:
        """After each spell of listening, failed or stopped."""

    def _thread_ended(self) -> None:
        """Once, as the thread ends."""
