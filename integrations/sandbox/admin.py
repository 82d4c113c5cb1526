"""Admin for the sandbox partners: what they received (read-only) and the switches that make them fail."""

from __future__ import annotations

import json
import re
from collections.abc import Iterable
from typing import TYPE_CHECKING, Any

from django.contrib import admin
from django.forms import ModelForm
from django.http import HttpRequest
from django.utils.html import format_html, format_html_join
from django.utils.translation import gettext, gettext_noop
from django.utils.translation import gettext_lazy as _

from integrations.sandbox.bodies import form_parse
from integrations.sandbox.models import SandboxRequest, SandboxShopOrder, SandboxSwitch
from integrations.sandbox.services import sandbox_switch_set
from orders.admin_inlines import ReadOnlyAdmin, pretty_json

if TYPE_CHECKING:
    from django_stubs_ext import StrOrPromise

PRE = "<pre style='white-space:pre-wrap;max-width:60em'>{}</pre>"

# The sandbox's verdicts are stored as "<field>: <problem>" in English; the field is the partner's
# own name and stays, the problem is shown in the admin's language.
VERDICTS = [
    (re.compile(r"^required$"), gettext_noop("required")),
    (re.compile(r"^must be a string$"), gettext_noop("must be a string")),
    (re.compile(r"^must be an integer$"), gettext_noop("must be an integer")),
    (re.compile(r"^must be an http\(s\) URL$"), gettext_noop("must be an http(s) URL")),
    (re.compile(r"^unknown field$"), gettext_noop("unknown field")),
    (re.compile(r"^longer than (?P<n>\d+) characters$"), gettext_noop("longer than %(n)s characters")),
    (re.compile(r"^must be a boolean \(1/0 in a form, true/false in JSON\), not (?P<value>.*)$"),
     gettext_noop("must be a boolean (1/0 in a form, true/false in JSON), not %(value)s")),
    (re.compile(r"^must be a date-time like (?P<example>.*)$"), gettext_noop("must be a date-time like %(example)s")),
    (re.compile(r"^must be an object(?P<rest>.*)$"), gettext_noop("must be an object%(rest)s")),
    (re.compile(r"^unknown status (?P<value>.*)$"), gettext_noop("unknown status %(value)s")),
    (re.compile(r"^no (?P<kind>\w+) link$"), gettext_noop("no %(kind)s link")),
]


def verdict(problem: str) -> str:
    """One sandbox problem with its wording translated (the field name is kept as the partner spells it)."""
    field, sep, text = problem.partition(": ")
    if not sep:
        return problem
    for pattern, wording in VERDICTS:
        if match := pattern.match(text):
            text = gettext(wording) % match.groupdict() if match.groupdict() else gettext(wording)
            return f"{field}: {text}"
    return problem


def pretty_body(text: str) -> str:
    """A body as a manager reads it: indented JSON, a form as `key = value` lines, else as it came."""
    try:
        return pretty_json(json.loads(text))
    except ValueError:
        pass
    if "=" in text and "\n" not in text.strip():
        pairs, problems = form_parse(text)
        if pairs and not problems:
            return format_html(PRE, "\n".join(f"{key} = {value}" for key, value in _flat(pairs)))
    return format_html(PRE, text)


def _flat(value: Any, prefix: str = "") -> list[tuple[str, Any]]:
    items: Iterable[tuple[Any, Any]]
    if isinstance(value, dict):
        items = value.items()
    elif isinstance(value, list):
        items = enumerate(value)
    else:
        return [(prefix, value)]
    return [pair for key, item in items for pair in _flat(item, f"{prefix}[{key}]" if prefix else str(key))]


class SandboxRequestAdmin(ReadOnlyAdmin):
    list_display = ["created_at", "partner", "method", "endpoint", "accepted", "response_status", "first_problem"]
    list_filter = ["partner", "accepted", "endpoint", "response_status", "created_at"]
    search_fields = ["body", "response_body"]
    show_full_result_count = False
    fields = ("created_at", "partner", "method", "endpoint", "accepted", "response_status", "problems_display",
              "headers_display", "body_display", "response_body_display")
    readonly_fields = fields

    @admin.display(description=_("problem"))
    def first_problem(self, obj: SandboxRequest) -> str:
        if not obj.problems:
            return ""
        more = len(obj.problems) - 1
        return f"{verdict(obj.problems[0])} (+{more})" if more else verdict(obj.problems[0])

    @admin.display(description=_("problems"))
    def problems_display(self, obj: SandboxRequest) -> StrOrPromise:
        if not obj.problems:
            return _("none: the partner would accept this request")
        return format_html("<ul>{}</ul>", format_html_join("", "<li>{}</li>", ((verdict(p),) for p in obj.problems)))

    @admin.display(description=_("headers"))
    def headers_display(self, obj: SandboxRequest) -> str:
        return pretty_json(obj.headers)

    @admin.display(description=_("body"))
    def body_display(self, obj: SandboxRequest) -> str:
        return pretty_body(obj.body)

    @admin.display(description=_("answer body"))
    def response_body_display(self, obj: SandboxRequest) -> str:
        return pretty_body(obj.response_body)


class SandboxSwitchAdmin(admin.ModelAdmin):
    """Switches edited straight in the list: "fail the next 3 Choco requests with 503"."""

    list_display = ["partner", "fail_next", "fail_status", "latency_ms", "updated_at"]
    list_editable = ["fail_next", "fail_status", "latency_ms"]
    fields = ["partner", "fail_next", "fail_status", "latency_ms", "updated_at"]
    readonly_fields = ["partner", "updated_at"]

    def has_add_permission(self, request: HttpRequest) -> bool:
        return False

    def has_delete_permission(self, request: HttpRequest, obj: Any = None) -> bool:
        return False

    def save_model(self, request: HttpRequest, obj: SandboxSwitch, form: ModelForm, change: bool) -> None:
        sandbox_switch_set(partner=obj.partner, fail_next=obj.fail_next, fail_status=obj.fail_status,
                           latency_ms=obj.latency_ms, by=request.user.get_username())


class SandboxShopOrderAdmin(ReadOnlyAdmin):
    list_display = ["order_id", "status", "created_at", "updated_at"]
    search_fields = ["=order_id"]
    fields = readonly_fields = ("order_id", "status", "created_at", "updated_at")


# The app is installed only where the sandbox is served: a production admin has no stand-ins to show.
admin.site.register(SandboxRequest, SandboxRequestAdmin)
admin.site.register(SandboxSwitch, SandboxSwitchAdmin)
admin.site.register(SandboxShopOrder, SandboxShopOrderAdmin)
