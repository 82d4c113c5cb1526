"""Celery tasks of the edge: polling the shop, confirming webhooks, alerts and housekeeping. Ids only."""

from celery import shared_task

from integrations.horoshop.intake import ORDERS_CONFIRM_TASK
from integrations.horoshop.polling import horoshop_orders_confirm, horoshop_poll
from integrations.services.maintenance import deliveries_alert, retention_purge
from integrations.webhooks.services import webhook_endpoints_check
from orders.partner_errors import PartnerTransientError


@shared_task(name="integrations.horoshop_poll", ignore_result=True)
def horoshop_poll_task() -> None:
    """One reconciliation poll of the shop (skipped when one is running or the API is not set)."""
    horoshop_poll()


@shared_task(
    bind=True, name=ORDERS_CONFIRM_TASK, acks_late=True, ignore_result=True,
    autoretry_for=(PartnerTransientError,), retry_backoff=5, retry_backoff_max=300, max_retries=6,
)
def horoshop_orders_confirm_task(self, order_numbers: list[str]) -> None:
    """Read orders a webhook announced from the shop's API and apply what the shop says.

    Short retries only: if the shop stays unreachable, the next poll reads these orders anyway.
    """
    horoshop_orders_confirm(order_numbers=order_numbers)


@shared_task(name="integrations.deliveries_alert", ignore_result=True)
def deliveries_alert_task() -> None:
    """Tell operators of deliveries in trouble, and switch off (and tell of) status subscriptions that only fail."""
    deliveries_alert()
    webhook_endpoints_check()


@shared_task(name="integrations.retention_purge", ignore_result=True)
def retention_purge_task() -> None:
    retention_purge()
