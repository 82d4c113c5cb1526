"""The sandbox partners' memory: recorded requests, failure switches, issued tokens and the shop's orders.

Everything lives in the database, so several web workers behave as one partner.
"""

from __future__ import annotations

import copy
import hashlib
import json
import logging
import secrets
from dataclasses import dataclass
from datetime import datetime, timedelta
from typing import Any
from zoneinfo import ZoneInfo

from django.conf import settings
from django.db.models import F
from django.utils import timezone

from integrations import http
from integrations.horoshop.payloads import shop_order_number
from integrations.sandbox.models import Partner, SandboxRequest, SandboxShopOrder, SandboxSwitch, SandboxToken
from integrations.sandbox.validation import horoshop_date_parse
from orders.models import Order

logger = logging.getLogger(__name__)

SHOP_DATETIME_FORMAT = "%Y-%m-%d %H:%M:%S"


@dataclass(frozen=True)
class SandboxAnswer:
    """What a sandbox partner answers: the HTTP status, a JSON-ready body (or plain text), what it refused."""

    status: int
    body: Any
    problems: tuple[str, ...] = ()

    @property
    def accepted(self) -> bool:
        return not self.problems

    @property
    def text(self) -> str:
        return self.body if isinstance(self.body, str) else json.dumps(self.body, ensure_ascii=False)


def _known_secrets() -> list[str]:
    return [settings.CHOCO_CLIENT_SECRET, settings.IMSHOP_API_KEY, settings.HOROSHOP_PASSWORD]


def _storable(text: str) -> str:
    # PostgreSQL text and jsonb cannot hold NUL; anything a caller sends must still be kept.
    return text.replace("\x00", "\\x00")


def sandbox_request_record(
    *, partner: str, endpoint: str, method: str, headers: dict[str, str], body: bytes, answer: SandboxAnswer
) -> SandboxRequest:
    """Keep one request and its answer for the admin. Secrets (headers, passwords, tokens) are masked.

    Append-only: a row is never updated. Bodies are cut to ATTEMPT_BODY_LIMIT.
    """
    secret_values = _known_secrets()
    record = SandboxRequest.objects.create(
        partner=partner,
        endpoint=endpoint[:200],
        method=method[:10],
        headers=http.mask_headers(headers),
        body=_storable(http.truncate(http.mask_text(body.decode("utf-8", errors="replace"), secret_values))),
        accepted=answer.accepted,
        response_status=answer.status,
        response_body=_storable(http.truncate(http.mask_text(answer.text, secret_values))),
        problems=[_storable(problem) for problem in answer.problems],
    )
    logger.info(
        "Sandbox %s %s %s answered %s (%s problems)", partner, method, endpoint, answer.status, len(answer.problems),
        extra={"sandbox_request_id": record.pk},
    )
    return record


def sandbox_already_received(msg_id: str) -> bool:
    """Whether the sandbox subscriber already took the message with this `webhook-id`."""
    return SandboxRequest.objects.filter(partner=Partner.SUBSCRIBER, accepted=True,
                                         body__contains=f'"id":{json.dumps(msg_id)}').exists()


def sandbox_failure_take(*, partner: str) -> int | None:
    """The HTTP status to fail this request with, or None. Counts the switch down by one, atomically.

    One conditional UPDATE, so two workers never take the same failure twice.
    """
    taken = SandboxSwitch.objects.filter(partner=partner, fail_next__gt=0).update(fail_next=F("fail_next") - 1)
    if not taken:
        return None
    status = SandboxSwitch.objects.filter(partner=partner).values_list("fail_status", flat=True).first()
    return status or 503


def sandbox_latency_get(*, partner: str) -> int:
    """How long (ms) the partner waits before answering; 0 when it has no switch."""
    return SandboxSwitch.objects.filter(partner=partner).values_list("latency_ms", flat=True).first() or 0


def sandbox_switch_set(
    *, partner: str, fail_next: int, fail_status: int, latency_ms: int, by: str = ""
) -> SandboxSwitch:
    """Set how `partner` misbehaves from its next request on. Raises ValidationError on bad values."""
    switch = SandboxSwitch.objects.filter(partner=partner).first() or SandboxSwitch(partner=partner)
    switch.fail_next, switch.fail_status, switch.latency_ms = fail_next, fail_status, latency_ms
    switch.full_clean()
    switch.save()
    logger.info("Sandbox %s: fail the next %s with HTTP %s, delay %s ms (set by %s)", partner, fail_next,
                fail_status, latency_ms, by or "-")
    return switch


