"""How the admin words an order's partners and history for a manager (presentation only, no writes)."""

from __future__ import annotations

from datetime import datetime

from django.urls import reverse
from django.utils import timezone
from django.utils.formats import date_format
from django.utils.html import format_html, format_html_join
from django.utils.translation import gettext as _
from django.utils.translation import gettext_noop, ngettext

from orders.models import Delivery, StatusMapping
from orders.selectors import PartnerState
from orders.templatetags.hub_admin import badge

RESENDABLE = frozenset({Delivery.State.FAILED, Delivery.State.DELIVERED})
ERROR_SHOWN = 160


def when(moment: datetime | None) -> str:
    """A time as a manager reads it: 10:42 today, 3 Dec 10:42 otherwise."""
    if moment is None:
        return "—"
    local = timezone.localtime(moment)
    today = timezone.localdate()
    return date_format(local, "H:i" if local.date() == today else "j M H:i")


def delivery_words(delivery: Delivery, *, paused_since: datetime | None = None) -> str:
    """One partner's newest delivery in words: "waiting: Choco paused since 10:42"."""
    label = delivery.channel_label
    state = delivery.state
    if state == Delivery.State.DELIVERED:
        return _("delivered at %(time)s") % {"time": when(delivery.delivered_at)}
    if state == Delivery.State.FAILED:
        text = ngettext("failed after %(n)d attempt", "failed after %(n)d attempts", delivery.attempts) % {
            "n": delivery.attempts}
        return f"{text}: {delivery.last_error[:ERROR_SHOWN]}" if delivery.last_error else text
    if state == Delivery.State.SUPERSEDED:
        return _("replaced by a newer status")
    if state == Delivery.State.SENDING:
        return _("being sent now")
    if paused_since is not None:
        return _("waiting: %(partner)s paused since %(time)s") % {"partner": label, "time": when(paused_since)}
    if delivery.attempts and delivery.next_attempt_at and delivery.next_attempt_at > timezone.now():
        text = _("will try again at %(time)s") % {"time": when(delivery.next_attempt_at)}
        return f"{text} ({delivery.last_error[:ERROR_SHOWN]})" if delivery.last_error else text
    return _("queued, being sent")


def partner_states_html(states: list[PartnerState], *, resend_url: str, status: StatusMapping | None = None) -> str:
    """Each partner's state in words, with a Send again button where sending again makes sense.

    With nothing sent because the order's status is not set up, says so and links to its mapping.
    """
    if not states and status is not None and status.needs_setup:
        return format_html(
            '{} <a href="{}">{}</a>',
            _("Nothing is sent to partners for this order: its shop status %(id)s has no mapping yet. "
              "Set it up, and the order's next status change is sent.") % {"id": status.shop_status_id},
            reverse("admin:orders_statusmapping_change", args=[status.pk]), _("Set up the mapping"))
    if not states:
        return _("Nothing sent to partners yet.")
    rows = []
    for state in states:
        delivery = state.delivery
        shown = Delivery.State.PENDING if state.paused_since and delivery.state == "pending" else delivery.state
        words = delivery_words(delivery, paused_since=state.paused_since)
        link = reverse("admin:orders_delivery_change", args=[delivery.pk])
        button = ""
        if delivery.state in RESENDABLE:
            button = format_html(
                '<button type="submit" class="button hub-resend" formaction="{}" formmethod="post" name="delivery" '
                'value="{}">{}</button>', resend_url, delivery.pk, _("Send again"))
        rows.append((badge(shown, state.label), link, words, button))
    return format_html('<div class="hub-partners">{}</div>', format_html_join(
        "", '<div class="hub-partner">{} <a href="{}">{}</a> {}</div>', rows))


def partners_compact(deliveries: list[Delivery]) -> str:
    """The orders list's column: one badge per partner, newest delivery's state."""
    latest: dict[str, Delivery] = {}
    for delivery in sorted(deliveries, key=lambda d: d.pk, reverse=True):
        latest.setdefault(delivery.channel, delivery)
    if not latest:
        return "—"
    return format_html_join(" ", "{}", ((badge(d.state, f"{d.channel_label}: {d.get_state_display()}"),)
                                        for _, d in sorted(latest.items())))


# Django's own admin phrases that locale/ru rewords: Russian past tenses agree with the noun's gender
# ("был изменен" fits a masculine noun only), so the catalogue words them without one. Listed here so
# that makemessages keeps them.
DJANGO_ADMIN_PHRASES = [
    gettext_noop("The {name} “{obj}” was added successfully."),
    gettext_noop("The {name} “{obj}” was added successfully. You may add another {name} below."),
    gettext_noop("The {name} “{obj}” was changed successfully."),
    gettext_noop("The {name} “{obj}” was changed successfully. You may edit it again below."),
    gettext_noop("The {name} “{obj}” was changed successfully. You may add another {name} below."),
]
