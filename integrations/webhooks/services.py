"""Status subscriptions: saving endpoints, their secrets, their health, and switching off the ones that only fail."""

from __future__ import annotations

import logging
import secrets
from dataclasses import dataclass
from datetime import datetime, timedelta

from django.conf import settings
from django.core.exceptions import ValidationError
from django.db import transaction
from django.db.models import Q
from django.utils import timezone

from integrations.services.maintenance import alert_notify
from integrations.webhooks.client import WebhookClient
from integrations.webhooks.models import WebhookEndpoint
from integrations.webhooks.payloads import build_test_event, event_body, iso_utc, message_id
from integrations.webhooks.selectors import endpoint_labels_forget, endpoint_signing_secrets
from integrations.webhooks.signing import secret_generate
from integrations.webhooks.targets import url_problem
from orders.models import ChannelSwitch
from orders.partner_errors import Exchange, PartnerError
from orders.services.channels import channel_switches_ensure

logger = logging.getLogger(__name__)

# A success is written down at most this often per endpoint (most sends change nothing here).
SUCCESS_WRITE_INTERVAL = timedelta(seconds=60)
GONE = "The endpoint answered 410 Gone: it wants no more events."


def endpoint_client(*, endpoint: WebhookEndpoint, now: datetime) -> WebhookClient:
    """A client for `endpoint`, signing with its valid secrets."""
    return WebhookClient(url=endpoint.url, secrets=endpoint_signing_secrets(endpoint=endpoint, now=now),
                         allow_private=settings.WEBHOOK_ALLOW_PRIVATE_TARGETS)


def endpoint_save(*, endpoint: WebhookEndpoint) -> WebhookEndpoint:
    """Create or update an endpoint as a manager set it. Raises ValidationError naming `url`.

    A new endpoint gets its signing secret and its channel's pause switch. Switching it on starts
    its health afresh (old failures no longer count towards switching it off); switching it off
    records when. The URL is checked when it is new or changed (a receiver whose host is gone
    must still be switched off); sending checks every connection anyway. Statuses
    (many-to-many) are saved by the caller afterwards.
    """
    was_on, was_url = WebhookEndpoint.objects.filter(pk=endpoint.pk).values_list("enabled", "url").first() or (
        None, None)
    problem = None if endpoint.url == was_url else url_problem(
        endpoint.url, allow_private=settings.WEBHOOK_ALLOW_PRIVATE_TARGETS)
    if problem:
        raise ValidationError({"url": problem})
    now = timezone.now()
    if endpoint.pk is None:
        endpoint.secret, endpoint.secret_issued_at = secret_generate(), now
    if endpoint.enabled and was_on is not True:
        endpoint.failing_since, endpoint.disabled_at, endpoint.disabled_reason = None, None, ""
        endpoint.disabled_alerted = False
    elif not endpoint.enabled and was_on is not False:
        endpoint.disabled_at = now
    endpoint.save()
    channel_switches_ensure()
    endpoint_labels_forget()
    return endpoint


def endpoint_secret_rotate(*, endpoint_id: int) -> str:
    """Issue a new secret and return it (shown once). The old one keeps signing for WEBHOOK_SECRET_OVERLAP.

    Rotating again while that overlap runs (a second click, the secret's page reloaded, a secret
    not copied in time) replaces only the secret issued since: the one from before the rotation,
    which the receiver holds, keeps signing until its overlap ends, so no event fails meanwhile.
    """
    with transaction.atomic():
        endpoint = WebhookEndpoint.objects.select_for_update().get(pk=endpoint_id)
        now = timezone.now()
        if len(endpoint_signing_secrets(endpoint=endpoint, now=now)) == 1:  # no rotation running
            endpoint.previous_secret = endpoint.secret
            endpoint.previous_secret_until = now + timedelta(seconds=settings.WEBHOOK_SECRET_OVERLAP)
        endpoint.secret, endpoint.secret_issued_at = secret_generate(), now
        endpoint.save(update_fields=["previous_secret", "previous_secret_until", "secret", "secret_issued_at",
                                     "updated_at"])
    logger.info("Webhook endpoint %s: secret rotated", endpoint_id, extra={"endpoint": endpoint_id})
    return endpoint.secret


def endpoint_success_write_due(*, endpoint: WebhookEndpoint, at: datetime) -> bool:
    """Whether a success at `at` changes what `endpoint` (as read) keeps: the filter of the write below."""
    return endpoint.failing_since is not None or endpoint.last_success_at is None \
        or endpoint.last_success_at < at - SUCCESS_WRITE_INTERVAL


def endpoint_attempt_record(*, endpoint_id: int, ok: bool, at: datetime) -> None:
    """Keep the endpoint's health after an attempt: a success clears `failing_since`, a failure starts it.

    A success writes only what `endpoint_success_write_due` says is due (the same rule, in SQL).
    """
    endpoints = WebhookEndpoint.objects.filter(pk=endpoint_id)
    if ok:
        endpoints.filter(Q(failing_since__isnull=False) | Q(last_success_at__isnull=True)
                         | Q(last_success_at__lt=at - SUCCESS_WRITE_INTERVAL)).update(last_success_at=at,
                                                                                       failing_since=None)
    else:
        endpoints.filter(failing_since__isnull=True, enabled=True).update(failing_since=at)


