"""Admin of the status subscriptions: add an endpoint, see its health, rotate its secret, send a test event.

A secret is shown once, on the page that answers the form that made it (never in a message, which
would be kept in the session or a cookie), and never on any other page.
"""

from __future__ import annotations

from typing import Any

from django import forms
from django.conf import settings
from django.contrib import admin, messages
from django.core.exceptions import PermissionDenied
from django.db.models import QuerySet
from django.http import HttpRequest, HttpResponse, HttpResponseRedirect
from django.shortcuts import get_object_or_404
from django.template.response import TemplateResponse
from django.urls import path, reverse
from django.utils.cache import add_never_cache_headers
from django.utils.html import format_html
from django.utils.http import urlencode
from django.utils.translation import gettext, ngettext
from django.utils.translation import gettext_lazy as _
from django.views.decorators.http import require_POST

from hub.redaction import mask_url, url_secret_parts
from integrations.webhooks.models import WebhookEndpoint
from integrations.webhooks.payloads import STATUS_CHANGED
from integrations.webhooks.services import TestOutcome, endpoint_save, endpoint_secret_rotate, endpoint_test_send
from integrations.webhooks.targets import url_problem
from orders.admin_display import when
from orders.models import Delivery
from orders.templatetags.hub_admin import badge

SECRET_TEMPLATE = "admin/webhooks/webhookendpoint/secret.html"
ANSWER_SHOWN = 300


class WebhookEndpointForm(forms.ModelForm):
    class Meta:
        model = WebhookEndpoint
        fields = ["name", "url", "all_statuses", "statuses", "enabled"]
        widgets = {"url": forms.URLInput(attrs={"size": 80}), "statuses": forms.CheckboxSelectMultiple}

    def clean_url(self) -> str:
        url = self.cleaned_data["url"].strip()
        if url == self.instance.url:
            return url  # checked when it was set; a receiver taken down must still be switched off
        problem = url_problem(url, allow_private=settings.WEBHOOK_ALLOW_PRIVATE_TARGETS)
        if problem:
            raise forms.ValidationError(problem)
        return url

    def clean(self) -> dict[str, Any]:
        data = super().clean() or {}
        if not data.get("all_statuses") and not data.get("statuses"):
            self.add_error("statuses", _("Choose the statuses to send, or tick “every status”."))
        return data


