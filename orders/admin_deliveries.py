"""The admin of what leaves the hub: deliveries with their attempts, and the partner channels' pause switches."""

from __future__ import annotations

from typing import Any

from django.contrib import admin, messages
from django.core.exceptions import PermissionDenied
from django.db.models import QuerySet
from django.http import HttpRequest, HttpResponse, HttpResponseRedirect
from django.shortcuts import get_object_or_404
from django.urls import path, reverse
from django.utils.html import format_html
from django.utils.text import Truncator
from django.utils.translation import gettext, ngettext
from django.utils.translation import gettext_lazy as _
from django.views.decorators.http import require_POST
from import_export.admin import ExportMixin

from orders.admin_display import when
from orders.admin_export import EXPORT_FORMATS, DeliveryResource
from orders.admin_inlines import ReadOnlyAdmin, ReadOnlyInline, pretty_json
from orders.models import ChannelSwitch, Delivery, DeliveryAttempt
from orders.pagination import EstimatedCountPaginator
from orders.partners import partners
from orders.services.channels import channel_set_paused
from orders.services.outbox import deliveries_resend
from orders.templatetags.hub_admin import badge


class ChannelFilter(admin.SimpleListFilter):
    """The registered partners' channels (a DISTINCT over the deliveries would read the whole table)."""

    title = _("channel")
    parameter_name = "channel__exact"

    def lookups(self, request: HttpRequest, model_admin: Any) -> list[tuple[str, str]]:
        channels = {partner.key for partner in partners.all()}
        channels |= set(ChannelSwitch.objects.values_list("channel", flat=True))
        return [(channel, partners.label(channel)) for channel in sorted(channels)]

    def queryset(self, request: HttpRequest, queryset: QuerySet[Any]) -> QuerySet[Any]:
        return queryset.filter(channel=self.value()) if self.value() else queryset


class DeliveryAttemptInline(ReadOnlyInline):
    model = DeliveryAttempt
    ALL_FIELDS = ("number", "started_at", "duration_ms", "outcome", "response_status", "error_class", "error",
                  "request_url", "request_body", "response_body")
    fields = readonly_fields = ALL_FIELDS
    # The exchange with the partner (URL and bodies) only for holders of view_deliveryattempt.
    EXCHANGE_FIELDS = ("request_url", "request_body", "response_body")

    def has_view_permission(self, request: HttpRequest, obj: Any = None) -> bool:
        return request.user.has_perm("orders.view_delivery")

    def get_fields(self, request: HttpRequest, obj: Any = None) -> tuple[str, ...]:
        if request.user.has_perm("orders.view_deliveryattempt"):
            return self.ALL_FIELDS
        return tuple(name for name in self.ALL_FIELDS if name not in self.EXCHANGE_FIELDS)

    def get_readonly_fields(self, request: HttpRequest, obj: Any = None) -> tuple[str, ...]:
        return self.get_fields(request, obj)


@admin.register(Delivery)
class DeliveryAdmin(ExportMixin, ReadOnlyAdmin):
    resource_classes = [DeliveryResource]
    formats = EXPORT_FORMATS
    list_display = ["id", "created_at", "order", "channel_display", "state_badge", "attempts", "next_attempt_at",
                    "delivered_at", "last_error_short"]
    list_filter = [ChannelFilter, "state", "created_at"]
    list_select_related = ["order"]
    search_fields = ["=order__shop_order_id"]
    show_full_result_count = False
    paginator = EstimatedCountPaginator
    inlines = [DeliveryAttemptInline]
    actions = ["resend"]
    fields = ("order", "change_display", "channel_display", "state", "attempts", "next_attempt_at", "delivered_at",
              "last_error", "resend_of", "created_at", "updated_at", "payload_display")
    readonly_fields = fields

    @admin.display(description=_("channel"), ordering="channel")
    def channel_display(self, obj: Delivery) -> str:
        return obj.channel_label

    @admin.display(description=_("state"), ordering="state")
    def state_badge(self, obj: Delivery) -> str:
        return badge(obj.state, obj.get_state_display())

    @admin.display(description=_("last error"))
    def last_error_short(self, obj: Delivery) -> str:
        return format_html('<span class="hub-clip" title="{}">{}</span>', obj.last_error,
                           Truncator(obj.last_error).chars(90))

    @admin.display(description=_("status change"))
    def change_display(self, obj: Delivery) -> str:
        change = obj.status_change
        old = change.from_status.name if change.from_status else gettext("— (order received)")
        return f"{old} → {change.to_status.name} ({change.get_source_display()}, {when(change.created_at)})"

    @admin.display(description=_("payload"))
    def payload_display(self, obj: Delivery) -> str:
        return pretty_json(obj.payload)

    def has_resend_permission(self, request: HttpRequest) -> bool:
        return request.user.has_perm("orders.add_delivery")  # a resend makes a new delivery

    @admin.action(description=_("Send again"), permissions=["resend"])
    def resend(self, request: HttpRequest, queryset: QuerySet[Delivery]) -> None:
        ids = list(queryset.values_list("pk", flat=True))
        resent, skipped = deliveries_resend(delivery_ids=ids)
        for copy in Delivery.objects.filter(resend_of_id__in=ids, state=Delivery.State.PENDING).select_related(
                "order"):
            self.log_change(request, copy.order, gettext("Sent again to %(partner)s (delivery %(id)d).")
                            % {"partner": copy.channel_label, "id": copy.resend_of_id})
        self.message_user(request, ngettext("%(n)d delivery queued again.", "%(n)d deliveries queued again.",
                                            resent) % {"n": resent})
        if skipped:
            self.message_user(
                request,
                ngettext("%(n)d skipped: its order has a newer status, which is the one partners should see.",
                         "%(n)d skipped: their order has a newer status, which is the one partners should see.",
                         skipped) % {"n": skipped},
                messages.WARNING,
            )


