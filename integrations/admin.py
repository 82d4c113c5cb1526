"""Admin for what arrived (inbound events), the shop polls and subscriptions, and the shop status import."""

from __future__ import annotations

from django.contrib import admin, messages
from django.http import HttpRequest, HttpResponseRedirect
from django.urls import path, reverse
from django.utils.translation import gettext_lazy as _
from django.utils.translation import ngettext

from integrations.horoshop.setup import shop_statuses_import
from integrations.models import InboundEvent, PollRun, WebhookSubscription
from orders.admin_inlines import ReadOnlyAdmin, pretty_json
from orders.admin_mappings import StatusMappingAdmin
from orders.errors import ApplicationError
from orders.models import StatusMapping
from orders.pagination import EstimatedCountPaginator
from orders.partner_errors import PartnerError


@admin.register(InboundEvent)
class InboundEventAdmin(ReadOnlyAdmin):
    list_display = ["created_at", "source", "event", "method", "outcome", "response_status", "order", "error"]
    list_filter = ["source", "outcome", "created_at"]  # not "event": a DISTINCT over the whole table
    list_select_related = ["order"]
    search_fields = ["=order__shop_order_id", "body"]
    show_full_result_count = False
    paginator = EstimatedCountPaginator
    fields = ("created_at", "source", "event", "method", "path", "remote_addr", "outcome", "response_status",
              "error", "order", "headers_display", "body", "body_size")
    readonly_fields = fields

    @admin.display(description=_("headers"))
    def headers_display(self, obj: InboundEvent) -> str:
        return pretty_json(obj.headers)


@admin.register(PollRun)
class PollRunAdmin(ReadOnlyAdmin):
    list_display = ["started_at", "ok", "duration_ms", "window_from", "orders_seen", "orders_created",
                    "orders_changed", "orders_skipped", "errors"]
    list_filter = ["ok", "started_at"]
    fields = readonly_fields = ("started_at", "finished_at", "duration_ms", "ok", "window_from", "orders_seen",
                                "orders_created", "orders_changed", "orders_skipped", "skipped", "errors", "error")


@admin.register(WebhookSubscription)
class WebhookSubscriptionAdmin(ReadOnlyAdmin):
    list_display = ["event", "subscription_id", "created_at"]
    fields = readonly_fields = ("event", "subscription_id", "created_at")  # the URL carries the secret


admin.site.unregister(StatusMapping)


@admin.register(StatusMapping)
class StatusMappingWithShopImportAdmin(StatusMappingAdmin):
    """The mappings' admin, with the button that reads the shop's own status list."""

    def get_urls(self) -> list:
        extra = [path("import-shop-statuses/", self.admin_site.admin_view(self.import_shop_statuses),
                      name="orders_statusmapping_import")]
        return extra + super().get_urls()

    def import_shop_statuses(self, request: HttpRequest) -> HttpResponseRedirect:
        """Read the shop's status list and add what is missing (POST only: it writes)."""
        if request.method == "POST" and self.has_add_permission(request):
            try:
                created, known = shop_statuses_import()
            except (ApplicationError, PartnerError) as exc:
                self.message_user(request, exc.message, messages.ERROR)
            else:
                added = ngettext("%(c)d new status added", "%(c)d new statuses added", created) % {"c": created}
                mapped = ngettext("%(k)d already mapped", "%(k)d already mapped", known) % {"k": known}
                self.message_user(request, f"{added}, {mapped}.")
        return HttpResponseRedirect(reverse("admin:orders_statusmapping_changelist"))
