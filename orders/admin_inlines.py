"""The read-only tables of an order's page: items, history and deliveries (shared read-only pieces too)."""

from __future__ import annotations

import json
from typing import Any

from django.contrib import admin
from django.db.models import QuerySet
from django.http import HttpRequest
from django.utils.html import format_html
from django.utils.translation import gettext
from django.utils.translation import gettext_lazy as _

from orders.models import Delivery, OrderItem, StatusChange, StatusMapping
from orders.templatetags.hub_admin import badge


class ReadOnlyAdmin(admin.ModelAdmin):
    """An audit table: managers read it, nobody (a superuser neither) adds, edits or deletes a row.

    Old rows go by the retention purge (RETENTION_DAYS), never by hand.
    """

    def has_add_permission(self, request: HttpRequest) -> bool:
        return False

    def has_change_permission(self, request: HttpRequest, obj: Any = None) -> bool:
        return False

    def has_delete_permission(self, request: HttpRequest, obj: Any = None) -> bool:
        return False


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
    fields = readonly_fields = ("title", "article", "price", "quantity", "total_price", "discount_marker", "url")


def status_name(mapping: StatusMapping | None) -> str:
    return mapping.name if mapping is not None else gettext("— (order received)")


class StatusChangeInline(ReadOnlyInline):
    model = StatusChange
    fields = readonly_fields = ("created_at", "from_name", "to_name", "source", "user", "reason")
    ordering = ["-created_at", "-id"]

    def get_queryset(self, request: HttpRequest) -> QuerySet[StatusChange]:
        return super().get_queryset(request).select_related("order", "from_status", "to_status", "user")

    @admin.display(description=_("from"))
    def from_name(self, obj: StatusChange) -> str:
        return status_name(obj.from_status)

    @admin.display(description=_("to"))
    def to_name(self, obj: StatusChange) -> str:
        return status_name(obj.to_status)


def pretty_json(value: Any) -> str:
    return format_html("<pre style='white-space:pre-wrap;max-width:60em'>{}</pre>",
                       json.dumps(value, ensure_ascii=False, indent=2))


class DeliveryInline(ReadOnlyInline):
    model = Delivery
    fields = readonly_fields = ("created_at", "channel", "state_badge", "attempts", "next_attempt_at", "last_error")
    ordering = ["-created_at", "-id"]
    show_change_link = True
    verbose_name_plural = _("deliveries to partners")

    @admin.display(description=_("state"))
    def state_badge(self, obj: Delivery) -> str:
        return badge(obj.state, obj.get_state_display())
