"""The managers' admin for orders and status mappings. Every change goes through a service."""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

from django import forms
from django.contrib import admin, messages
from django.contrib.admin.helpers import ACTION_CHECKBOX_NAME
from django.contrib.humanize.templatetags.humanize import naturaltime
from django.core.exceptions import PermissionDenied
from django.db.models import Prefetch, QuerySet
from django.http import HttpRequest, HttpResponse, HttpResponseRedirect
from django.shortcuts import get_object_or_404
from django.template.response import TemplateResponse
from django.urls import path, reverse
from django.utils.html import format_html
from django.utils.translation import gettext, ngettext
from django.utils.translation import gettext_lazy as _
from django.views.decorators.http import require_POST
from import_export.admin import ExportMixin

from orders.admin_deliveries import DeliveryAdmin  # noqa: F401 - registers the deliveries' admin
from orders.admin_display import partner_states_html, partners_compact
from orders.admin_export import EXPORT_FORMATS, OrderResource
from orders.admin_inlines import DeliveryInline, OrderItemInline, StatusChangeInline, pretty_json, status_name
from orders.admin_mappings import StatusMappingAdmin  # noqa: F401 - registers the mappings' admin
from orders.errors import ConflictError
from orders.models import Delivery, Order, StatusChange, StatusMapping
from orders.pagination import EstimatedCountPaginator
from orders.selectors import order_has_open_failure, order_partner_states
from orders.services.links import order_links_update
from orders.services.outbox import deliveries_resend
from orders.services.search import order_search_q
from orders.services.status import order_change_status
from orders.templatetags.hub_admin import badge

if TYPE_CHECKING:
    from django_stubs_ext import StrOrPromise

BULK_SHOWN = 20
# Set on the request by save_related when the save changed nothing: response_change then stays on the page.
NOTHING_CHANGED_ATTR = "_hub_nothing_changed"


# Horoshop's statuses: new, processing, delivered, cancelled, shipping; custom ones are grey.
STATUS_COLOURS = {1: "#1f6fb2", 2: "#b26b00", 3: "#237a3b", 4: "#b3261e", 6: "#6a3fb2"}


class OrderAdminForm(forms.ModelForm):
    # What save_model did, for the history entry: "", "unchanged", or the status move.
    hub_note = ""

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
                _("This order is %(status)s, a final status; the hub will not move it. If it must change, "
                  "change it in Horoshop: the hub follows the shop.") % {"status": current.name}
            )
        return new


class OpenFailureFilter(admin.SimpleListFilter):
    title = _("partners")
    parameter_name = "partners"

    def lookups(self, request: HttpRequest, model_admin: admin.ModelAdmin) -> list[tuple[str, StrOrPromise]]:
        return [("failed", _("a delivery failed"))]

    def queryset(self, request: HttpRequest, queryset: QuerySet[Order]) -> QuerySet[Order]:
        if self.value() == "failed":
            return queryset.filter(order_has_open_failure())
        return queryset


class BulkStatusForm(forms.Form):
    reason = forms.CharField(label=_("Reason"), max_length=500, widget=forms.Textarea(attrs={"rows": 2}),
                             help_text=_("Kept in each order's history; Choco shows it on a cancelled card."))


