"""Celery tasks of the core: thin interfaces over the delivery services. They take ids only.

Their names are the wire interface (queued messages and the beat schedule name them), so they
keep the names they had when these tasks lived in the `integrations` app.
"""

from typing import Any

from celery import shared_task
from celery.signals import worker_process_init, worker_process_shutdown, worker_ready, worker_shutdown

from orders.relay import relay_start, relay_stop
from orders.services.catch_up import STATUS_CATCH_UP_TASK, status_catch_up
from orders.services.dispatch import deliveries_send, delivery_send
from orders.services.outbox import DELIVERIES_SEND_BATCH_TASK, DELIVERY_SEND_TASK, deliveries_enqueue_batch
from orders.services.sweeper import deliveries_sweep
from orders.services.wakeups import wakeup_by_notify


@shared_task(bind=True, name=DELIVERY_SEND_TASK, acks_late=True, ignore_result=True)
def delivery_send_task(self, delivery_id: int) -> None:
    """Send one delivery. Safe to run twice: a delivered, claimed or superseded row is skipped.

    Retries are not Celery retries: the service writes `next_attempt_at` and the sweeper queues
    the row when it is due, so no hours-long countdown sits in the broker.
    """
    delivery_send(delivery_id=delivery_id, task_id=self.request.id or "", wait_outcome=False)


@shared_task(bind=True, name=DELIVERIES_SEND_BATCH_TASK, acks_late=True, ignore_result=True)
def deliveries_send_batch_task(self, delivery_ids: list[int]) -> None:
    """Send a batch the sweeper queued. What the time budget leaves over is queued as a new batch."""
    left = deliveries_send(delivery_ids=delivery_ids, task_id=self.request.id or "", wait_outcome=False)
    if left:
        deliveries_enqueue_batch(left)


@shared_task(name=STATUS_CATCH_UP_TASK, acks_late=True, ignore_result=True)
def status_catch_up_task(mapping_id: int) -> None:
    """Tell the partners of the orders in a status a manager has just set up (safe to run twice)."""
    status_catch_up(mapping_id=mapping_id)


@shared_task(name="integrations.deliveries_sweep", ignore_result=True)
def deliveries_sweep_task() -> None:
    """Queue the due deliveries (beat runs this every few seconds)."""
    deliveries_sweep()


def _is_prefork(consumer: Any) -> bool:
    return type(getattr(consumer, "pool", None)).__module__ == "celery.concurrency.prefork"


@worker_ready.connect
def _wakeup_relay_start(sender: Any = None, **kwargs: Any) -> None:
    """With DELIVERY_WAKEUP = "notify", every worker process runs a relay (one at a time relays).

    Not in a prefork pool's parent, which forks new children while it runs: each child runs one.
    """
    if wakeup_by_notify() and not _is_prefork(sender):
        relay_start()


@worker_process_init.connect
def _wakeup_relay_start_in_child(**kwargs: Any) -> None:
    if wakeup_by_notify():
        relay_start()


@worker_shutdown.connect
@worker_process_shutdown.connect
def _wakeup_relay_stop(**kwargs: Any) -> None:
    relay_stop()