@admin.register(ChannelSwitch)
class ChannelSwitchAdmin(admin.ModelAdmin):
    change_form_template = "admin/orders/channelswitch/change_form.html"
    list_display = ["channel_display", "state_display", "changed_at", "changed_by", "waiting"]
    actions = ["pause", "resume"]
    fields = readonly_fields = ("channel_display", "state_display", "changed_at", "changed_by", "waiting")

    def has_add_permission(self, request: HttpRequest) -> bool:
        return False

    def has_delete_permission(self, request: HttpRequest, obj: Any = None) -> bool:
        return False

    @admin.display(description=_("channel"), ordering="channel")
    def channel_display(self, obj: ChannelSwitch) -> str:
        return obj.channel_label

    @admin.display(description=_("state"))
    def state_display(self, obj: ChannelSwitch) -> str:
        if obj.paused:
            return badge("paused", gettext("Paused since %(time)s: deliveries wait") % {"time": when(obj.changed_at)})
        return badge("delivered", gettext("Running"))

    @admin.display(description=_("waiting deliveries"))
    def waiting(self, obj: ChannelSwitch) -> int:
        return Delivery.objects.filter(channel=obj.channel, state=Delivery.State.PENDING).count()

    def get_urls(self) -> list:
        extra = [path("<str:channel>/switch/", self.admin_site.admin_view(self.switch_view),
                      name="orders_channelswitch_switch")]
        return extra + super().get_urls()

    def switch_view(self, request: HttpRequest, channel: str) -> HttpResponse:
        """The channel page's Pause / Resume button (POST only)."""
        return require_POST(self._switch)(request, channel)

    def _switch(self, request: HttpRequest, channel: str) -> HttpResponse:
        switch = get_object_or_404(ChannelSwitch, pk=channel)
        if not self.has_change_permission(request, switch):
            raise PermissionDenied
        queryset = ChannelSwitch.objects.filter(pk=switch.pk)
        if request.POST.get("paused") == "1":
            self.pause(request, queryset)
        else:
            self.resume(request, queryset)
        return HttpResponseRedirect(reverse("admin:orders_channelswitch_change", args=[switch.pk]))

    @admin.action(description=_("Pause: hold deliveries"), permissions=["change"])
    def pause(self, request: HttpRequest, queryset: QuerySet[ChannelSwitch]) -> None:
        for switch in queryset:
            channel_set_paused(channel=switch.channel, paused=True, by=request.user.get_username())
            self.log_change(request, switch, gettext("Paused."))
        self.message_user(request, _("Paused. Deliveries wait until you resume."), messages.SUCCESS)

    @admin.action(description=_("Resume: send what waited"), permissions=["change"])
    def resume(self, request: HttpRequest, queryset: QuerySet[ChannelSwitch]) -> None:
        for switch in queryset:
            channel_set_paused(channel=switch.channel, paused=False, by=request.user.get_username())
            self.log_change(request, switch, gettext("Resumed."))
        self.message_user(request, _("Resumed. The newest status of each order is being sent."), messages.SUCCESS)


