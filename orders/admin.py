"""The managers' admin for orders and status mappings. Every change goes through a service."""

from __future__ import annotations

import json
from typing import Any

from django import forms
from django.contrib import admin, messages
from django.contrib.humanize.templatetags.humanize import naturaltime
from django.db.models import QuerySet
from django.http import HttpRequest, HttpResponseRedirect
from django.urls import path, reverse
from django.utils.html import format_html, format_html_join
from django.utils.translation import gettext
from django.utils.translation import gettext_lazy as _

from hub.api import ApplicationError, ConflictError
from integrations.models import Delivery
from integrations.selectors import delivery_latest_per_channel
from integrations.templatetags.hub_admin import badge
from orders.models import Order, OrderItem, StatusChange, StatusMapping
from orders.pagination import EstimatedCountPaginator
from orders.services.links import order_links_update
from orders.services.status import order_change_status


class ReadOnlyInline(admin.TabularInline):
    extra = 0
    can_delete = False
    show_change_link = False

    def has_add_permission(self, request: HttpRequest, obj: Any = None) -> bool:
        return False

    def has_change_permission(self, request: HttpRequest, obj: Any = None) -> bool:
        return False


class OrderItemInline(ReadOnlyInline):
    model = OrderItem
    fields = readonly_fields = ["title", "article", "price", "quantity", "total_price", "discount_marker", "url"]


class StatusChangeInline(ReadOnlyInline):
    model = StatusChange
    fields = readonly_fields = ["created_at", "from_status", "to_status", "source", "user", "reason"]
    ordering = ["-created_at", "-id"]

    def get_queryset(self, request: HttpRequest) -> QuerySet[StatusChange]:
        return super().get_queryset(request).select_related("from_status", "to_status", "user")


def pretty_json(value: Any) -> str:
    return format_html("<pre style='white-space:pre-wrap;max-width:60em'>{}</pre>",
                       json.dumps(value, ensure_ascii=False, indent=2))


# Horoshop's statuses: new, processing, delivered, cancelled, shipping; custom ones are grey.
STATUS_COLOURS = {1: "#1f6fb2", 2: "#b26b00", 3: "#237a3b", 4: "#b3261e", 6: "#6a3fb2"}


class DeliveryInline(ReadOnlyInline):
    model = Delivery
    fields = readonly_fields = ["created_at", "channel", "state_badge", "attempts", "next_attempt_at", "last_error"]
    ordering = ["-created_at", "-id"]
    show_change_link = True
    verbose_name_plural = _("deliveries to partners")

    @admin.display(description=_("state"))
    def state_badge(self, obj: Delivery) -> str:
        return badge(obj.state, obj.get_state_display())


class OrderAdminForm(forms.ModelForm):
    new_status = forms.ModelChoiceField(
        queryset=StatusMapping.objects.all(), required=False, label=_("Change status to"),
        help_text=_("Partners linked to this order are told after you save."),
    )
    status_reason = forms.CharField(
        required=False, label=_("Reason"), widget=forms.Textarea(attrs={"rows": 2}),
        help_text=_("Kept in the history; Choco shows it on a cancelled card."),
    )

    class Meta:
        model = Order
        fields = ["choco_user_id", "imshop_uuid"]

    def clean_new_status(self) -> StatusMapping | None:
        new = self.cleaned_data.get("new_status")
        current = self.instance.status
        if new and current and new != current and current.is_final:
            raise forms.ValidationError(
                _("This order is %(status)s, a final status; it cannot be moved.") % {"status": current.name}
            )
        return new


