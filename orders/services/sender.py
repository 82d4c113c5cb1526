"""The deliveries a process's tasks send at the same moment are claimed together and sent side by side.

Each task hands its ids to the process's `DeliverySender` and waits. One of the waiting tasks at
a time leads: it claims the ids every waiting task brought in one statement (per channel), opens
their attempts in one insert, puts each request on the process's bounded thread pool, and hands
the lead to the next waiting task; then it waits for its group's answers and records them
together. So a burst of tasks becomes a few large claims, and the requests of a claim are in
flight at once, while no task waits on another's partner.

The database work stays on the task threads (Django's connections are per thread): each partner
reads what its sends need when they are claimed (`Partner.send_prepare`), the pool's threads only
send, and close any connection a partner's `send` still had to open (a token renewed, say). A group is no
larger than the pool has room for, so the rows SENDING are the requests really in flight (what
each channel's cap counts, across workers). A group's answers are recorded as soon as all are in,
or every `DELIVERY_RECORD_WAVE` seconds for those that are: a request that hangs holds back
only itself.
"""

from __future__ import annotations

import os
import threading
from collections import deque
from collections.abc import Callable
from concurrent.futures import ALL_COMPLETED, Future, ThreadPoolExecutor
from concurrent.futures import wait as futures_wait
from typing import Any

from django.conf import settings
from django.db import connections

from orders.models import Delivery

# claim(ids, task_id, sends_at_once) -> ([(delivery, attempt)], ids over a channel's cap, left as they were);
# send(delivery, attempt) -> item; record([items]); defer(ids over the cap) leaves them to the sweeper.
# (The attempt and the item are dispatch's own: an attempt id and a `Sent`.)
Claim = Callable[[list[int], str, int], tuple[list[tuple[Delivery, Any]], list[int]]]
Send = Callable[[Delivery, Any], Any]
Record = Callable[[list[Any]], None]
Defer = Callable[[list[int]], None]


class _Job:
    """One task's ids, waiting to be claimed (by its own task as leader, or by another's group)."""

    __slots__ = ("ids", "task_id", "wait_outcome", "hold", "claimed", "over_cap", "error", "lead", "ready",
                 "recorded")

    def __init__(self, ids: list[int], task_id: str, wait_outcome: bool, hold: bool) -> None:
        self.ids, self.task_id, self.wait_outcome, self.hold = ids, task_id, wait_outcome, hold
        self.claimed: list[Delivery] = []
        self.over_cap: list[int] = []
        self.error: BaseException | None = None
        self.lead = False
        self.ready = threading.Event()  # claimed (or failed), or told to lead
        self.recorded = threading.Event()  # the outcomes of its claimed rows are written


