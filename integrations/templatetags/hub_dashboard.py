"""The dashboard on the admin's index page (templates/admin/index.html)."""

from django import template

from integrations.selectors import Dashboard, dashboard_get

register = template.Library()


@register.simple_tag
def hub_dashboard() -> Dashboard:
    return dashboard_get()
