"""Orders as the shop sent them, the status mappings managers edit, and the status history."""

import re
import string

from django.conf import settings
from django.core.exceptions import ValidationError
from django.db import models
from django.db.models import Q
from django.utils.translation import gettext_lazy as _

CHOCO_TITLE_MAX = 30
TEMPLATE_PLACEHOLDERS = frozenset({"order_id"})
# A shop order number as the hub stores it: Horoshop's order numbers are positive integers,
# kept in their canonical spelling (ASCII digits, no sign, no leading zero, at most a bigint).
ORDER_NUMBER = re.compile(r"^[1-9][0-9]{0,18}$", re.ASCII)
ORDER_NUMBER_MAX = 2**63 - 1


def order_number_canonical(value: object) -> str | None:
    """The stored spelling of an order number given as an int or its ASCII digits; None if it is not one.

    `1001`, `"1001"`, `" 1001 "` and `"0001001"` are all "1001". Other scripts' digits, signs,
    decimals, booleans and anything over a bigint are not order numbers.
    """
    if isinstance(value, bool):
        return None
    if isinstance(value, int):
        text = str(value)
    elif isinstance(value, str):
        text = value.strip()
    else:
        return None
    if not text or not text.isascii() or not text.isdigit():
        return None
    number = int(text)
    return str(number) if 0 < number <= ORDER_NUMBER_MAX else None
HTTP_URL = re.compile(r"^https?://[^\s/$.?#][^\s]*$", re.IGNORECASE)


class TimestampedModel(models.Model):
    created_at = models.DateTimeField(_("created"), auto_now_add=True, db_index=True)
    updated_at = models.DateTimeField(_("updated"), auto_now=True)

    class Meta:
        abstract = True


def _template_errors(value: str) -> str | None:
    """Why a URL template is unusable, or None. Only `{order_id}` may be used as a placeholder."""
    try:
        names = {name for _, name, _, _ in string.Formatter().parse(value) if name is not None}
    except ValueError:
        return str(_("Unbalanced braces: write {order_id} exactly."))
    unknown = names - TEMPLATE_PLACEHOLDERS
    if unknown:
        return str(_("Unknown placeholder %(names)s: only {order_id} is allowed.")) % {
            "names": ", ".join(f"{{{n}}}" for n in sorted(unknown))
        }
    if not HTTP_URL.match(value.replace("{order_id}", "1")):
        return str(_("Must be an http:// or https:// link."))
    return None


class StatusMapping(TimestampedModel):
    """One shop status and what each partner is told when an order reaches it."""

    shop_status_id = models.PositiveIntegerField(_("shop status id"), unique=True)
    code = models.SlugField(_("internal code"), max_length=32, unique=True)
    name = models.CharField(_("name"), max_length=100)
    is_final = models.BooleanField(
        _("final"), default=False, help_text=_("The hub will not move an order out of this status.")
    )
    is_cancellation_target = models.BooleanField(
        _("Imshop cancellation leads here"), default=False
    )
    needs_setup = models.BooleanField(
        _("needs setup"),
        default=False,
        help_text=_("Created for a status the shop used before anyone mapped it; sends nothing."),
    )

    choco_enabled = models.BooleanField(_("send to Choco"), default=False)
    choco_external_status = models.CharField(_("Choco external_status"), max_length=64, blank=True)
    choco_title_active_order_card = models.CharField(
        _("Choco card title"), max_length=CHOCO_TITLE_MAX, blank=True
    )
    choco_title_call_to_action = models.CharField(
        _("Choco button title"), max_length=CHOCO_TITLE_MAX, blank=True
    )
    choco_subtitle_active_order_card = models.CharField(
        _("Choco card subtitle"), max_length=120, blank=True,
        help_text=_("Shown only when the timer is off."),
    )
    choco_deeplink_card = models.CharField(
        _("Choco card deeplink"), max_length=500, blank=True, help_text=_("May contain {order_id}.")
    )
    choco_deeplink_call_to_action = models.CharField(
        _("Choco button deeplink"), max_length=500, blank=True, help_text=_("May contain {order_id}.")
    )
    choco_need_timer = models.BooleanField(_("Choco timer"), default=False)
    choco_countdown_timer = models.BooleanField(_("Choco countdown timer"), default=False)
    choco_expires_in_minutes = models.PositiveIntegerField(
        _("Choco card valid for (minutes)"), default=24 * 60
    )

    imshop_enabled = models.BooleanField(_("send to Imshop"), default=False)
    imshop_code = models.CharField(_("Imshop code"), max_length=64, blank=True)
    imshop_message = models.CharField(_("Imshop message"), max_length=255, blank=True)
    imshop_tracking_url = models.CharField(
        _("Imshop tracking URL"), max_length=500, blank=True, help_text=_("May contain {order_id}.")
    )

    shop_enabled = models.BooleanField(
        _("send back to the shop"), default=True,
        help_text=_("Changes made in the hub (admin, API, Imshop) are written back to Horoshop."),
    )

    class Meta:
        ordering = ["shop_status_id"]
        verbose_name = _("status mapping")
        verbose_name_plural = _("status mappings")
        constraints = [
            models.UniqueConstraint(
                fields=["is_cancellation_target"],
                condition=Q(is_cancellation_target=True),
                name="one_cancellation_target",
                violation_error_message=_("Another mapping is already the Imshop cancellation target."),
            ),
        ]

    def __str__(self) -> str:
        return f"{self.shop_status_id} · {self.name}"

    def clean(self) -> None:
        errors: dict[str, str] = {}
        if self.choco_enabled:
            for field in ("choco_external_status", "choco_title_active_order_card", "choco_title_call_to_action",
                          "choco_deeplink_card", "choco_deeplink_call_to_action"):
                if not getattr(self, field):
                    errors[field] = str(_("Required while sending to Choco is on."))
            if self.choco_expires_in_minutes < 1:
                errors["choco_expires_in_minutes"] = str(_("Must be at least one minute."))
        if self.imshop_enabled and not self.imshop_code:
            errors["imshop_code"] = str(_("Required while sending to Imshop is on."))
        for field in ("choco_deeplink_card", "choco_deeplink_call_to_action", "imshop_tracking_url"):
            value = getattr(self, field)
            if value and field not in errors and (problem := _template_errors(value)):
                errors[field] = problem
        if errors:
            raise ValidationError(errors)


