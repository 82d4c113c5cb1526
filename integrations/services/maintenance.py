"""Housekeeping: purge old audit rows, and tell operators about deliveries in trouble, once."""

from __future__ import annotations

import logging
from dataclasses import dataclass
from datetime import datetime, timedelta
from typing import Any

from django.conf import settings
from django.core.mail import mail_admins
from django.db.models import Q, QuerySet
from django.utils import timezone

from integrations import http
from integrations.models import InboundEvent
from orders.models import Delivery, DeliveryAttempt
from orders.partner_errors import PartnerError

logger = logging.getLogger(__name__)

PURGE_BATCH = 5000
ALERT_LIST_MAX = 50


def retention_purge(*, now: datetime | None = None) -> dict[str, int]:
    """Delete inbound events and delivery attempts older than RETENTION_DAYS, in batches.

    Orders, their history and deliveries are never purged.
    """
    cutoff = (now or timezone.now()) - timedelta(days=settings.RETENTION_DAYS)
    purged = {}
    for name, queryset in (("inbound_events", InboundEvent.objects.filter(created_at__lt=cutoff)),
                           ("delivery_attempts", DeliveryAttempt.objects.filter(started_at__lt=cutoff))):
        purged[name] = rows_purge(queryset)
    if any(purged.values()):
        logger.info("Retention purge removed %s", purged, extra=purged)
    return purged


def rows_purge(queryset: QuerySet[Any]) -> int:
    """Delete these rows PURGE_BATCH at a time (no long lock, no huge transaction); how many went."""
    total = 0
    while ids := list(queryset.values_list("pk", flat=True)[:PURGE_BATCH]):
        total += queryset.model.objects.filter(pk__in=ids).delete()[0]
    return total


@dataclass(frozen=True)
class Problem:
    level: str
    delivery: Delivery

    def line(self) -> str:
        d = self.delivery
        what = "failed for good" if self.level == "failed" else "not delivered yet"
        return f"Order #{d.order.shop_order_id} → {d.channel_label}: {what} ({d.last_error or 'no answer yet'})"


def _claim(queryset, level: str) -> list[Delivery]:
    """Mark these deliveries alerted at `level`; only rows this call marked are returned (no double alerts)."""
    candidates = list(queryset.values_list("pk", flat=True)[:ALERT_LIST_MAX])
    claimed = []
    for pk in candidates:
        if Delivery.objects.filter(pk=pk).exclude(alerted=level).exclude(alerted="failed").update(alerted=level):
            claimed.append(pk)
    return list(Delivery.objects.filter(pk__in=claimed).select_related("order"))


def deliveries_alert(*, now: datetime | None = None) -> list[Problem]:
    """Tell operators of deliveries that failed for good or are late, once per delivery and level."""
    now = now or timezone.now()
    late_before = now - timedelta(seconds=settings.ALERT_UNDELIVERED_AFTER)
    failed = _claim(Delivery.objects.filter(state=Delivery.State.FAILED).exclude(alerted="failed"), "failed")
    late = _claim(
        Delivery.objects.filter(Q(state__in=Delivery.OPEN_STATES), created_at__lt=late_before, alerted=""), "late")
    problems = [Problem("failed", d) for d in failed] + [Problem("late", d) for d in late]
    if problems:
        alert_send(problems)
    return problems


def alert_send(problems: list[Problem]) -> None:
    details = [{"level": p.level, "order": p.delivery.order.shop_order_id, "channel": p.delivery.channel,
                "delivery": p.delivery.pk, "error": p.delivery.last_error} for p in problems]
    alert_notify(subject=f"{len(problems)} status deliveries need attention", lines=[p.line() for p in problems],
                 details=details)


def alert_notify(*, subject: str, lines: list[str], details: list[dict[str, Any]]) -> None:
    """Tell operators: an ERROR log line, mail to ADMINS, and ALERT_WEBHOOK_URL (`{"text", "problems"}`).

    Never raises for a channel that does not take the alert: the others have been told.
    """
    body = "\n".join(lines)
    logger.error("%s:\n%s", subject, body, extra={"alert": True})
    if settings.ADMINS:
        mail_admins(subject, body, fail_silently=True)
    if settings.ALERT_WEBHOOK_URL:
        payload = {"text": f"{subject}\n{body}", "problems": details}
        try:
            response, exchange = http.send("POST", settings.ALERT_WEBHOOK_URL, json_body=payload,
                                           secrets=[settings.ALERT_WEBHOOK_URL.rsplit("/", 1)[-1]])
            http.raise_for_status(response, exchange)
        except PartnerError as exc:
            logger.warning("The alert webhook did not take the alert: %s", exc.message)
