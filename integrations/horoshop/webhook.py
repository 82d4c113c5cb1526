"""The shop's webhook as a hint: apply it, or have the shop's API confirm its status first."""

from __future__ import annotations

import logging
from functools import partial
from typing import Any

from django.db import transaction

from hub.publishing import broker_publish
from integrations.horoshop.order_report import order_report_from_shop
from integrations.horoshop.partner import ShopPartner
from integrations.tasks import horoshop_orders_confirm_task
from orders.models import StatusChange
from orders.services.intake import IntakeResult, order_upsert_from_shop

logger = logging.getLogger(__name__)


def shop_webhook_receive(*, data: dict[str, Any], raw: dict[str, Any]) -> IntakeResult:
    """Take a webhook's order. With the shop's API configured, a new status is not applied from the
    webhook (they come minutes late and out of order) but confirmed by reading the order back.
    """
    confirm = ShopPartner().is_configured()
    with transaction.atomic():
        result = order_upsert_from_shop(report=order_report_from_shop(data=data, raw=raw),
                                        source=StatusChange.Source.SHOP_WEBHOOK, confirm_status=confirm)
        if result.needs_confirmation:
            transaction.on_commit(partial(orders_confirm_enqueue, result.order.shop_order_id))
    return result


def orders_confirm_enqueue(shop_order_id: str) -> None:
    # If the broker is down, the next poll reads the order anyway.
    broker_publish(partial(horoshop_orders_confirm_task.delay, [shop_order_id]),
                   what=f"the confirmation of order {shop_order_id}")
