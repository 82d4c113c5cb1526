"""The thread that vouches for the configuration each process keeps (orders/services/config_cache.py).

It LISTENs on `hub_config` over a connection of its own and forgets everything kept when it
hears a change, when it begins to listen (what changed before is unknown), and when its
connection ends. While it does not listen, nothing is kept: every read goes to the database.
Started on the first read that could be kept, in the process that reads (a forked child starts
its own).
"""

from __future__ import annotations

import os
import threading
import time
from typing import Any

from orders.listening import ListeningThread, listen_connect, listen_probe
from orders.services.config_cache import CONFIG_CHANNEL, config_forget

LISTENER_RETRY_SECONDS = 2.0


class ConfigListener(ListeningThread):
    """Listens for configuration changes until `stop()`; reconnects after any failure."""

    what = "The configuration listener"
    meanwhile = "reading from the database until it is back"

    def __init__(self, *, retry_seconds: float = LISTENER_RETRY_SECONDS) -> None:
        super().__init__(name="hub-config-listener", retry_seconds=retry_seconds)
        self.heard = 0  # changes heard (tests)

    def _listening_ended(self) -> None:
        config_forget(listening=False)

    def _listen(self) -> None:
        with listen_connect("hub-config-listener") as conn:
            conn.execute(f"LISTEN {CONFIG_CHANNEL}")
            listen_probe(conn)  # what it hears meanwhile is forgotten with the rest, below
            config_forget(listening=True)  # whatever changed before this moment is not known
            self._listening_began()
            for payloads in self._heard(conn):
                self.heard += len(payloads)
                config_forget()


_lock = threading.Lock()
_listener: ConfigListener | None = None
_listener_pid: int | None = None


def config_listener_start() -> ConfigListener:
    """This process's listener, started if it is not running (once per process)."""
    global _listener, _listener_pid
    with _lock:
        if _listener is None or _listener_pid != os.getpid() or not _listener.is_alive():
            _listener, _listener_pid = ConfigListener(), os.getpid()
            _listener.start()
        return _listener


def config_listener_stop() -> None:
    """Stop this process's listener (tests, before their database is dropped)."""
    global _listener
    with _lock:
        listener, _listener = _listener, None
    if listener is not None:
        listener.stop()


def config_listener_wait(timeout: float = 5.0) -> Any:
    """Wait until this process's listener listens; the listener, or None after `timeout` (tests)."""
    from orders.services.config_cache import config_listening

    listener = config_listener_start()
    deadline = time.monotonic() + timeout
    while not config_listening():
        if time.monotonic() > deadline:
            return None
        time.sleep(0.01)
    return listener
