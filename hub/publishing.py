"""Publishing to the broker without letting a dead or hung broker hold a request.

Every read and connect on the broker is bounded by BROKER_SOCKET_TIMEOUT (settings). On top of
that, a process that just failed to publish does not try again for BROKER_BACKOFF_SECONDS: the
rows it would have queued stay in the database, where the sweeper finds them. So a hung broker
costs one request about a second, not every request.
"""

from __future__ import annotations

import logging
import threading
import time
from collections.abc import Callable

from celery import current_app
from django.conf import settings

logger = logging.getLogger(__name__)

_lock = threading.Lock()
_skip_until = 0.0


def broker_state_reset() -> None:
    """Forget a recent failure (tests; a process that knows the broker is back)."""
    global _skip_until
    with _lock:
        _skip_until = 0.0


def broker_recently_failed() -> bool:
    return time.monotonic() < _skip_until


def broker_publish(send: Callable[[], object], *, what: str) -> bool:
    """Run `send` (a task's .delay) unless the broker failed moments ago. True when it was queued.

    Never raises for a broker problem: the caller leaves the work to the sweeper when this is False.
    """
    global _skip_until
    if broker_recently_failed():
        logger.info("Not queuing %s: the broker failed moments ago; the sweeper will", what)
        return False
    try:
        send()
    except Exception as exc:  # noqa: BLE001 - any broker failure; the database keeps the work
        with _lock:
            _skip_until = time.monotonic() + settings.BROKER_BACKOFF_SECONDS
        logger.warning("Could not queue %s (%s); the sweeper will", what, exc.__class__.__name__)
        return False
    return True


def task_publish(name: str, *args: object, what: str) -> bool:
    """Queue the registered task `name` with these arguments, as `broker_publish` does.

    Services name the task rather than import it: its module imports them, to call them.
    """
    return broker_publish(lambda: current_app.tasks[name].delay(*args), what=what)
