"""Celery tasks: thin interfaces over the dispatch services. They take ids only."""

from celery import shared_task

from integrations.exceptions import PartnerTransientError


@shared_task(bind=True, name="integrations.delivery_send", acks_late=True, ignore_result=True)
def delivery_send_task(self, delivery_id: int) -> None:
    """Send one delivery. Safe to run twice: a delivered, claimed or superseded row is skipped.

    Retries are not Celery retries: the service writes `next_attempt_at` and the sweeper queues
    the row when it is due, so no hours-long countdown sits in the broker.
    """
    from integrations.services.dispatch import delivery_send

    delivery_send(delivery_id=delivery_id, task_id=self.request.id or "")


@shared_task(bind=True, name="integrations.deliveries_send_batch", acks_late=True, ignore_result=True)
def deliveries_send_batch_task(self, delivery_ids: list[int]) -> None:
    """Send a batch the sweeper queued. What the time budget leaves over is queued as a new batch."""
    from integrations.services.dispatch import deliveries_send
    from integrations.services.outbox import deliveries_enqueue_batch

    left = deliveries_send(delivery_ids=delivery_ids, task_id=self.request.id or "")
    if left:
        deliveries_enqueue_batch(left)


@shared_task(name="integrations.deliveries_sweep", ignore_result=True)
def deliveries_sweep_task() -> None:
    from integrations.services.sweeper import deliveries_sweep

    deliveries_sweep()


@shared_task(name="integrations.horoshop_poll", ignore_result=True)
def horoshop_poll_task() -> None:
    """One reconciliation poll of the shop (skipped when one is running or the API is not set)."""
    from integrations.services.polling import horoshop_poll

    horoshop_poll()


@shared_task(
    bind=True, name="integrations.horoshop_orders_confirm", acks_late=True, ignore_result=True,
    autoretry_for=(PartnerTransientError,), retry_backoff=5, retry_backoff_max=300, max_retries=6,
)
def horoshop_orders_confirm_task(self, order_numbers: list[str]) -> None:
    """Read orders a webhook announced from the shop's API and apply what the shop says.

    Short retries only: if the shop stays unreachable, the next poll reads these orders anyway.
    """
    from integrations.services.polling import horoshop_orders_confirm

    horoshop_orders_confirm(order_numbers=order_numbers)


@shared_task(name="integrations.deliveries_alert", ignore_result=True)
def deliveries_alert_task() -> None:
    from integrations.services.maintenance import deliveries_alert

    deliveries_alert()


@shared_task(name="integrations.retention_purge", ignore_result=True)
def retention_purge_task() -> None:
    from integrations.services.maintenance import retention_purge

    retention_purge()
