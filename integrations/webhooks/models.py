"""An endpoint a manager subscribed to status changes: where, which statuses, its signing secret and its health.

Each endpoint is one channel of the webhook partner (`webhook:<id>`), so pause switches, newest-wins,
attempts and resends work per endpoint. The folder is a Django app of its own (label `webhooks`).
"""

from __future__ import annotations

from django.db import models
from django.utils.translation import gettext_lazy as _

from orders.models import StatusMapping

PARTNER_KEY = "webhook"


def endpoint_channel(endpoint_id: int) -> str:
    """The delivery channel of one endpoint."""
    return f"{PARTNER_KEY}:{endpoint_id}"


def endpoint_id_of(channel: str) -> int | None:
    """The endpoint id a channel names, or None for a channel that names none."""
    key, sep, rest = channel.partition(":")
    return int(rest) if key == PARTNER_KEY and sep and rest.isdigit() else None


class WebhookEndpoint(models.Model):
    """An HTTPS URL told of status changes, signed with a secret only it and the hub know.

    The secrets are never shown after they are issued and never written to a log, an attempt or a
    page. `last_success_at` and `failing_since` are the endpoint's health, kept by every attempt.
    """

    name = models.CharField(_("name"), max_length=100)
    url = models.CharField(_("URL"), max_length=1000, help_text=_("HTTPS address that takes the events (POST)."))
    all_statuses = models.BooleanField(_("every status"), default=True)
    statuses = models.ManyToManyField(
        StatusMapping, blank=True, related_name="+", verbose_name=_("statuses"),
        help_text=_("Only these, when “every status” is off."),
    )
    enabled = models.BooleanField(_("on"), default=True)
    secret = models.CharField(max_length=100, editable=False)
    # After a rotation the old secret signs too, until `previous_secret_until`.
    previous_secret = models.CharField(max_length=100, blank=True, editable=False)
    previous_secret_until = models.DateTimeField(null=True, blank=True, editable=False)
    secret_issued_at = models.DateTimeField(_("secret issued"), null=True, blank=True, editable=False)
    last_success_at = models.DateTimeField(_("last delivered"), null=True, blank=True, editable=False)
    # The first failed attempt since the last success (or since it was switched on); None while healthy.
    failing_since = models.DateTimeField(_("failing since"), null=True, blank=True, editable=False)
    disabled_at = models.DateTimeField(_("switched off"), null=True, blank=True, editable=False)
    # Why the hub switched it off by itself ("" when a manager did, or while it is on).
    disabled_reason = models.TextField(_("why switched off"), blank=True, editable=False)
    # Whether operators were told of the automatic switch-off (they are told once).
    disabled_alerted = models.BooleanField(default=False, editable=False)
    created_at = models.DateTimeField(_("created"), auto_now_add=True)
    updated_at = models.DateTimeField(_("updated"), auto_now=True)

    class Meta:
        ordering = ["name", "id"]
        verbose_name = _("status subscription")
        verbose_name_plural = _("status subscriptions")

    def __str__(self) -> str:
        return self.name

    @property
    def channel(self) -> str:
        return endpoint_channel(self.pk)
