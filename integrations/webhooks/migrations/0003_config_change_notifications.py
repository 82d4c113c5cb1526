"""The subscriptions' tables notify `hub_config` on any change, as the status mappings do.

orders/migrations/0009_config_change_notifications.py has the function and the reasons.
"""

from functools import partial

from django.db import migrations

from orders.migrations import _config_triggers

# An endpoint's health columns (failing_since, last_success_at, ...) change at every attempt and
# decide nothing that is kept: only switching it on or off, or its choice of statuses, tells.
TABLES = {
    "webhooks_webhookendpoint": (("enabled", "all_statuses"), "OLD.enabled IS DISTINCT FROM NEW.enabled "
                                                              "OR OLD.all_statuses IS DISTINCT FROM NEW.all_statuses"),
    "webhooks_webhookendpoint_statuses": _config_triggers.ANY_COLUMN,
}


class Migration(migrations.Migration):

    dependencies = [
        ('webhooks', '0002_staff_permissions'),
        ('orders', '0009_config_change_notifications'),
    ]

    operations = [
        migrations.RunPython(partial(_config_triggers.triggers_create, tables=TABLES),
                             partial(_config_triggers.triggers_drop, tables=TABLES), elidable=False),
    ]
