from django.apps import AppConfig
from django.utils.translation import gettext_lazy as _


class WebhooksConfig(AppConfig):
    """The status subscriptions: a partner in one folder, with its own tables, admin and templates."""

    name = "integrations.webhooks"
    label = "webhooks"
    verbose_name = _("Status subscriptions")
