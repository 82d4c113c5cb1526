"""Template tags for the admin: state badges."""

from django import template
from django.utils.html import format_html

register = template.Library()

BADGE_COLOURS = {
    "pending": "#b26b00", "sending": "#1f6fb2", "delivered": "#237a3b", "failed": "#b3261e",
    "superseded": "#6b6b6b", "paused": "#6b6b6b",
}


@register.simple_tag
def state_badge(state: str, label: str = "") -> str:
    return badge(state, label or state)


def badge(state: str, label: str, colour: str | None = None) -> str:
    colour = colour or BADGE_COLOURS.get(state, "#555")
    return format_html(
        '<span style="background:{};color:#fff;border-radius:9px;padding:1px 8px;font-size:11px;'
        'white-space:nowrap">{}</span>', colour, label)
