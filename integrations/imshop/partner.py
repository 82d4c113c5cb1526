"""Imshop behind the partner interface: the order's status (and payment) in the shop's mobile app."""

from __future__ import annotations

from typing import Any

from django.conf import settings

from integrations.imshop.client import imshop_client_from_settings
from integrations.imshop.payloads import build_status_payload
from orders.models import Channel, Delivery, Order, StatusChange, StatusMapping
from orders.partner_errors import Exchange, PartnerNotConfiguredError


class ImshopPartner:
    key = Channel.IMSHOP.value
    label = "Imshop"
    # Imshop's documents ask for a `payment` block when (and only when) the payment status changed.
    tells_payment = True

    def is_configured(self) -> bool:
        return bool(settings.IMSHOP_STATUS_URL)

    def channels(self) -> list[str]:
        return [self.key]

    def channels_for(self, *, order: Order, mapping: StatusMapping, source: str) -> list[str]:
        """Orders Imshop knows (an Imshop uuid, or every order with IMSHOP_SYNC_ALL_ORDERS)."""
        known = bool(order.imshop_uuid) or settings.IMSHOP_SYNC_ALL_ORDERS
        return [self.key] if mapping.imshop_enabled and known else []

    def payload_build(
        self, *, channel: str, order: Order, mapping: StatusMapping, change: StatusChange, payment_changed: bool
    ) -> dict[str, Any]:
        return build_status_payload(order=order, mapping=mapping, payment_changed=payment_changed)

    def send_prepare(self, deliveries: list[Delivery]) -> None:
        return None  # `send` reads nothing from the database (its key is a setting)

    def send(self, delivery: Delivery) -> Exchange:
        client = imshop_client_from_settings()
        if client is None:
            raise PartnerNotConfiguredError("The Imshop channel is not configured.")
        return client.send_status(delivery.payload)

    def outcome_apply(self, delivery: Delivery, *, delivered: bool, error: str) -> None:
        return None

    def channel_label(self, channel: str) -> str:
        return self.label