@admin.register(Order)
class OrderAdmin(admin.ModelAdmin):
    form = OrderAdminForm
    list_display = ["shop_order_id", "delivery_name", "delivery_phone", "total_display", "status_badge",
                    "stat_created", "received"]
    # No date_hierarchy and no filter on free-form columns: both scan the whole table on every page.
    list_filter = ["status", "out_of_step", "payed", "created_at"]
    search_fields = ["=shop_order_id", "delivery_phone", "delivery_email", "delivery_name"]
    list_select_related = ["status"]
    list_per_page = 50
    show_full_result_count = False
    paginator = EstimatedCountPaginator
    inlines = [OrderItemInline, StatusChangeInline, DeliveryInline]
    readonly_fields = [
        "shop_order_id", "status", "shop_status_id", "delivery_name", "delivery_phone", "delivery_email",
        "delivery_city", "delivery_address", "delivery_type_title", "delivery_price", "payment_type_title",
        "payed", "total_default", "total_sum", "total_quantity", "discount_value", "coupon_code", "currency",
        "comment", "stat_created", "order_without_callback", "shop_user_id", "created_at", "updated_at",
        "payload_display", "partners_glance", "out_of_step_note",
    ]
    fieldsets = [
        (None, {"fields": ["shop_order_id", "status", ("new_status", "status_reason"), "partners_glance",
                           "out_of_step_note"]}),
        (_("Customer"), {"fields": ["delivery_name", "delivery_phone", "delivery_email", "delivery_city",
                                    "delivery_address", "comment", "shop_user_id"]}),
        (_("Money"), {"fields": ["total_sum", "total_default", "discount_value", "coupon_code", "currency",
                                 "payed", "payment_type_title", "delivery_type_title", "delivery_price"]}),
        (_("Partner apps"), {"fields": ["choco_user_id", "imshop_uuid"]}),
        (_("From the shop"), {"classes": ["collapse"], "fields": [
            "shop_status_id", "stat_created", "order_without_callback", "created_at", "updated_at",
            "payload_display"]}),
    ]

    @admin.display(description=_("status"), ordering="status__shop_status_id")
    def status_badge(self, obj: Order) -> str:
        if obj.status is None:
            return "—"
        colour = STATUS_COLOURS.get(obj.status.shop_status_id, "#555")
        label = obj.status.name + (" ⚠" if obj.out_of_step else "")
        return badge(obj.status.code, label, colour)

    @admin.display(description=_("received"), ordering="created_at")
    def received(self, obj: Order) -> str:
        return format_html('<span title="{}">{}</span>', obj.created_at, naturaltime(obj.created_at))

    @admin.display(description=_("partners"))
    def partners_glance(self, obj: Order) -> str:
        latest = delivery_latest_per_channel(order_id=obj.pk)
        if not latest:
            return _("Nothing sent to partners yet.")
        return format_html_join(" ", "{}", ((badge(d.state, f"{d.get_channel_display()}: {d.get_state_display()}"),)
                                            for d in latest))

    @admin.display(description=_("total"), ordering="total_sum")
    def total_display(self, obj: Order) -> str:
        return f"{obj.total_sum:,.2f} {obj.currency}".replace(",", " ")

    @admin.display(description=_("payload from the shop"))
    def payload_display(self, obj: Order) -> str:
        return pretty_json(obj.raw_payload)

    def has_add_permission(self, request: HttpRequest) -> bool:
        return False  # orders come from the shop

    def has_delete_permission(self, request: HttpRequest, obj: Any = None) -> bool:
        return False  # an order and its history are the record of what partners were told

    def save_model(self, request: HttpRequest, obj: Order, form: OrderAdminForm, change: bool) -> None:
        data = form.cleaned_data
        order_links_update(order_id=obj.pk, choco_user_id=data.get("choco_user_id"),
                           imshop_uuid=data.get("imshop_uuid") or "")
        new_status = data.get("new_status")
        if new_status:
            try:
                done = order_change_status(order_id=obj.pk, to_status=new_status, source=StatusChange.Source.ADMIN,
                                           user=request.user, reason=data.get("status_reason", ""))
            except ConflictError as exc:
                self.message_user(request, exc.message, messages.ERROR)
                return
            if done:
                self.message_user(request, _("Status changed to %(s)s.") % {"s": new_status.name})

    def get_actions(self, request: HttpRequest) -> dict:
        actions = super().get_actions(request)
        for mapping in StatusMapping.objects.filter(needs_setup=False):
            name = f"set_status_{mapping.pk}"
            actions[name] = (self._status_action(mapping), name,
                             _("Change status to: %(name)s") % {"name": mapping.name})
        return actions

    @staticmethod
    def _status_action(mapping: StatusMapping):  # noqa: ANN205
        def action(modeladmin: OrderAdmin, request: HttpRequest, queryset: QuerySet[Order]) -> None:
            changed = refused = 0
            for order_id in queryset.values_list("pk", flat=True):
                try:
                    if order_change_status(order_id=order_id, to_status=mapping, source=StatusChange.Source.ADMIN,
                                           user=request.user, reason=str(_("Bulk change in the admin"))):
                        changed += 1
                except ConflictError:
                    refused += 1
            modeladmin.message_user(request, _("%(n)d orders moved to %(s)s.") % {"n": changed, "s": mapping.name})
            if refused:
                modeladmin.message_user(
                    request, _("%(n)d orders are in a final status and were left alone.") % {"n": refused},
                    messages.WARNING)

        return action


