"""Admin for what arrived (inbound events) and what left (deliveries, attempts, channel switches)."""

from __future__ import annotations

from typing import Any

from django.contrib import admin, messages
from django.db.models import QuerySet
from django.http import HttpRequest
from django.utils.translation import gettext_lazy as _

from integrations.models import (
    ChannelSwitch,
    Delivery,
    DeliveryAttempt,
    InboundEvent,
    PollRun,
    WebhookSubscription,
)
from integrations.services.channels import channel_set_paused
from integrations.services.outbox import deliveries_resend
from integrations.templatetags.hub_admin import badge
from orders.admin import ReadOnlyInline, pretty_json
from orders.pagination import EstimatedCountPaginator


class ReadOnlyAdmin(admin.ModelAdmin):
    def has_add_permission(self, request: HttpRequest) -> bool:
        return False

    def has_change_permission(self, request: HttpRequest, obj: Any = None) -> bool:
        return False


@admin.register(InboundEvent)
class InboundEventAdmin(ReadOnlyAdmin):
    list_display = ["created_at", "source", "event", "method", "outcome", "response_status", "order", "error"]
    list_filter = ["source", "outcome", "created_at"]  # not "event": a DISTINCT over the whole table
    list_select_related = ["order"]
    search_fields = ["=order__shop_order_id", "body"]
    show_full_result_count = False
    paginator = EstimatedCountPaginator
    fields = ["created_at", "source", "event", "method", "path", "remote_addr", "outcome", "response_status",
              "error", "order", "headers_display", "body", "body_size"]
    readonly_fields = fields

    @admin.display(description=_("headers"))
    def headers_display(self, obj: InboundEvent) -> str:
        return pretty_json(obj.headers)


class DeliveryAttemptInline(ReadOnlyInline):
    model = DeliveryAttempt
    fields = readonly_fields = ["number", "started_at", "duration_ms", "outcome", "response_status", "error_class",
                                "error", "request_url", "request_body", "response_body"]


@admin.register(Delivery)
class DeliveryAdmin(ReadOnlyAdmin):
    list_display = ["id", "created_at", "order", "channel", "state_badge", "attempts", "next_attempt_at",
                    "delivered_at", "last_error"]
    list_filter = ["channel", "state", "created_at"]
    list_select_related = ["order"]
    search_fields = ["=order__shop_order_id"]
    show_full_result_count = False
    paginator = EstimatedCountPaginator
    inlines = [DeliveryAttemptInline]
    actions = ["resend"]
    fields = ["order", "status_change", "channel", "state", "attempts", "next_attempt_at", "delivered_at",
              "last_error", "resend_of", "created_at", "updated_at", "payload_display"]
    readonly_fields = fields

    @admin.display(description=_("state"), ordering="state")
    def state_badge(self, obj: Delivery) -> str:
        return badge(obj.state, obj.get_state_display())

    @admin.display(description=_("payload"))
    def payload_display(self, obj: Delivery) -> str:
        return pretty_json(obj.payload)

    @admin.action(description=_("Send again"))
    def resend(self, request: HttpRequest, queryset: QuerySet[Delivery]) -> None:
        resent, skipped = deliveries_resend(delivery_ids=queryset.values_list("pk", flat=True))
        self.message_user(request, _("%(n)d deliveries queued again.") % {"n": resent})
        if skipped:
            self.message_user(
                request,
                _("%(n)d skipped: their order has a newer status, which is the one partners should see.")
                % {"n": skipped},
                messages.WARNING,
            )


@admin.register(ChannelSwitch)
class ChannelSwitchAdmin(admin.ModelAdmin):
    list_display = ["channel", "paused", "changed_at", "changed_by", "waiting"]
    actions = ["pause", "resume"]
    readonly_fields = ["channel", "paused", "changed_at", "changed_by"]

    def has_add_permission(self, request: HttpRequest) -> bool:
        return False

    def has_delete_permission(self, request: HttpRequest, obj: Any = None) -> bool:
        return False

    @admin.display(description=_("waiting deliveries"))
    def waiting(self, obj: ChannelSwitch) -> int:
        return Delivery.objects.filter(channel=obj.channel, state=Delivery.State.PENDING).count()

    @admin.action(description=_("Pause: hold deliveries"))
    def pause(self, request: HttpRequest, queryset: QuerySet[ChannelSwitch]) -> None:
        for switch in queryset:
            channel_set_paused(channel=switch.channel, paused=True, by=request.user.get_username())
        self.message_user(request, _("Paused. Deliveries wait until you resume."))

    @admin.action(description=_("Resume: send what waited"))
    def resume(self, request: HttpRequest, queryset: QuerySet[ChannelSwitch]) -> None:
        for switch in queryset:
            channel_set_paused(channel=switch.channel, paused=False, by=request.user.get_username())
        self.message_user(request, _("Resumed. The newest status of each order is being sent."))


@admin.register(PollRun)
class PollRunAdmin(ReadOnlyAdmin):
    list_display = ["started_at", "ok", "duration_ms", "window_from", "orders_seen", "orders_created",
                    "orders_changed", "orders_skipped", "errors"]
    list_filter = ["ok", "started_at"]
    fields = readonly_fields = ["started_at", "finished_at", "duration_ms", "ok", "window_from", "orders_seen",
                                "orders_created", "orders_changed", "orders_skipped", "skipped", "errors", "error"]


@admin.register(WebhookSubscription)
class WebhookSubscriptionAdmin(ReadOnlyAdmin):
    list_display = ["event", "subscription_id", "created_at"]
    fields = readonly_fields = ["event", "subscription_id", "created_at"]  # the URL carries the secret
