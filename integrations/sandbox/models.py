"""What the sandbox partners received and answered, their failure switches, and their small state.

The sandbox stands in for Choco, Imshop and Horoshop, and for a system subscribed to status changes,
when DEBUG or HUB_SANDBOX is on. Requests
are append-only audit rows; the other tables are the stand-ins' own memory.
"""

from django.core.validators import MaxValueValidator, MinValueValidator
from django.db import models
from django.utils.translation import gettext_lazy as _

MAX_LATENCY_MS = 60_000


class Partner(models.TextChoices):
    CHOCO = "choco", "Choco"
    IMSHOP = "imshop", "Imshop"
    HOROSHOP = "horoshop", "Horoshop"
    SUBSCRIBER = "subscriber", _("Status subscriber")


class SandboxRequest(models.Model):
    """One request a sandbox partner received, with its answer. Written once, never updated."""

    partner = models.CharField(_("partner"), max_length=16, choices=Partner.choices)
    endpoint = models.CharField(_("endpoint"), max_length=200)
    method = models.CharField(_("method"), max_length=10)
    headers = models.JSONField(_("headers"), default=dict)
    body = models.TextField(_("body"), blank=True)
    accepted = models.BooleanField(_("accepted"), default=False)
    response_status = models.PositiveSmallIntegerField(_("answer"))
    response_body = models.TextField(_("answer body"), blank=True)
    problems = models.JSONField(_("problems"), default=list)
    created_at = models.DateTimeField(_("received"), auto_now_add=True, db_index=True)

    class Meta:
        ordering = ["-created_at", "-id"]
        verbose_name = _("sandbox request")
        verbose_name_plural = _("sandbox requests")
        indexes = [models.Index(fields=["partner", "-created_at"], name="sandbox_request_partner")]

    def __str__(self) -> str:
        return f"{self.partner} {self.method} {self.endpoint}"


class SandboxSwitch(models.Model):
    """How a sandbox partner misbehaves: fail the next N requests, and answer this much later."""

    partner = models.CharField(_("partner"), max_length=16, choices=Partner.choices, primary_key=True)
    fail_next = models.PositiveIntegerField(
        _("fail the next"), default=0, help_text=_("This many requests get the failure status, then it counts down.")
    )
    fail_status = models.PositiveSmallIntegerField(
        _("failure status"), default=503, validators=[MinValueValidator(400), MaxValueValidator(599)],
        help_text=_("HTTP status of a forced failure: 503 and 429 are retried, other 4xx are final."),
    )
    latency_ms = models.PositiveIntegerField(
        _("delay (ms)"), default=0, validators=[MaxValueValidator(MAX_LATENCY_MS)],
        help_text=_("Every answer waits this long; above the hub's read time-out it becomes a time-out."),
    )
    updated_at = models.DateTimeField(_("updated"), auto_now=True)

    class Meta:
        ordering = ["partner"]
        verbose_name = _("sandbox switch")
        verbose_name_plural = _("sandbox switches")

    def __str__(self) -> str:
        return self.get_partner_display()


class SandboxToken(models.Model):
    """An access token a sandbox partner issued. Only its SHA-256 is kept."""

    partner = models.CharField(_("partner"), max_length=16, choices=Partner.choices)
    token_hash = models.CharField(max_length=64, unique=True)
    expires_at = models.DateTimeField(_("expires"))
    created_at = models.DateTimeField(_("issued"), auto_now_add=True)

    class Meta:
        ordering = ["-created_at", "-id"]
        verbose_name = _("sandbox token")
        verbose_name_plural = _("sandbox tokens")

    def __str__(self) -> str:
        return f"{self.partner} token until {self.expires_at:%Y-%m-%d %H:%M:%S}"


class SandboxShopOrder(models.Model):
    """An order of the sandbox shop: the status the hub last wrote with `orders/update`."""

    order_id = models.CharField(_("order number"), max_length=64, unique=True)
    status = models.PositiveIntegerField(_("status"))
    # The hub's copy of the shop's payload when the status was written: a newer payload (a webhook
    # the shop sent afterwards) means the shop moved on, and its own status wins.
    payload_hash = models.CharField(max_length=64, blank=True)
    created_at = models.DateTimeField(_("created"), auto_now_add=True)
    updated_at = models.DateTimeField(_("updated"), auto_now=True)

    class Meta:
        ordering = ["created_at", "id"]
        verbose_name = _("sandbox shop order")
        verbose_name_plural = _("sandbox shop orders")

    def __str__(self) -> str:
        return f"#{self.order_id}: {self.status}"