class DeliverySender:
    """A process's claims, in groups, and its pool of `threads` sending threads (see the module)."""

    def __init__(self, *, threads: int, claim_max: int, record_wave: float, claim: Claim, send: Send,
                 record: Record, defer: Defer) -> None:
        self.threads, self.claim_max, self.record_wave = max(1, threads), max(1, claim_max), record_wave
        self._claim, self._send, self._record, self._defer = claim, send, record, defer
        self._lock = threading.Lock()
        self._room = threading.Condition(self._lock)
        self._queue: deque[_Job] = deque()
        self._leading = False
        self._in_flight = 0
        self._pool = ThreadPoolExecutor(max_workers=self.threads, thread_name_prefix="delivery-send")

    def send(self, ids: list[int], *, task_id: str = "", wait_outcome: bool = True,
             hold: bool = False) -> tuple[list[Delivery], list[int]]:
        """Claim and send these deliveries; the claimed rows, and the ids held over a channel's cap.

        Returns once they are claimed, or with `wait_outcome` once their outcomes are recorded.
        Rows over a channel's cap are left to the sweeper, or with `hold` left as they were and
        handed back, for the caller to try again once a request in flight is done (`room_wait`).
        Raises what the claim raised (the rows are then still PENDING, for the sweeper).
        """
        job = _Job(list(dict.fromkeys(ids)), task_id, wait_outcome, hold)
        with self._lock:
            self._queue.append(job)
            if not self._leading:
                self._leading = job.lead = True
        if not job.lead:
            job.ready.wait()
        if job.lead:
            self._lead(job)
        if job.error is not None:
            raise job.error
        if job.wait_outcome:
            job.recorded.wait()
        return job.claimed, job.over_cap

    def room_wait(self, timeout: float) -> None:
        """Wait until a request of this process is recorded (its place is free again), or `timeout`."""
        with self._room:
            self._room.wait(timeout)

    def shutdown(self, *, wait: bool = True) -> None:
        self._pool.shutdown(wait=wait)

    def _take(self, own: _Job) -> tuple[list[_Job], int]:
        """The leader's group (its own job, then the waiting ones, as far as the pool has room) and that room."""
        with self._room:
            while self._in_flight + min(len(own.ids), self.threads) > self.threads:
                self._room.wait()
            self._queue.remove(own)
            group, size = [own], len(own.ids)
            room = self.threads - self._in_flight
            while self._queue and size + len(self._queue[0].ids) <= min(room, self.claim_max):
                job = self._queue.popleft()
                group.append(job)
                size += len(job.ids)
            self._in_flight += size  # reserved now; what is not claimed is given back below
            return group, room

    def _hand_over(self) -> None:
        """The next waiting task leads, or nobody until one comes."""
        with self._lock:
            if self._queue:
                self._queue[0].lead = True
                self._queue[0].ready.set()
            else:
                self._leading = False

    def _release(self, count: int) -> None:
        with self._room:
            self._in_flight -= count
            self._room.notify_all()

    def _lead(self, own: _Job) -> None:
        group, room = self._take(own)
        reserved = sum(len(job.ids) for job in group)
        claimed: list[tuple[Delivery, Any]] = []
        over_cap: set[int] = set()
        try:
            claimed, over = self._claim(list(dict.fromkeys(pk for job in group for pk in job.ids)), own.task_id, room)
            over_cap = set(over)
            self._defer([pk for job in group if not job.hold for pk in job.ids if pk in over_cap])
        except BaseException as exc:
            for job in group:
                job.error = exc
        self._release(reserved - len(claimed))
        futures = [self._pool.submit(self._send_one, delivery, attempt) for delivery, attempt in claimed]
        by_id = {delivery.pk: delivery for delivery, _ in claimed}
        for job in group:
            job.claimed = [by_id[pk] for pk in job.ids if pk in by_id]
            job.over_cap = [pk for pk in job.ids if pk in over_cap] if job.hold else []
            if job is not own:
                job.ready.set()
        self._hand_over()
        try:
            self._record_waves(futures)
        except BaseException as exc:
            for job in group:
                job.error = job.error or exc
        finally:
            for job in group:
                job.recorded.set()

    def _send_one(self, delivery: Delivery, attempt: Any) -> Any:
        """On a pool thread: one request, and no database connection left open behind it."""
        try:
            return self._send(delivery, attempt)
        finally:
            for conn in connections.all(initialized_only=True):
                conn.close()

    def _record_waves(self, futures: list[Future]) -> None:
        """Record the answers as they come: all together, or in waves while some are still out."""
        pending = set(futures)
        try:
            while pending:
                done, pending = futures_wait(pending, timeout=self.record_wave, return_when=ALL_COMPLETED)
                if done:
                    try:
                        self._record([future.result() for future in done])
                    finally:
                        self._release(len(done))
        finally:
            # Until recorded, a row is SENDING (the channel's cap counts it): its place is taken till then.
            if pending:
                self._release(len(pending))


_sender: DeliverySender | None = None
_sender_key: tuple = ()
_sender_lock = threading.Lock()


def sender_get(*, claim: Claim, send: Send, record: Record, defer: Defer) -> DeliverySender:
    """This process's sender (a forked child makes its own: threads do not survive a fork)."""
    global _sender, _sender_key
    key = (os.getpid(), settings.DELIVERY_SEND_THREADS, settings.DELIVERY_CLAIM_MAX, settings.DELIVERY_RECORD_WAVE)
    with _sender_lock:
        if _sender is None or _sender_key != key:
            if _sender is not None and _sender_key[0] == key[0]:
                _sender.shutdown(wait=False)  # settings changed (tests): its sends finish on their own
            _sender = DeliverySender(threads=key[1], claim_max=key[2], record_wave=key[3], claim=claim, send=send,
                                     record=record, defer=defer)
            _sender_key = key
        return _sender