@admin.register(Order)
class OrderAdmin(ExportMixin, admin.ModelAdmin):
    form = OrderAdminForm
    resource_classes = [OrderResource]
    formats = EXPORT_FORMATS
    list_display = ["shop_order_id", "delivery_name", "delivery_phone", "total_display", "status_badge",
                    "partners_state", "stat_created", "received"]
    # No date_hierarchy and no filter on free-form columns: both scan the whole table on every page.
    list_filter = ["status", OpenFailureFilter, "out_of_step", "payed", "created_at"]
    # The search itself is get_search_results (normalised columns); this only shows the box.
    search_fields = ["=shop_order_id"]
    search_help_text = _("Order number, phone in any form, e-mail, or part of the name.")
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

    def get_queryset(self, request: HttpRequest) -> QuerySet[Order]:
        queryset = super().get_queryset(request)
        if request.resolver_match and request.resolver_match.url_name == "orders_order_changelist":
            # The partners column: one query for the page's deliveries, not one per row.
            queryset = queryset.prefetch_related(Prefetch(
                "deliveries", queryset=Delivery.objects.only("id", "order_id", "channel", "state")))
        return queryset

    def get_search_results(self, request: HttpRequest, queryset: QuerySet[Order],
                           search_term: str) -> tuple[QuerySet[Order], bool]:
        query = order_search_q(term=search_term)
        return (queryset.filter(query) if query is not None else queryset), False

    @admin.display(description=_("status"), ordering="status__shop_status_id")
    def status_badge(self, obj: Order) -> str:
        if obj.status is None:
            return "—"
        colour = STATUS_COLOURS.get(obj.status.shop_status_id, "#555")
        label = obj.status.name + (" ⚠" if obj.out_of_step else "")
        return badge(obj.status.code, label, colour)

    @admin.display(description=_("partners"))
    def partners_state(self, obj: Order) -> str:
        return partners_compact(list(obj.deliveries.all()))

    @admin.display(description=_("received"), ordering="created_at")
    def received(self, obj: Order) -> str:
        return format_html('<span title="{}">{}</span>', obj.created_at, naturaltime(obj.created_at))

    @admin.display(description=_("partners"))
    def partners_glance(self, obj: Order) -> str:
        return partner_states_html(order_partner_states(order_id=obj.pk), status=obj.status,
                                   resend_url=reverse("admin:orders_order_resend", args=[obj.pk]))

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

    def get_urls(self) -> list:
        extra = [path("<int:order_id>/resend/", self.admin_site.admin_view(self.resend_view),
                      name="orders_order_resend")]
        return extra + super().get_urls()

    def resend_view(self, request: HttpRequest, order_id: int) -> HttpResponse:
        """The order page's Send again: one partner's newest delivery goes out again (POST only)."""
        return require_POST(self._resend)(request, order_id)

    def _resend(self, request: HttpRequest, order_id: int) -> HttpResponse:
        order = get_object_or_404(Order, pk=order_id)
        if not self.has_change_permission(request, order):
            raise PermissionDenied
        delivery = get_object_or_404(Delivery, pk=request.POST.get("delivery") or 0, order=order)
        resent, _skipped = deliveries_resend(delivery_ids=[delivery.pk])
        label = delivery.channel_label
        if resent:
            self.log_change(request, order, gettext("Sent again to %(partner)s (delivery %(id)d).")
                            % {"partner": label, "id": delivery.pk})
            self.message_user(request, gettext("Sent again to %(partner)s.") % {"partner": label}, messages.SUCCESS)
        else:
            self.message_user(request, gettext("Not sent again: the order has a newer status, which is the one "
                                               "%(partner)s should see.") % {"partner": label}, messages.WARNING)
        return HttpResponseRedirect(reverse("admin:orders_order_change", args=[order.pk]))

    def save_model(self, request: HttpRequest, obj: Order, form: OrderAdminForm, change: bool) -> None:
        data = form.cleaned_data
        order_links_update(order_id=obj.pk, choco_user_id=data.get("choco_user_id"),
                           imshop_uuid=data.get("imshop_uuid") or "")
        new_status = data.get("new_status")
        form.hub_note = ""
        if new_status and new_status == obj.status and not set(form.changed_data) - {"new_status", "status_reason"}:
            form.hub_note = "unchanged"
            self.message_user(request, gettext("The order is already %(s)s: nothing changed.")
                              % {"s": new_status.name}, messages.INFO)
            return
        if new_status:
            try:
                done = order_change_status(order_id=obj.pk, to_status=new_status, source=StatusChange.Source.ADMIN,
                                           user=request.user, reason=data.get("status_reason", ""))
            except ConflictError as exc:
                self.message_user(request, exc.message, messages.ERROR)
                return
            if done:
                form.hub_note = gettext("Status: %(old)s → %(new)s.") % {
                    "old": status_name(obj.status), "new": new_status.name}
                self.message_user(request, gettext("Status changed to %(s)s.") % {"s": new_status.name})

    def construct_change_message(  # type: ignore[override]  # stub: a list only; log_change takes a str too
            self, request: HttpRequest, form: forms.Form, formsets: Any, add: bool = False) -> list | str:
        """The history says what happened: the status move and its reason, or which links changed."""
        note = getattr(form, "hub_note", "")
        reason = form.cleaned_data.get("status_reason", "")
        if note and note != "unchanged":
            return f"{note} {gettext('Reason')}: {reason}" if reason else note
        return super().construct_change_message(request, form, formsets, add)

    def response_change(self, request: HttpRequest, obj: Order) -> HttpResponse:
        if getattr(request, NOTHING_CHANGED_ATTR, False):
            return HttpResponseRedirect(request.path)
        return super().response_change(request, obj)

    def save_related(self, request: HttpRequest, form: OrderAdminForm, formsets: Any, change: bool) -> None:
        super().save_related(request, form, formsets, change)
        setattr(request, NOTHING_CHANGED_ATTR, form.hub_note == "unchanged")

    def get_actions(self, request: HttpRequest) -> dict:
        actions = super().get_actions(request)
        if not self.has_change_permission(request):
            return actions  # the status actions change orders
        for mapping in StatusMapping.objects.filter(needs_setup=False):
            name = f"set_status_{mapping.pk}"
            actions[name] = (self._status_action(mapping), name,
                             _("Change status to: %(name)s") % {"name": mapping.name})
        return actions

    @staticmethod
    def _status_action(mapping: StatusMapping):  # noqa: ANN205
        def action(modeladmin: OrderAdmin, request: HttpRequest, queryset: QuerySet[Order]) -> HttpResponse | None:
            form = BulkStatusForm(request.POST if "confirm" in request.POST else None)
            if not form.is_valid():
                return modeladmin.bulk_status_confirm(request, queryset, mapping=mapping, form=form)
            modeladmin.bulk_status_apply(request, queryset, mapping=mapping, reason=form.cleaned_data["reason"])
            return None

        return action

    def bulk_status_confirm(self, request: HttpRequest, queryset: QuerySet[Order], *, mapping: StatusMapping,
                            form: BulkStatusForm) -> TemplateResponse:
        """The page between choosing the action and doing it: which orders, the new status, and why."""
        count = queryset.count()
        context = {
            **self.admin_site.each_context(request), "opts": self.model._meta, "title": gettext("Are you sure?"),
            "mapping": mapping, "form": form, "count": count, "orders": queryset.select_related("status")[:BULK_SHOWN],
            "more": max(count - BULK_SHOWN, 0), "selected": request.POST.getlist(ACTION_CHECKBOX_NAME),
            "action": request.POST.get("action", ""), "select_across": request.POST.get("select_across", "0"),
            "query_string": request.GET.urlencode(),
        }
        return TemplateResponse(request, "admin/orders/order/bulk_status.html", context)

    def bulk_status_apply(self, request: HttpRequest, queryset: QuerySet[Order], *, mapping: StatusMapping,
                          reason: str) -> None:
        changed = refused = same = 0
        for order in queryset.select_related("status"):
            try:
                done = order_change_status(order_id=order.pk, to_status=mapping, source=StatusChange.Source.ADMIN,
                                           user=request.user, reason=reason)
            except ConflictError:
                refused += 1
                continue
            if done:
                changed += 1
                self.log_change(request, order, gettext("Status: %(old)s → %(new)s (bulk). Reason: %(reason)s")
                                % {"old": status_name(order.status), "new": mapping.name, "reason": reason})
            else:
                same += 1
        self.message_user(request, ngettext("%(n)d order moved to %(s)s.", "%(n)d orders moved to %(s)s.", changed)
                          % {"n": changed, "s": mapping.name})
        if same:
            self.message_user(request, ngettext("%(n)d order was already %(s)s.", "%(n)d orders were already %(s)s.",
                                                same) % {"n": same, "s": mapping.name}, messages.INFO)
        if refused:
            self.message_user(request, ngettext(
                "%(n)d order is in a final status and was left alone; change it in Horoshop if it must move.",
                "%(n)d orders are in a final status and were left alone; change them in Horoshop if they must move.",
                refused) % {"n": refused}, messages.WARNING)


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
