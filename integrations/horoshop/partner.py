"""The shop itself behind the partner interface: changes made in the hub are written back to Horoshop."""

from __future__ import annotations

from typing import Any

from django.conf import settings
from django.utils.translation import gettext

from integrations.horoshop.client import horoshop_client_from_settings
from integrations.horoshop.payloads import build_status_update_payload
from integrations.tokens import process_tokens
from orders.models import Channel, Delivery, Order, StatusChange, StatusMapping
from orders.partner_errors import Exchange, PartnerNotConfiguredError
from orders.services.shop_sync import order_flag_out_of_step, order_shop_status_synced


class ShopPartner:
    key = Channel.SHOP.value
    label = "Shop (Horoshop)"
    tells_payment = False

    def is_configured(self) -> bool:
        return bool(settings.HOROSHOP_API_URL and settings.HOROSHOP_LOGIN and settings.HOROSHOP_PASSWORD)

    def channels(self) -> list[str]:
        return [self.key]

    def channels_for(self, *, order: Order, mapping: StatusMapping, source: str) -> list[str]:
        """Changes made in the hub; a change the shop told us about is never echoed back to it."""
        return [self.key] if mapping.shop_enabled and source not in StatusChange.SHOP_SOURCES else []

    def payload_build(
        self, *, channel: str, order: Order, mapping: StatusMapping, change: StatusChange, payment_changed: bool
    ) -> dict[str, Any]:
        return build_status_update_payload(order=order, mapping=mapping)

    def send_prepare(self, deliveries: list[Delivery]) -> None:
        return None  # `send` reads nothing from the database (its token is kept in the process)

    def send(self, delivery: Delivery) -> Exchange:
        client = horoshop_client_from_settings(token_store=process_tokens)
        if client is None:
            raise PartnerNotConfiguredError("The shop's API (HOROSHOP_*) is not configured.")
        return client.update_orders(delivery.payload)

    def outcome_apply(self, delivery: Delivery, *, delivered: bool, error: str) -> None:
        """Keep the order's idea of the shop's status true once the shop heard (or never will)."""
        if delivered:
            for entry in delivery.payload.get("orders", []):
                order_shop_status_synced(order_id=delivery.order_id, shop_status_id=int(entry["status"]))
        else:
            order_flag_out_of_step(order_id=delivery.order_id,
                                   note=f"The shop was not told of the hub's status change: {error}")

    def channel_label(self, channel: str) -> str:
        return gettext("Shop (Horoshop)")
