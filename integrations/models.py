"""What arrives (inbound events) and what leaves (deliveries and their attempts)."""

from django.db import models
from django.db.models import Q
from django.utils.translation import gettext
from django.utils.translation import gettext_lazy as _

from orders.models import Order, StatusChange, TimestampedModel


class Channel(models.TextChoices):
    CHOCO = "choco", "Choco"
    IMSHOP = "imshop", "Imshop"
    SHOP = "shop", _("Shop (Horoshop)")


class InboundEvent(models.Model):
    """A request that reached the hub, kept before anything is validated.

    Written once on arrival and once more when its outcome is known; never deleted by the app
    except by the retention purge.
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
    created_at = models.DateTimeField(_("received"), auto_now_add=True, db_index=True)

    class Meta:
        ordering = ["-created_at", "-id"]
        verbose_name = _("inbound event")
        verbose_name_plural = _("inbound events")
        indexes = [models.Index(fields=["source", "outcome", "-created_at"], name="inbound_source_outcome")]

    def __str__(self) -> str:
        return f"{self.source} {self.event} {self.created_at:%Y-%m-%d %H:%M:%S}"


class Delivery(TimestampedModel):
    """One message to one partner about one status change (a transactional outbox row).

    The payload is built when the change happens; the schedule (`next_attempt_at`) lives here,
    not in the broker, so a lost task or a wiped queue loses nothing.
    """

    class State(models.TextChoices):
        PENDING = "pending", _("pending")
        SENDING = "sending", _("sending")
        DELIVERED = "delivered", _("delivered")
        FAILED = "failed", _("failed")
        SUPERSEDED = "superseded", _("superseded")

    OPEN_STATES = (State.PENDING, State.SENDING)

    order = models.ForeignKey(Order, on_delete=models.CASCADE, related_name="deliveries", verbose_name=_("order"))
    status_change = models.ForeignKey(StatusChange, on_delete=models.CASCADE, related_name="deliveries",
                                      verbose_name=_("status change"))
    channel = models.CharField(_("channel"), max_length=16, choices=Channel.choices)
    payload = models.JSONField(_("payload"), default=dict)
    state = models.CharField(_("state"), max_length=16, choices=State.choices, default=State.PENDING)
    attempts = models.PositiveIntegerField(_("attempts"), default=0)
    next_attempt_at = models.DateTimeField(_("next attempt"), null=True, blank=True)
    # When a task was last put on the queue for this row; the sweeper re-queues if it went quiet.
    enqueued_at = models.DateTimeField(_("queued"), null=True, blank=True)
    # While SENDING: until when the claiming worker owns the row (after that it is presumed dead).
    lease_until = models.DateTimeField(null=True, blank=True)
    delivered_at = models.DateTimeField(_("delivered"), null=True, blank=True)
    last_error = models.TextField(_("last error"), blank=True)
    # Sent because the order's payment changed (Imshop's `payment` block), not its status.
    for_payment = models.BooleanField(_("tells a payment"), default=False)
    resend_of = models.ForeignKey(
        "self", on_delete=models.SET_NULL, null=True, blank=True, related_name="resends", verbose_name=_("resend of")
    )
    # The request that caused this delivery, so its logs line up with the webhook's or the admin's.
    request_id = models.CharField(_("request id"), max_length=64, blank=True)
    # The worst problem operators were told of: "" none, "late", "failed". Raised once per level.
    alerted = models.CharField(max_length=8, blank=True, default="")

    class Meta:
        ordering = ["-created_at", "-id"]
        verbose_name = _("delivery")
        verbose_name_plural = _("deliveries")
        constraints = [
            models.UniqueConstraint(
                fields=["status_change", "channel"], condition=Q(resend_of__isnull=True, for_payment=False),
                name="one_delivery_per_change",
            ),
        ]
        indexes = [
            models.Index(fields=["state", "next_attempt_at"], name="delivery_due"),
            models.Index(fields=["order", "channel", "-created_at"], name="delivery_order_channel"),
            # The claim's sibling checks, whatever the planner's statistics say.
            models.Index(fields=["order", "channel", "state"], name="delivery_order_channel_state"),
            models.Index(fields=["channel", "state", "-created_at"], name="delivery_channel_state"),
        ]

    def __str__(self) -> str:
        return f"{self.get_channel_display()} · {self.get_state_display()} · #{self.pk}"


class DeliveryAttempt(models.Model):
    """One try at sending a delivery, with secrets masked.

    Written (outcome "sending") before the request leaves and completed once when the answer is
    in; never changed after that.
    """

    class Outcome(models.TextChoices):
        SENDING = "sending", _("sending")
        DELIVERED = "delivered", _("delivered")
        RETRY = "retry", _("will retry")
        REJECTED = "rejected", _("rejected")
        INTERRUPTED = "interrupted", _("worker stopped mid-send")

    delivery = models.ForeignKey(Delivery, on_delete=models.CASCADE, related_name="attempt_log")
    number = models.PositiveIntegerField(_("number"))
    task_id = models.CharField(max_length=64, blank=True)
    started_at = models.DateTimeField(_("started"), db_index=True)
    duration_ms = models.PositiveIntegerField(_("duration, ms"), default=0)
    outcome = models.CharField(_("outcome"), max_length=16, choices=Outcome.choices)
    request_method = models.CharField(max_length=10, blank=True)
    request_url = models.CharField(_("request URL"), max_length=1000, blank=True)
    request_headers = models.JSONField(_("request headers"), default=dict)
    request_body = models.TextField(_("request body"), blank=True)
    response_status = models.PositiveSmallIntegerField(_("HTTP status"), null=True, blank=True)
    response_body = models.TextField(_("response body"), blank=True)
    error_class = models.CharField(_("error type"), max_length=100, blank=True)
    error = models.TextField(_("error"), blank=True)

    class Meta:
        ordering = ["delivery", "number"]
        verbose_name = _("attempt")
        verbose_name_plural = _("attempts")

    def __str__(self) -> str:
        return f"#{self.number} {self.outcome}"


class ChannelSwitch(models.Model):
    """A manager's pause switch per channel: paused deliveries wait, and nothing is lost."""

    channel = models.CharField(_("channel"), max_length=16, choices=Channel.choices, primary_key=True)
    paused = models.BooleanField(_("paused"), default=False)
    # With a per-minute limit on the channel: when its next request may start (shared by all workers).
    rate_next_at = models.DateTimeField(null=True, blank=True, editable=False)
    changed_at = models.DateTimeField(_("changed"), auto_now=True)
    changed_by = models.CharField(_("changed by"), max_length=150, blank=True)

    class Meta:
        ordering = ["channel"]
        verbose_name = _("channel")
        verbose_name_plural = _("channels")

    def __str__(self) -> str:
        return self.get_channel_display()


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
        verbose_name = _("webhook subscription")
        verbose_name_plural = _("webhook subscriptions")
        constraints = [models.UniqueConstraint(fields=["event", "target_url"], name="one_subscription_per_event_url")]

    def __str__(self) -> str:
        return f"{self.event} #{self.subscription_id}"
