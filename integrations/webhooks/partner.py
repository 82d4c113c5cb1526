"""Status subscriptions behind the partner interface: one channel per endpoint (`webhook:<id>`)."""

from __future__ import annotations

import time
from typing import Any

from django.utils import timezone

from integrations.webhooks.client import EndpointGoneError
from integrations.webhooks.models import PARTNER_KEY, WebhookEndpoint, endpoint_channel, endpoint_id_of
from integrations.webhooks.payloads import build_status_event, event_body, message_id
from integrations.webhooks.selectors import (
    endpoint_ids_all,
    endpoint_ids_subscribed,
    endpoint_label,
)
from integrations.webhooks.services import (
    GONE,
    endpoint_attempt_record,
    endpoint_client,
    endpoint_success_write_due,
    endpoint_switch_off,
)
from orders.models import Delivery, DeliveryAttempt, Order, StatusChange, StatusMapping
from orders.partner_errors import Exchange, PartnerError, PartnerNotConfiguredError

# What send_prepare read serves a send this long; after it, the send reads the endpoint itself.
PREPARED_FOR_SECONDS = 30.0


def _first_delivery_id(delivery: Delivery) -> int:
    """The delivery a resend (of a resend...) copies: its id names the event for good."""
    first_id, parent_id = delivery.pk, delivery.resend_of_id
    while parent_id is not None:
        first_id = parent_id
        parent_id = Delivery.objects.filter(pk=parent_id).values_list("resend_of_id", flat=True).first()
    return first_id


class WebhookPartner:
    key = PARTNER_KEY
    label = "Webhooks"
    tells_payment = False

    def __init__(self) -> None:
        # By delivery id, what `send_prepare` read on the claiming thread for `send` (which takes it):
        # the endpoint (None: deleted), the id of the first delivery (a resend's event keeps it), and
        # when it was read. A claimed delivery is sent at once; what a send never took goes stale.
        self._prepared: dict[int, tuple[WebhookEndpoint | None, int, float]] = {}

    def is_configured(self) -> bool:
        """Always: subscriptions need no settings. Each endpoint that is on is a channel, and
        `channels_for` reads those (one query per status change, not two)."""
        return True

    def channels(self) -> list[str]:
        """Every endpoint, on or off (an endpoint switched off still shows what it failed)."""
        return [endpoint_channel(pk) for pk in endpoint_ids_all()]

    def channels_for(self, *, order: Order, mapping: StatusMapping, source: str) -> list[str]:
        """Every endpoint that is on and takes this status, whatever made the change."""
        return [endpoint_channel(pk) for pk in endpoint_ids_subscribed(mapping=mapping)]

    def payload_build(
        self, *, channel: str, order: Order, mapping: StatusMapping, change: StatusChange, payment_changed: bool
    ) -> dict[str, Any]:
        return build_status_event(order=order, mapping=mapping, change=change)

    def send(self, delivery: Delivery) -> Exchange:
        """Sign (with each valid secret, at this attempt's time) and POST the event built at the change.

        The event's `id` (and `webhook-id`) is the first delivery's: the same on every retry and resend.
        """
        endpoint_id = endpoint_id_of(delivery.channel)
        prepared = self._prepared.pop(delivery.pk, None)
        if prepared is not None and time.monotonic() - prepared[2] < PREPARED_FOR_SECONDS:
            endpoint, first_id, _ = prepared
        else:
            endpoint, first_id = self._read(delivery)
        if endpoint is None:
            raise PartnerNotConfiguredError(f"No status subscription #{endpoint_id} exists any more.")
        if not endpoint.enabled:
            raise PartnerNotConfiguredError(f"The status subscription {endpoint.name!r} is switched off.")
        now = timezone.now()
        msg_id = message_id(first_id)
        try:
            exchange = endpoint_client(endpoint=endpoint, now=now).post(
                msg_id=msg_id, body=event_body(delivery.payload, msg_id=msg_id))
        except PartnerError:
            endpoint_attempt_record(endpoint_id=endpoint.pk, ok=False, at=now)
            raise
        # The endpoint was read as the delivery was claimed: a success that changes nothing it keeps
        # (the usual case) costs no statement, so the sending thread opens no connection for it.
        if endpoint_success_write_due(endpoint=endpoint, at=now):
            endpoint_attempt_record(endpoint_id=endpoint.pk, ok=True, at=now)
        return exchange

    def send_prepare(self, deliveries: list[Delivery]) -> None:
        """Read the endpoints of these deliveries in one query (and of a resend, the first delivery's id)."""
        wanted = {delivery.pk: endpoint_id_of(delivery.channel) for delivery in deliveries}
        found = WebhookEndpoint.objects.in_bulk([pk for pk in wanted.values() if pk is not None])
        now = time.monotonic()
        for pk in [pk for pk, (_, _, read_at) in list(self._prepared.items()) if now - read_at >= PREPARED_FOR_SECONDS]:
            self._prepared.pop(pk, None)  # claimed, never sent (the process was stopping)
        for delivery in deliveries:
            endpoint_id = wanted[delivery.pk]
            endpoint = found.get(endpoint_id) if endpoint_id is not None else None
            self._prepared[delivery.pk] = (endpoint, _first_delivery_id(delivery), now)

    def _read(self, delivery: Delivery) -> tuple[WebhookEndpoint | None, int]:
        endpoint_id = endpoint_id_of(delivery.channel)
        endpoint = WebhookEndpoint.objects.filter(pk=endpoint_id).first() if endpoint_id is not None else None
        return endpoint, _first_delivery_id(delivery)

    def outcome_apply(self, delivery: Delivery, *, delivered: bool, error: str) -> None:
        """An endpoint that answered 410 Gone is switched off, as the Standard Webhooks specification asks."""
        endpoint_id = endpoint_id_of(delivery.channel)
        if delivered or endpoint_id is None:
            return
        last = DeliveryAttempt.objects.filter(delivery=delivery).order_by("-number").values_list(
            "response_status", flat=True).first()
        if last == EndpointGoneError.STATUS:
            endpoint_switch_off(endpoint_id=endpoint_id, reason=GONE, at=timezone.now())

    def channel_label(self, channel: str) -> str:
        endpoint_id = endpoint_id_of(channel)
        return endpoint_label(endpoint_id=endpoint_id) if endpoint_id is not None else self.label
