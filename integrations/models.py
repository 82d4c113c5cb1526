"""What arrives (inbound events), the partners' tokens, the shop polls and webhook subscriptions."""

from django.db import models
from django.utils import timezone
from django.utils.translation import gettext
from django.utils.translation import gettext_lazy as _

from orders.models import Order


class InboundEvent(models.Model):
    """A request that reached the hub, read before anything is validated.

    Written once, with its outcome, in the request's transaction (a request whose handling fails
    half-way is kept in a transaction of its own, once what the handler wrote is rolled back);
    never deleted by the app except by the retention purge.
    """

    class Source(models.TextChoices):
        SHOP = "shop", _("shop webhook")
        IMSHOP = "imshop", _("Imshop callback")
        API = "api", _("status API")

    class Outcome(models.TextChoices):
        RECEIVED = "received", _("received")
        ACCEPTED = "accepted", _("accepted")
        UNCHANGED = "unchanged", _("unchanged")
        REFUSED = "refused", _("refused")
        FAILED = "failed", _("failed")

    source = models.CharField(_("source"), max_length=16, choices=Source.choices)
    event = models.CharField(_("event"), max_length=64, blank=True)
    method = models.CharField(_("method"), max_length=10)
    path = models.CharField(_("path"), max_length=500)
    headers = models.JSONField(_("headers"), default=dict)
    body = models.TextField(_("body"), blank=True)
    body_size = models.PositiveIntegerField(_("body size"), default=0)
    remote_addr = models.CharField(_("remote address"), max_length=64, blank=True)
    outcome = models.CharField(_("outcome"), max_length=16, choices=Outcome.choices, default=Outcome.RECEIVED)
    response_status = models.PositiveSmallIntegerField(_("answer"), null=True, blank=True)
    error = models.TextField(_("error"), blank=True)
    order = models.ForeignKey(Order, on_delete=models.SET_NULL, null=True, blank=True, related_name="inbound_events",
                              verbose_name=_("order"))
    # When the request arrived (set as it is read; the row is written when its answer is ready).
    created_at = models.DateTimeField(_("received"), default=timezone.now, db_index=True)

    class Meta:
        ordering = ["-created_at", "-id"]
        verbose_name = _("inbound event")
        verbose_name_plural = _("inbound events")
        indexes = [models.Index(fields=["source", "outcome", "-created_at"], name="inbound_source_outcome")]

    def __str__(self) -> str:
        return f"{self.source} {self.event} {self.created_at:%Y-%m-%d %H:%M:%S}"


class PartnerToken(models.Model):
    """An access token a partner gave us, shared by every worker process until it expires."""

    name = models.CharField(max_length=32, primary_key=True)
    token = models.TextField()
    expires_at = models.DateTimeField()

    class Meta:
        ordering = ["name"]

    def __str__(self) -> str:
        return self.name


class PollRun(models.Model):
    """One reconciliation poll of the shop's `orders/get`. Kept for operators."""

    started_at = models.DateTimeField(_("started"), db_index=True)
    finished_at = models.DateTimeField(_("finished"), null=True, blank=True)
    duration_ms = models.PositiveIntegerField(_("duration, ms"), default=0)
    ok = models.BooleanField(_("succeeded"), default=False)
    window_from = models.CharField(_("orders placed since"), max_length=32, blank=True)
    orders_seen = models.PositiveIntegerField(_("seen"), default=0)
    orders_created = models.PositiveIntegerField(_("created"), default=0)
    orders_changed = models.PositiveIntegerField(_("changed"), default=0)
    orders_skipped = models.PositiveIntegerField(_("skipped"), default=0)
    skipped = models.TextField(_("orders skipped, and why"), blank=True)
    errors = models.PositiveIntegerField(_("errors"), default=0)
    error = models.TextField(_("error"), blank=True)

    class Meta:
        ordering = ["-started_at", "-id"]
        verbose_name = _("shop poll")
        verbose_name_plural = _("shop polls")

    def __str__(self) -> str:
        outcome = gettext("ok") if self.ok else gettext("failed")
        return f"{self.started_at:%Y-%m-%d %H:%M:%S} {outcome}"


class PollState(models.Model):
    """The poller's lock (a lease, so a dead worker cannot hold it) and where the last good poll began."""

    name = models.CharField(max_length=32, primary_key=True)
    locked_until = models.DateTimeField(null=True, blank=True)
    last_success_started_at = models.DateTimeField(null=True, blank=True)

    class Meta:
        ordering = ["name"]

    def __str__(self) -> str:
        return self.name


class WebhookSubscription(models.Model):
    """A webhook subscription the hub registered with Horoshop (Horoshop cannot list them)."""

    event = models.CharField(_("event"), max_length=32)
    target_url = models.CharField(_("target URL"), max_length=1000)
    subscription_id = models.BigIntegerField(_("Horoshop id"))
    created_at = models.DateTimeField(_("created"), auto_now_add=True)

    class Meta:
        ordering = ["event", "-created_at"]
        verbose_name = _("Horoshop webhook registration")
        verbose_name_plural = _("Horoshop webhook registrations")
        constraints = [models.UniqueConstraint(fields=["event", "target_url"], name="one_subscription_per_event_url")]

    def __str__(self) -> str:
        return f"{self.event} #{self.subscription_id}"
