"""What every webhook reads and managers seldom change (status mappings, subscriptions), kept per process.

A new order's webhook read its status mapping and the subscriptions to that status: two of its
statements, for rows that change a few times a month. Each process keeps what it read for as
long as PostgreSQL can tell it of a change. A trigger on those tables notifies `hub_config` on
any write, from the admin, a migration or psql (orders/migrations/0009); a thread in each
process listens (orders/config_listener.py) and forgets everything kept when it hears one, when
its connection drops, and when it begins to listen.

A value read is kept only:
- on PostgreSQL with CONFIG_CACHE_SECONDS above 0, while this process's listener listens;
- if no change was heard between the read and the keeping (a generation count);
- if the current transaction has written none of those tables (`config_unwritten_sql`, read by
  the same statement as the value: a rollback would leave kept a row that never existed, and the
  transaction's own notification comes only with its commit). Inside such a transaction a value
  kept before is still answered: code that changes a mapping and then reads it back in one
  transaction reads it from the database itself (the hub has none that goes through here);
- for at most CONFIG_CACHE_SECONDS: a backstop, should a connection pooler in transaction mode
  swallow the notifications (the README says to give the listener its own connection there).
"""

from __future__ import annotations

import os
import threading
import time
from collections.abc import Callable
from typing import Any, Generic, TypeVar

from django.conf import settings
from django.db import connection

CONFIG_CHANNEL = "hub_config"
# True unless the current transaction wrote a table whose rows are kept: the triggers set this
# setting, local to the transaction and undone by a rollback (orders/migrations/_config_triggers.py).
_UNWRITTEN = "current_setting('hub.config_written', true) IS DISTINCT FROM 'on'"

K = TypeVar("K")
V = TypeVar("V")


class _State:
    """This process's listener's word: whether it listens now, and how many changes it has heard."""

    def __init__(self) -> None:
        self.lock = threading.Lock()
        self.listening_pid: int | None = None  # the process whose listener listens (a fork inherits none)
        self.generation = 0


_state = _State()
_caches: list[ConfigCache[Any, Any]] = []


def config_cache_enabled() -> bool:
    return settings.CONFIG_CACHE_SECONDS > 0 and connection.vendor == "postgresql"


def config_unwritten_sql(vendor: str) -> str:
    """An SQL expression, true when what the current transaction reads may be kept (never on SQLite)."""
    return _UNWRITTEN if vendor == "postgresql" else "0 = 1"


def config_listening() -> bool:
    return _state.listening_pid == os.getpid()


def config_forget(*, listening: bool | None = None) -> None:
    """Forget everything kept (a change was heard); with `listening`, also say whether the listener listens."""
    with _state.lock:
        _state.generation += 1
        if listening is not None:
            _state.listening_pid = os.getpid() if listening else None
        for cache in _caches:
            cache.clear()


class ConfigCache(Generic[K, V]):
    """Values derived from configuration rows, by key: `get` reads through `load` and keeps what it may."""

    def __init__(self) -> None:
        self._values: dict[K, tuple[V, float]] = {}
        _caches.append(self)

    def clear(self) -> None:
        self._values.clear()

    def get(self, key: K, load: Callable[[], tuple[V, bool]]) -> V:
        """The value for `key`: kept, or `load()`'s, which says with it whether it may be kept."""
        if not config_cache_enabled():
            return load()[0]
        if not config_listening():
            _listener_ensure()
            return load()[0]
        kept = self._values.get(key)
        now = time.monotonic()
        if kept is not None and now - kept[1] < settings.CONFIG_CACHE_SECONDS:
            return kept[0]
        generation = _state.generation
        value, keepable = load()
        if keepable:
            with _state.lock:
                if _state.generation == generation and config_listening():
                    self._values[key] = (value, now)
        return value


def _listener_ensure() -> None:
    # Imported here: the listener's module imports the ORM's connection settings, which only a
    # process that keeps values needs.
    from orders.config_listener import config_listener_start

    config_listener_start()
