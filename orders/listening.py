"""A thread that keeps a LISTEN connection of its own, reconnecting after any failure until stopped.

The delivery wake-up relay (orders/relay.py) and the configuration listener
(orders/config_listener.py) are such threads: each subclass says how to listen once (`_listen`,
returning when stopped, raising when the connection fails) and what to undo when it stops
listening (`_listening_ended`).
"""

from __future__ import annotations

import logging
import threading

logger = logging.getLogger(__name__)


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

    def _listening_ended(self) -> None:
        """After each spell of listening, failed or stopped."""

    def _thread_ended(self) -> None:
        """Once, as the thread ends."""
