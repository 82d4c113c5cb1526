"""The managers' admin for status mappings: partner limits shown while typing, and a live preview."""

from __future__ import annotations

from typing import Any

from django import forms
from django.contrib import admin, messages
from django.http import HttpRequest
from django.utils.html import format_html
from django.utils.safestring import mark_safe
from django.utils.translation import gettext, ngettext
from django.utils.translation import gettext_lazy as _

from orders.models import StatusMapping
from orders.services.catch_up import status_catch_up_queue


class StatusMappingAdminForm(forms.ModelForm):
    """Every length limit is shown as a counter and checked on save, never cut by the browser."""

    class Meta:
        model = StatusMapping
        fields = "__all__"  # noqa: DJ007 - the admin's fieldsets choose what is shown
        labels = {
            "choco_external_status": _("Choco status code"),
        }
        help_texts = {
            "choco_external_status": _("Sent to Choco as external_status, e.g. NEW or IN_DELIVERY."),
            "choco_title_active_order_card": _("Choco shows at most 30 characters."),
            "choco_title_call_to_action": _("Choco shows at most 30 characters."),
        }

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        for field in self.fields.values():
            limit = getattr(field, "max_length", None)
            if limit and isinstance(field.widget, forms.TextInput | forms.Textarea):
                # maxlength would make the browser drop what is pasted past the limit without a word.
                field.widget.attrs.pop("maxlength", None)
                field.widget.attrs["data-limit"] = limit

    class Media:
        js = ["hub/mapping-form.js"]


@admin.register(StatusMapping)
class StatusMappingAdmin(admin.ModelAdmin):
    change_list_template = "admin/orders/statusmapping/change_list.html"
    form = StatusMappingAdminForm

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

    def save_model(self, request: HttpRequest, obj: StatusMapping, form: forms.ModelForm, change: bool) -> None:
        """A placeholder a manager has just set up: the orders already in it are told, as if they had just arrived."""
        set_up = change and "needs_setup" in form.changed_data and not obj.needs_setup
        super().save_model(request, obj, form, change)
        if set_up:
            waiting = status_catch_up_queue(mapping=obj)
            if waiting:
                self.message_user(request, ngettext(
                    "%(n)d order is already in this status: the partners that hear of it now are being told. "
                    "A partner turned on later hears only of orders that reach the status after that.",
                    "%(n)d orders are already in this status: the partners that hear of it now are being told. "
                    "A partner turned on later hears only of orders that reach the status after that.",
                    waiting) % {"n": waiting}, messages.INFO)

    @admin.display(description="Choco")
    def choco_summary(self, obj: StatusMapping) -> str:
        if not obj.choco_enabled:
            return "—"
        return format_html('<span class="hub-clip">{}: {}</span>', obj.choco_external_status,
                           obj.choco_title_active_order_card)

    @admin.display(description="Imshop")
    def imshop_summary(self, obj: StatusMapping) -> str:
        if not obj.imshop_enabled:
            return "—"
        return format_html('<span class="hub-clip">{}: {}</span>', obj.imshop_code, obj.imshop_message)

    @admin.display(description=_("preview"))
    def preview(self, obj: StatusMapping) -> str:
        """The Choco card and the Imshop text; static/hub/mapping-form.js keeps it in step with the form."""
        subtitle = obj.choco_subtitle_active_order_card if not obj.choco_need_timer else ""
        return format_html(
            "<div class='hub-preview' style='display:flex;gap:2em;flex-wrap:wrap'>"
            "<div style='border:1px solid #ccc;border-radius:12px;padding:12px;width:260px'>"
            "<small>Choco · <span data-preview='choco_external_status'>{ext}</span></small>"
            "<h3 style='margin:.3em 0' data-preview='choco_title_active_order_card'>{card}</h3>"
            "<div data-preview='choco_subtitle_active_order_card' data-hidden-by='choco_need_timer'>{subtitle}</div>"
            "<div data-shown-by='choco_need_timer'{timer_hidden}>⏱ {timer}</div>"
            "<button type='button' disabled data-preview='choco_title_call_to_action'>{cta}</button></div>"
            "<div style='border:1px solid #ccc;border-radius:12px;padding:12px;width:260px'>"
            "<small>Imshop · <span data-preview='imshop_code'>{code}</span></small>"
            "<p><b data-preview='imshop_message'>{message}</b></p>"
            "<small data-preview='imshop_tracking_url'>{tracking}</small></div></div>",
            ext=obj.choco_external_status or "—", card=obj.choco_title_active_order_card or "—",
            subtitle=subtitle, timer_hidden="" if obj.choco_need_timer else mark_safe(" hidden"),  # noqa: S308 - a constant
            timer=gettext("timer"), cta=obj.choco_title_call_to_action or "—", code=obj.imshop_code or "—",
            message=obj.imshop_message or "—", tracking=obj.imshop_tracking_url,
        )