def _token_hash(token: str) -> str:
    return hashlib.sha256(token.encode()).hexdigest()


def sandbox_token_issue(*, partner: str, ttl_seconds: int) -> str:
    """A new token for `partner`, valid `ttl_seconds`. Only its hash is stored; expired ones are dropped."""
    now = timezone.now()
    SandboxToken.objects.filter(partner=partner, expires_at__lte=now).delete()
    # Horoshop's tokens are 32 characters; Choco's are long opaque JWTs.
    token = secrets.token_hex(16) if partner == Partner.HOROSHOP else secrets.token_urlsafe(48)
    SandboxToken.objects.create(
        partner=partner, token_hash=_token_hash(token), expires_at=now + timedelta(seconds=ttl_seconds)
    )
    return token


def sandbox_token_valid(*, partner: str, token: str) -> bool:
    """True when `partner` issued `token` and it has not expired."""
    if not token:
        return False
    return SandboxToken.objects.filter(
        partner=partner, token_hash=_token_hash(token), expires_at__gt=timezone.now()
    ).exists()


def sandbox_shop_order_set(*, order_id: str, status: int) -> SandboxShopOrder:
    """The sandbox shop takes `status` for order `order_id` (created when it is new). Idempotent."""
    payload_hash = Order.objects.filter(shop_order_id=order_id).values_list("payload_hash", flat=True).first()
    order, _ = SandboxShopOrder.objects.update_or_create(
        order_id=order_id, defaults={"status": status, "payload_hash": payload_hash or ""}
    )
    return order


def sandbox_shop_orders_get(
    *, ids: list[Any] | None = None, date_from: datetime | None = None, date_to: datetime | None = None,
    status: int | None = None, limit: int | None = None, offset: int = 0,
) -> list[dict[str, Any]]:
    """The sandbox shop's orders in Horoshop's `orders/get` shape, filtered like Horoshop filters them.

    The sandbox shop is the shop that sent the hub its webhooks: its orders are the hub's copies of
    what the shop sent, with the status the hub last wrote back, unless the shop sent a newer
    payload since. `date_from`/`date_to` are naive shop-local times compared with `stat_created`;
    `offset` counts only with `limit` (as in Horoshop).
    """
    rows = SandboxShopOrder.objects.all()
    hub_orders = Order.objects.all()
    if ids is not None:
        wanted = [str(i) for i in ids]
        rows, hub_orders = rows.filter(order_id__in=wanted), hub_orders.filter(shop_order_id__in=wanted)
    written = {row.order_id: row for row in rows}
    sent = {number: (raw, digest) for number, raw, digest in
            hub_orders.values_list("shop_order_id", "raw_payload", "payload_hash")}
    orders = []
    for number in sorted(set(written) | set(sent), key=lambda n: (len(n), n)):
        raw, digest = sent.get(number, (None, ""))
        order = _shop_order(number, written.get(number), raw, digest)
        if (status is None or order.get("stat_status") == status) and _placed_within(order, date_from, date_to):
            orders.append(order)
    if limit is not None:
        orders = orders[offset:offset + limit]
    return orders


def _shop_order(number: str, row: SandboxShopOrder | None, raw: Any, digest: str) -> dict[str, Any]:
    # The sandbox shop never saw the order's details; the webhook the hub received stands in for them.
    order = copy.deepcopy(raw) if isinstance(raw, dict) else {"products": []}
    if row is not None:
        placed = timezone.localtime(row.created_at, ZoneInfo(settings.SHOP_TIMEZONE)).strftime(SHOP_DATETIME_FORMAT)
        order.setdefault("stat_created", placed)
        if raw is None or row.payload_hash == digest:
            order["stat_status"] = row.status
    order["order_id"] = shop_order_number(number)
    return order


def _placed_within(order: dict[str, Any], date_from: datetime | None, date_to: datetime | None) -> bool:
    placed = horoshop_date_parse(order.get("stat_created"))
    if placed is None:
        return True
    return (date_from is None or placed >= date_from) and (date_to is None or placed <= date_to)