@admin.register(WebhookEndpoint)
class WebhookEndpointAdmin(admin.ModelAdmin):
    form = WebhookEndpointForm
    change_form_template = "admin/webhooks/webhookendpoint/change_form.html"
    list_display = ["name", "url_display", "statuses_display", "state_display", "last_success_at", "failing_since"]
    list_filter = ["enabled"]
    search_fields = ["name"]
    readonly_fields = ["url_display", "channel_display", "state_display", "last_success_at", "failing_since",
                       "secret_display", "deliveries_link"]

    def get_fieldsets(self, request: HttpRequest, obj: Any = None) -> list:
        # Who may not change it sees the URL as the list shows it: a key in it is the receiver's secret.
        url = "url" if obj is None or self.has_change_permission(request, obj) else "url_display"
        fieldsets: list = [(None, {"fields": ["name", url, "all_statuses", "statuses", "enabled"]})]
        if obj is not None:
            fieldsets.append((_("Health"), {"fields": ["state_display", "last_success_at", "failing_since",
                                                       "deliveries_link"]}))
            fieldsets.append((_("Signing"), {"fields": ["channel_display", "secret_display"]}))
        return fieldsets

    def get_queryset(self, request: HttpRequest) -> QuerySet[WebhookEndpoint]:
        return super().get_queryset(request).prefetch_related("statuses")

    def has_delete_permission(self, request: HttpRequest, obj: Any = None) -> bool:
        return False  # deliveries name the endpoint for good: switch it off instead

    @admin.display(description=_("URL"))
    def url_display(self, obj: WebhookEndpoint) -> str:
        return mask_url(obj.url, url_secret_parts(obj.url))

    @admin.display(description=_("statuses"))
    def statuses_display(self, obj: WebhookEndpoint) -> str:
        if obj.all_statuses:
            return gettext("every status")
        return ", ".join(mapping.name for mapping in obj.statuses.all())

    @admin.display(description=_("state"))
    def state_display(self, obj: WebhookEndpoint) -> str:
        if not obj.enabled:
            text = gettext("Off since %(time)s") % {"time": when(obj.disabled_at)}
            return badge("failed" if obj.disabled_reason else "paused",
                         f"{text}: {obj.disabled_reason}" if obj.disabled_reason else text)
        if obj.failing_since:
            return badge("pending", gettext("On, failing since %(time)s") % {"time": when(obj.failing_since)})
        return badge("delivered", gettext("On"))

    @admin.display(description=_("channel"))
    def channel_display(self, obj: WebhookEndpoint) -> str:
        return format_html("<code>{}</code> · {} <code>{}</code>", obj.channel, gettext("event type"),
                           STATUS_CHANGED)

    @admin.display(description=_("signing secret"))
    def secret_display(self, obj: WebhookEndpoint) -> str:
        text = gettext("Issued %(time)s and shown once; rotate it to get a new one.") % {
            "time": when(obj.secret_issued_at)}
        if obj.previous_secret_until:
            text += " " + gettext("The previous secret signs too until %(time)s.") % {
                "time": when(obj.previous_secret_until)}
        return text

    @admin.display(description=_("deliveries"))
    def deliveries_link(self, obj: WebhookEndpoint) -> str:
        url = reverse("admin:orders_delivery_changelist") + "?" + urlencode({"channel__exact": obj.channel})
        failed = Delivery.objects.filter(channel=obj.channel, state=Delivery.State.FAILED).count()
        text = ngettext("all deliveries (%(n)d failed)", "all deliveries (%(n)d failed)", failed) % {"n": failed}
        return format_html('<a href="{}">{}</a>', url, text)

    def save_model(self, request: HttpRequest, obj: WebhookEndpoint, form: forms.ModelForm, change: bool) -> None:
        endpoint_save(endpoint=obj)

    def response_add(self, request: HttpRequest, obj: WebhookEndpoint, post_url_continue: str | None = None
                     ) -> HttpResponse:
        return self._secret_page(request, obj, obj.secret, created=True)

    def get_urls(self) -> list:
        view = self.admin_site.admin_view
        extra = [
            path("<int:endpoint_id>/rotate-secret/", view(self.rotate_view),
                 name="webhooks_webhookendpoint_rotate"),
            path("<int:endpoint_id>/send-test/", view(self.test_view), name="webhooks_webhookendpoint_test"),
        ]
        return extra + super().get_urls()

    def _endpoint_to_change(self, request: HttpRequest, endpoint_id: int) -> WebhookEndpoint:
        endpoint = get_object_or_404(WebhookEndpoint, pk=endpoint_id)
        if not self.has_change_permission(request, endpoint):
            raise PermissionDenied
        return endpoint

    def _secret_page(self, request: HttpRequest, endpoint: WebhookEndpoint, secret: str, *, created: bool
                     ) -> HttpResponse:
        context = {**self.admin_site.each_context(request), "opts": self.model._meta, "original": endpoint,
                   "title": gettext("The signing secret of %(name)s") % {"name": endpoint.name},
                   "secret": secret, "created": created, "event_type": STATUS_CHANGED}
        response = TemplateResponse(request, SECRET_TEMPLATE, context)
        add_never_cache_headers(response)  # no browser or proxy keeps the secret
        return response

    def rotate_view(self, request: HttpRequest, endpoint_id: int) -> HttpResponse:
        """*Rotate the secret* (POST): a new secret, shown once; the old one keeps signing for a while."""
        return require_POST(self._rotate)(request, endpoint_id)

    def _rotate(self, request: HttpRequest, endpoint_id: int) -> HttpResponse:
        endpoint = self._endpoint_to_change(request, endpoint_id)
        secret = endpoint_secret_rotate(endpoint_id=endpoint.pk)
        self.log_change(request, endpoint, gettext("Rotated the signing secret."))
        endpoint.refresh_from_db()
        return self._secret_page(request, endpoint, secret, created=False)

    def test_view(self, request: HttpRequest, endpoint_id: int) -> HttpResponse:
        """*Send a test event* (POST): the endpoint's answer is shown on its page."""
        return require_POST(self._test)(request, endpoint_id)

    def _test(self, request: HttpRequest, endpoint_id: int) -> HttpResponse:
        endpoint = self._endpoint_to_change(request, endpoint_id)
        outcome = endpoint_test_send(endpoint_id=endpoint.pk)
        self.message_user(request, test_words(outcome),
                          messages.SUCCESS if outcome.delivered else messages.ERROR)
        return HttpResponseRedirect(reverse("admin:webhooks_webhookendpoint_change", args=[endpoint.pk]))


def test_words(outcome: TestOutcome) -> str:
    """A test event's answer for a manager: "Delivered (msg_hub_test_…): HTTP 204 in 12 ms."."""
    exchange = outcome.exchange
    answer = ""
    if exchange is not None and exchange.response_status is not None:
        answer = gettext("HTTP %(status)d in %(ms)d ms") % {"status": exchange.response_status,
                                                            "ms": exchange.duration_ms}
        body = " ".join(exchange.response_body.split())[:ANSWER_SHOWN]
        if body:
            answer += f": {body}"
    if outcome.delivered:
        return gettext("Test event %(id)s delivered. The endpoint answered %(answer)s.") % {
            "id": outcome.msg_id, "answer": answer}
    text = gettext("Test event %(id)s not delivered: %(error)s.") % {"id": outcome.msg_id, "error": outcome.error}
    return f"{text} {gettext('The endpoint answered %(answer)s.') % {'answer': answer}}" if answer else text
