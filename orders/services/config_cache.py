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
- if the caller says the row was not written by the current transaction (a rollback would leave
  a row kept that never existed, and its own notification would come only with a commit);
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

    def __init__(self, name: str) -> None:
        self.name = name
        self._values: dict[K, tuple[V, float]] = {}
        self.hits = self.loads = 0  # tests and benchmarks
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
            self.hits += 1
            return kept[0]
        generation = _state.generation
        value, keepable = load()
        self.loads += 1
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
