"""What leaves the hub: one delivery per partner per status change, and each try at sending it.

The tables keep the names they had when these models lived in the `integrations` app.
"""

from django.db import models
from django.db.models import Q
from django.utils.translation import gettext_lazy as _

from orders.models.orders import Order, StatusChange, TimestampedModel
from orders.partners import partners


class Channel(models.TextChoices):
    """The built-in partners' channels. A channel is any registered partner's key (see orders.partners),
    so the columns below carry no choices: a new partner needs no migration."""

    CHOCO = "choco", "Choco"
    IMSHOP = "imshop", "Imshop"
    SHOP = "shop", _("Shop (Horoshop)")


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

    # No index of its own: delivery_order_channel and delivery_order_channel_state start with it.
    order = models.ForeignKey(Order, on_delete=models.CASCADE, related_name="deliveries", verbose_name=_("order"),
                              db_index=False)
    status_change = models.ForeignKey(StatusChange, on_delete=models.CASCADE, related_name="deliveries",
                                      verbose_name=_("status change"))
    channel = models.CharField(_("channel"), max_length=32)
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
        db_table = "integrations_delivery"
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
        return f"{self.channel_label} · {self.get_state_display()} · #{self.pk}"

    @property
    def channel_label(self) -> str:
        return partners.label(self.channel)


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
        db_table = "integrations_deliveryattempt"
        verbose_name = _("attempt")
        verbose_name_plural = _("attempts")

    def __str__(self) -> str:
        return f"#{self.number} {self.outcome}"


class ChannelSwitch(models.Model):
    """A manager's pause switch per channel: paused deliveries wait, and nothing is lost."""

    channel = models.CharField(_("channel"), max_length=32, primary_key=True)
    paused = models.BooleanField(_("paused"), default=False)
    # With a per-minute limit on the channel: when its next request may start (shared by all workers).
    rate_next_at = models.DateTimeField(null=True, blank=True, editable=False)
    changed_at = models.DateTimeField(_("changed"), auto_now=True)
    changed_by = models.CharField(_("changed by"), max_length=150, blank=True)

    class Meta:
        ordering = ["channel"]
        db_table = "integrations_channelswitch"
        verbose_name = _("channel")
        verbose_name_plural = _("channels")

    def __str__(self) -> str:
        return self.channel_label

    @property
    def channel_label(self) -> str:
        return partners.label(self.channel)