class Order(TimestampedModel):
    """An order with every field the shop sent. `status` is written only by `order_change_status`."""

    shop_order_id = models.CharField(_("order number"), max_length=64, unique=True)
    # Null only for an order created before its first status (the intake inserts it with one).
    # No index of its own: order_status_created (status, -created_at) serves every lookup by status.
    status = models.ForeignKey(
        StatusMapping, verbose_name=_("status"), on_delete=models.PROTECT, related_name="orders", null=True,
        db_index=False,
    )
    # What the shop itself said last; a change of this, not of `status`, is a change made in the shop.
    shop_status_id = models.PositiveIntegerField(_("status in the shop"), null=True, blank=True)

    shop_user_id = models.BigIntegerField(_("shop user"), null=True, blank=True)
    delivery_name = models.CharField(_("customer"), max_length=255, blank=True)
    delivery_email = models.CharField(_("email"), max_length=255, blank=True)
    delivery_phone = models.CharField(_("phone"), max_length=64, blank=True)
    delivery_city = models.CharField(_("city"), max_length=255, blank=True)
    delivery_address = models.TextField(_("address"), blank=True)
    delivery_type_id = models.IntegerField(_("delivery type id"), null=True, blank=True)
    delivery_type_title = models.CharField(_("delivery type"), max_length=255, blank=True)
    delivery_price = models.DecimalField(_("delivery price"), max_digits=14, decimal_places=2, null=True, blank=True)
    comment = models.TextField(_("comment"), blank=True)
    payment_type_id = models.IntegerField(_("payment type id"), null=True, blank=True)
    payment_type_title = models.CharField(_("payment type"), max_length=255, blank=True)
    payed = models.BooleanField(_("paid"), default=False)
    total_default = models.DecimalField(_("total before discounts"), max_digits=14, decimal_places=2, default=0)
    total_sum = models.DecimalField(_("total"), max_digits=14, decimal_places=2, default=0)
    total_quantity = models.DecimalField(_("quantity"), max_digits=14, decimal_places=3, default=0)
    discount_percent = models.DecimalField(_("discount %"), max_digits=7, decimal_places=2, default=0)
    discount_value = models.DecimalField(_("discount"), max_digits=14, decimal_places=2, default=0)
    coupon_code = models.CharField(_("coupon"), max_length=128, blank=True)
    coupon_percent = models.DecimalField(_("coupon %"), max_digits=7, decimal_places=2, default=0)
    coupon_discount_value = models.DecimalField(_("coupon discount"), max_digits=14, decimal_places=2, default=0)
    coupon_type = models.PositiveSmallIntegerField(_("coupon type"), default=0)
    stat_created = models.DateTimeField(_("placed at"), null=True, blank=True, db_index=True)
    currency = models.CharField(_("currency"), max_length=8, blank=True)
    order_without_callback = models.BooleanField(_("do not call back"), default=False)

    choco_user_id = models.BigIntegerField(_("Choco user id"), null=True, blank=True)
    imshop_uuid = models.CharField(_("Imshop uuid"), max_length=64, blank=True)

    # Set when the shop and the hub disagree and a manager should look (see orders.services.intake).
    out_of_step = models.BooleanField(_("out of step with the shop"), default=False, db_index=True)
    out_of_step_note = models.TextField(_("why out of step"), blank=True)

    # Folded copies of name + e-mail and the phone's digits, for the admin's search (orders.services.search).
    # Not indexed: the search looks for a piece anywhere in them (LIKE '%…%'), which no B-tree serves;
    # `make bench` measures that search at 100,000 orders.
    search_text = models.CharField(max_length=520, blank=True, default="", editable=False)
    search_phone = models.CharField(max_length=64, blank=True, default="", editable=False)

    raw_payload = models.JSONField(_("payload from the shop"), default=dict)
    payload_hash = models.CharField(max_length=64, blank=True, editable=False)

    class Meta:
        ordering = ["-created_at", "-id"]
        verbose_name = _("order")
        verbose_name_plural = _("orders")
        # Every index costs each new order's INSERT; these are the ones a lookup or a sorted admin page uses.
        indexes = [
            models.Index(fields=["status", "-created_at"], name="order_status_created"),
            models.Index(fields=["delivery_name"], name="order_customer"),
            # Imshop's cancellation finds the order by it (equality: no pattern index).
            models.Index(fields=["imshop_uuid"], name="order_imshop_uuid"),
        ]

    def __str__(self) -> str:
        return f"#{self.shop_order_id}"