def endpoint_switch_off(*, endpoint_id: int, reason: str, at: datetime, failing_before: datetime | None = None) -> bool:
    """The hub switches an endpoint off by itself (operators are told by `webhook_endpoints_check`).

    With `failing_before`, only if it has been failing since before then (a success in between
    keeps it on). Returns whether this call switched it off.
    """
    endpoints = WebhookEndpoint.objects.filter(pk=endpoint_id, enabled=True)
    if failing_before is not None:
        endpoints = endpoints.filter(failing_since__lte=failing_before)
    switched = bool(endpoints.update(enabled=False, disabled_at=at, disabled_reason=reason, disabled_alerted=False))
    if switched:
        endpoint_labels_forget()
        logger.warning("Webhook endpoint %s switched off: %s", endpoint_id, reason, extra={"endpoint": endpoint_id})
    return switched


def _failing_for(since: datetime, now: datetime) -> str:
    hours = (now - since).total_seconds() / 3600
    return f"{hours / 24:.1f} days" if hours >= 48 else f"{hours:.0f} hours"


def endpoints_switch_off_failing(*, now: datetime) -> list[int]:
    """Switch off every endpoint whose attempts have all failed for WEBHOOK_DISABLE_AFTER. Paused ones wait:
    nothing was tried while they were paused; once resumed, they get WEBHOOK_DISABLE_AFTER again (the
    deliveries that waited must be tried before the endpoint is judged)."""
    cutoff = now - timedelta(seconds=settings.WEBHOOK_DISABLE_AFTER)
    held = set(ChannelSwitch.objects.filter(Q(paused=True) | Q(changed_at__gt=cutoff)).values_list("channel",
                                                                                                  flat=True))
    switched = []
    for endpoint in WebhookEndpoint.objects.filter(enabled=True, failing_since__lte=cutoff):
        since = endpoint.failing_since
        if since is None or endpoint.channel in held:
            continue
        reason = f"Every attempt failed for {_failing_for(since, now)} (since {iso_utc(since)})."
        if endpoint_switch_off(endpoint_id=endpoint.pk, reason=reason, at=now, failing_before=cutoff):
            switched.append(endpoint.pk)
    return switched


def endpoints_alert_switched_off() -> list[WebhookEndpoint]:
    """Tell operators, once each, of the endpoints the hub switched off by itself."""
    told = [endpoint for endpoint in WebhookEndpoint.objects.filter(enabled=False, disabled_alerted=False)
            .exclude(disabled_reason="")
            if WebhookEndpoint.objects.filter(pk=endpoint.pk, disabled_alerted=False).update(disabled_alerted=True)]
    if told:
        alert_notify(
            subject=f"{len(told)} status subscription(s) switched off",
            lines=[f"Webhook · {e.name} (#{e.pk}) was switched off: {e.disabled_reason} "
                   "Fix the receiver, then switch it on again in the admin." for e in told],
            details=[{"level": "switched_off", "channel": e.channel, "endpoint": e.pk, "name": e.name,
                      "error": e.disabled_reason} for e in told],
        )
    return told


def webhook_endpoints_check(*, now: datetime | None = None) -> list[WebhookEndpoint]:
    """The periodic check (with the delivery alerts): switch off endpoints that only fail, and tell operators."""
    endpoints_switch_off_failing(now=now or timezone.now())
    return endpoints_alert_switched_off()


@dataclass(frozen=True)
class TestOutcome:
    """What an endpoint answered to a test event (secrets masked, body cut short)."""

    delivered: bool
    msg_id: str
    exchange: Exchange | None
    error: str = ""


def endpoint_test_send(*, endpoint_id: int) -> TestOutcome:
    """Send a signed `hub.test` event to the endpoint now and return its answer. Changes nothing in the hub."""
    endpoint = WebhookEndpoint.objects.get(pk=endpoint_id)
    now = timezone.now()
    msg_id = message_id(f"test_{secrets.token_hex(8)}")
    body = event_body(build_test_event(endpoint_name=endpoint.name, now=now), msg_id=msg_id)
    try:
        exchange = endpoint_client(endpoint=endpoint, now=now).post(msg_id=msg_id, body=body)
    except PartnerError as exc:
        return TestOutcome(False, msg_id, exc.exchange, exc.message)
    return TestOutcome(True, msg_id, exchange)


SANDBOX_SUBSCRIBER_PATH = "/sandbox/subscriber/"
SANDBOX_SUBSCRIBER_NAME = "Sandbox subscriber"


def endpoint_sandbox_ensure(*, base_url: str) -> WebhookEndpoint:
    """For `make run`: a subscription of every status for the sandbox subscriber served at `base_url`.

    Made once; on later runs its URL follows the hub's address (another HUB_BIND) and nothing else
    changes (a manager may have switched it off or narrowed its statuses).
    """
    endpoint = WebhookEndpoint.objects.filter(url__contains=SANDBOX_SUBSCRIBER_PATH).order_by("pk").first()
    if endpoint is None:
        endpoint = endpoint_save(endpoint=WebhookEndpoint(name=SANDBOX_SUBSCRIBER_NAME,
                                                          url=f"{base_url}{SANDBOX_SUBSCRIBER_PATH}0/"))
    url = f"{base_url}{SANDBOX_SUBSCRIBER_PATH}{endpoint.pk}/"
    if endpoint.url != url:
        endpoint.url = url
        endpoint = endpoint_save(endpoint=endpoint)
    return endpoint