@admin.register(StatusMapping)
class StatusMappingAdmin(admin.ModelAdmin):
    change_list_template = "admin/orders/statusmapping/change_list.html"

    list_display = ["shop_status_id", "name", "code", "choco_summary", "imshop_summary", "shop_enabled",
                    "is_final", "is_cancellation_target", "needs_setup"]
    list_display_links = ["shop_status_id", "name"]
    list_filter = ["needs_setup", "choco_enabled", "imshop_enabled"]
    readonly_fields = ["preview"]
    fieldsets = [
        (None, {"fields": ["shop_status_id", "code", "name", "is_final", "is_cancellation_target", "needs_setup"]}),
        ("Choco / Rahmet", {"fields": [
            "choco_enabled", "choco_external_status", "choco_title_active_order_card", "choco_title_call_to_action",
            "choco_subtitle_active_order_card", "choco_deeplink_card", "choco_deeplink_call_to_action",
            ("choco_need_timer", "choco_countdown_timer"), "choco_expires_in_minutes"]}),
        ("Imshop", {"fields": ["imshop_enabled", "imshop_code", "imshop_message", "imshop_tracking_url"]}),
        (_("Shop"), {"fields": ["shop_enabled"]}),
        (_("What the buyer sees"), {"fields": ["preview"]}),
    ]

    def get_urls(self) -> list:
        extra = [path("import-shop-statuses/", self.admin_site.admin_view(self.import_shop_statuses),
                      name="orders_statusmapping_import")]
        return extra + super().get_urls()

    def import_shop_statuses(self, request: HttpRequest) -> HttpResponseRedirect:
        """Read the shop's status list and add what is missing (POST only: it writes)."""
        from integrations.exceptions import PartnerError
        from integrations.services.horoshop_setup import shop_statuses_import

        if request.method == "POST" and self.has_add_permission(request):
            try:
                created, known = shop_statuses_import()
            except (ApplicationError, PartnerError) as exc:
                self.message_user(request, exc.message, messages.ERROR)
            else:
                self.message_user(request, _("%(c)d new statuses added, %(k)d already mapped.")
                                  % {"c": created, "k": known})
        return HttpResponseRedirect(reverse("admin:orders_statusmapping_changelist"))

    @admin.display(description="Choco")
    def choco_summary(self, obj: StatusMapping) -> str:
        if not obj.choco_enabled:
            return "—"
        return f"{obj.choco_external_status}: {obj.choco_title_active_order_card}"

    @admin.display(description="Imshop")
    def imshop_summary(self, obj: StatusMapping) -> str:
        if not obj.imshop_enabled:
            return "—"
        return f"{obj.imshop_code}: {obj.imshop_message}"

    @admin.display(description=_("preview"))
    def preview(self, obj: StatusMapping) -> str:
        if not obj.pk:
            return _("Save to see the preview.")
        subtitle = obj.choco_subtitle_active_order_card if not obj.choco_need_timer else ""
        return format_html(
            "<div style='display:flex;gap:2em;flex-wrap:wrap'>"
            "<div style='border:1px solid #ccc;border-radius:12px;padding:12px;width:260px'>"
            "<small>Choco · {ext}</small><h3 style='margin:.3em 0'>{card}</h3><div>{subtitle}</div>"
            "<div>{timer}</div><button type='button' disabled>{cta}</button></div>"
            "<div style='border:1px solid #ccc;border-radius:12px;padding:12px;width:260px'>"
            "<small>Imshop · {code}</small><p><b>{message}</b></p><small>{tracking}</small></div></div>",
            ext=obj.choco_external_status or "—", card=obj.choco_title_active_order_card or "—",
            subtitle=subtitle, timer="⏱ " + gettext("timer") if obj.choco_need_timer else "",
            cta=obj.choco_title_call_to_action or "—", code=obj.imshop_code or "—",
            message=obj.imshop_message or "—", tracking=obj.imshop_tracking_url,
        )


@admin.register(StatusChange)
class StatusChangeAdmin(admin.ModelAdmin):
    list_display = ["created_at", "order", "from_status", "to_status", "source", "user", "reason"]
    list_filter = ["source", "to_status", "created_at"]
    list_select_related = ["order", "from_status", "to_status", "user"]
    search_fields = ["=order__shop_order_id"]

    def has_add_permission(self, request: HttpRequest) -> bool:
        return False

    def has_change_permission(self, request: HttpRequest, obj: Any = None) -> bool:
        return False

    def has_delete_permission(self, request: HttpRequest, obj: Any = None) -> bool:
        return False