class OrderItem(models.Model):
    order = models.ForeignKey(Order, on_delete=models.CASCADE, related_name="items")
    position = models.PositiveIntegerField(default=0)
    title = models.CharField(_("title"), max_length=500, blank=True)
    article = models.CharField(_("article"), max_length=255, blank=True)
    price = models.DecimalField(_("price"), max_digits=14, decimal_places=2, default=0)
    quantity = models.DecimalField(_("quantity"), max_digits=14, decimal_places=3, default=0)
    total_price = models.DecimalField(_("total"), max_digits=14, decimal_places=2, default=0)
    discount_marker = models.CharField(_("discount marker"), max_length=64, blank=True)
    url = models.CharField(_("link"), max_length=1000, blank=True)
    photo_url = models.CharField(_("photo"), max_length=1000, blank=True)

    class Meta:
        ordering = ["order", "position"]
        verbose_name = _("item")
        verbose_name_plural = _("items")

    def __str__(self) -> str:
        return self.title or self.article


class StatusChange(models.Model):
    """One move of an order from a status to another. Append-only."""

    class Source(models.TextChoices):
        SHOP_WEBHOOK = "shop_webhook", _("shop webhook")
        SHOP_POLL = "shop_poll", _("shop poll")
        ADMIN = "admin", _("admin")
        API = "api", _("status API")
        IMSHOP = "imshop", _("Imshop cancellation")

    SHOP_SOURCES = frozenset({Source.SHOP_WEBHOOK, Source.SHOP_POLL})

    order = models.ForeignKey(Order, on_delete=models.CASCADE, related_name="status_changes", verbose_name=_("order"))
    from_status = models.ForeignKey(
        StatusMapping, on_delete=models.PROTECT, null=True, blank=True, related_name="+", verbose_name=_("from")
    )
    to_status = models.ForeignKey(StatusMapping, on_delete=models.PROTECT, related_name="+", verbose_name=_("to"))
    source = models.CharField(_("source"), max_length=20, choices=Source.choices)
    user = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.SET_NULL, null=True, blank=True, verbose_name=_("user")
    )
    reason = models.TextField(_("reason"), blank=True)
    created_at = models.DateTimeField(_("when"), auto_now_add=True, db_index=True)

    class Meta:
        ordering = ["-created_at", "-id"]
        verbose_name = _("status change")
        verbose_name_plural = _("status history")

    def __str__(self) -> str:
        old = self.from_status.name if self.from_status is not None else "—"
        return f"{self.order}: {old} → {self.to_status.name}"
