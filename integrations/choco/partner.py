"""Choco behind the partner interface: a card on the buyer's active order."""

from __future__ import annotations

from typing import Any

from django.conf import settings
from django.utils import timezone

from integrations.choco.client import choco_client_from_settings
from integrations.choco.payloads import build_status_payload, payload_expiry_renewed
from integrations.tokens import process_tokens
from orders.models import Channel, Delivery, Order, StatusChange, StatusMapping
from orders.partner_errors import Exchange, PartnerNotConfiguredError


class ChocoPartner:
    key = Channel.CHOCO.value
    label = "Choco"
    tells_payment = False

    def is_configured(self) -> bool:
        return bool(settings.CHOCO_CLIENT_ID and settings.CHOCO_CLIENT_SECRET)

    def channels(self) -> list[str]:
        return [self.key]

    def channels_for(self, *, order: Order, mapping: StatusMapping, source: str) -> list[str]:
        """Orders placed through Choco (they carry the buyer's Choco user id), for mappings that send to it."""
        return [self.key] if mapping.choco_enabled and order.choco_user_id else []

    def payload_build(
        self, *, channel: str, order: Order, mapping: StatusMapping, change: StatusChange, payment_changed: bool
    ) -> dict[str, Any]:
        return build_status_payload(order=order, mapping=mapping, now=timezone.now(),
                                    version=settings.CHOCO_PAYLOAD_VERSION, tz=settings.CHOCO_TIMEZONE,
                                    reason=change.reason)

    def send_prepare(self, deliveries: list[Delivery]) -> None:
        return None  # `send` reads nothing from the database (its token is kept in the process)

    def send(self, delivery: Delivery) -> Exchange:
        client = choco_client_from_settings(token_store=process_tokens)
        if client is None:
            raise PartnerNotConfiguredError("The Choco channel is not configured.")
        minutes = delivery.status_change.to_status.choco_expires_in_minutes
        payload = delivery.payload
        if minutes:
            # The card's validity runs from when it is sent, not from when the status changed.
            payload = payload_expiry_renewed(payload, now=timezone.now(), minutes=minutes, tz=settings.CHOCO_TIMEZONE)
        return client.send_status(payload)

    def outcome_apply(self, delivery: Delivery, *, delivered: bool, error: str) -> None:
        return None

    def channel_label(self, channel: str) -> str:
        return self.label
