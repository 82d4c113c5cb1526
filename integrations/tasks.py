"""Celery tasks: thin interfaces over the dispatch services. They take ids only."""

from celery import shared_task


@shared_task(bind=True, name="integrations.delivery_send", acks_late=True, ignore_result=True)
def delivery_send_task(self, delivery_id: int) -> None:
    """Send one delivery. Safe to run twice: a delivered, claimed or superseded row is skipped.

    Retries are not Celery retries: the service writes `next_attempt_at` and the sweeper queues
    the row when it is due, so no hours-long countdown sits in the broker.
    """
    from integrations.services.dispatch import delivery_send

    delivery_send(delivery_id=delivery_id, task_id=self.request.id or "")


@shared_task(name="integrations.deliveries_sweep", ignore_result=True)
def deliveries_sweep_task() -> None:
    from integrations.services.sweeper import deliveries_sweep

    deliveries_sweep()
