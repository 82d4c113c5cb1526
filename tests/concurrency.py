"""Run actions in threads released at the same moment, as concurrent requests or workers would."""

from __future__ import annotations

import threading
from collections.abc import Callable
from typing import Any

from django.db import connection


def run_together(*actions: Callable[[], Any], timeout: float = 60) -> list[Any]:
    """Run each action in its own thread, all released together; their results in order.

    Each thread closes its own database connection. An error in any thread is raised here, so a
    failure cannot hide behind a thread that simply stopped.
    """
    barrier = threading.Barrier(len(actions))
    results: list[Any] = [None] * len(actions)
    errors: list[BaseException] = []

    def run(index: int, action: Callable[[], Any]) -> None:
        try:
            barrier.wait(timeout=timeout)
            results[index] = action()
        except BaseException as exc:  # noqa: BLE001 - handed to the test below
            errors.append(exc)
        finally:
            connection.close()

    threads = [threading.Thread(target=run, args=(i, action)) for i, action in enumerate(actions)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(timeout=timeout)
    if errors:
        raise errors[0]
    if any(thread.is_alive() for thread in threads):
        raise AssertionError(f"A concurrent action did not finish within {timeout}s")
    return results
