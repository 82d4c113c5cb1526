"""Setting the shop up: the hub's webhook subscriptions and the shop's own status list."""

from __future__ import annotations

import logging

from django.conf import settings
from django.db import transaction
from django.urls import reverse

from integrations.horoshop.client import HoroshopClient, horoshop_client_from_settings
from integrations.models import WebhookSubscription
from integrations.tokens import process_tokens
from orders.errors import ApplicationError
from orders.models import StatusMapping
from orders.partner_errors import PartnerError

logger = logging.getLogger(__name__)

SUBSCRIBED_EVENTS = ("order_created", "order_update", "order_paid")
LIMIT_HINT = (
    "Horoshop allows at most 5 subscriptions per event, and this store has used them all. Remove old ones "
    "(from the hub that made them, with `horoshop_webhooks unsubscribe`, or ask Horoshop support: "
    "its API cannot list subscriptions), then run subscribe again."
)
UNSUPPORTED_HINT = (
    "Horoshop documents only order_created; order_update and order_paid need a newer store version or the Pro "
    "tariff. Without them the hub still learns of status changes by polling orders/get."
)


def _client() -> HoroshopClient:
    client = horoshop_client_from_settings(token_store=process_tokens)
    if client is None:
        raise ApplicationError("Set HOROSHOP_API_URL, HOROSHOP_LOGIN and HOROSHOP_PASSWORD first.")
    return client


def webhook_target_url(event: str) -> str:
    """The URL Horoshop should call for `event`, secret token included."""
    if not settings.HUB_PUBLIC_URL or not settings.SHOP_WEBHOOK_TOKEN:
        raise ApplicationError("Set HUB_PUBLIC_URL and SHOP_WEBHOOK_TOKEN first.")
    path = reverse("shop-webhook", kwargs={"event": event})
    return f"{settings.HUB_PUBLIC_URL.rstrip('/')}{path}?token={settings.SHOP_WEBHOOK_TOKEN}"


def _explain(event: str, exc: PartnerError) -> str:
    text = exc.message
    if "limit" in text.lower():
        return f"{event}: refused, {text}. {LIMIT_HINT}"
    return f"{event}: refused, {text}. {UNSUPPORTED_HINT if event != 'order_created' else ''}".strip()


def webhooks_subscribe() -> list[str]:
    """Subscribe the hub to each event it takes. Safe to run twice: known subscriptions are kept."""
    client, lines = _client(), []
    for event in SUBSCRIBED_EVENTS:
        url = webhook_target_url(event)
        known = WebhookSubscription.objects.filter(event=event, target_url=url).first()
        if known:
            lines.append(f"{event}: already subscribed (Horoshop id {known.subscription_id}).")
            continue
        try:
            subscription_id, _ = client.hooks_subscribe(event=event, target_url=url)
        except PartnerError as exc:
            lines.append(_explain(event, exc))
            continue
        WebhookSubscription.objects.create(event=event, target_url=url, subscription_id=subscription_id)
        lines.append(f"{event}: subscribed (Horoshop id {subscription_id}).")
    return lines


def webhooks_unsubscribe() -> list[str]:
    """Remove every subscription this hub made. Safe to run twice."""
    client, lines = _client(), []
    for subscription in WebhookSubscription.objects.all():
        try:
            client.hooks_unsubscribe(subscription_id=subscription.subscription_id, target_url=subscription.target_url)
        except PartnerError as exc:
            lines.append(f"{subscription.event}: could not unsubscribe id {subscription.subscription_id}: "
                         f"{exc.message}")
            continue
        subscription.delete()
        lines.append(f"{subscription.event}: unsubscribed (Horoshop id {subscription.subscription_id}).")
    return lines or ["No subscriptions made by this hub."]


def webhooks_status() -> list[str]:
    rows = WebhookSubscription.objects.all()
    lines = [f"{s.event}: Horoshop id {s.subscription_id} since {s.created_at:%Y-%m-%d %H:%M}" for s in rows]
    return lines or ["No subscriptions made by this hub."]


def _title(status: dict) -> str:
    title = status.get("title")
    if isinstance(title, dict):
        return str(title.get("ru") or title.get("ua") or title.get("en") or next(iter(title.values()), ""))
    return str(title or "")


def shop_statuses_import() -> tuple[int, int]:
    """Create a mapping for every shop status the hub does not know. Returns (created, already known).

    New rows carry the shop's title, are flagged as needing setup and send nothing until a
    manager fills them in. Placeholders made earlier for an unknown id get the shop's title.
    """
    statuses, _ = _client().available_statuses()
    created = known = 0
    with transaction.atomic():
        for status in statuses:
            try:
                shop_status_id = int(status["id"])
            except (KeyError, TypeError, ValueError):
                continue
            name = _title(status)[:100] or f"Shop status {shop_status_id}"
            mapping, made = StatusMapping.objects.get_or_create(
                shop_status_id=shop_status_id,
                defaults={"code": f"shop-{shop_status_id}", "name": name, "needs_setup": True,
                          "shop_enabled": False, "is_final": bool(status.get("is_successful"))},
            )
            if made:
                created += 1
                continue
            known += 1
            if mapping.needs_setup and mapping.name == f"Shop status {shop_status_id}":
                StatusMapping.objects.filter(pk=mapping.pk).update(name=name)
    return created, known
