"""The subscriptions' tables notify `hub_config` on any change, as the status mappings do.

orders/migrations/0009_config_change_notifications.py has the function and the reasons.
"""

from functools import partial

from django.db import migrations

from orders.migrations import _config_triggers

TABLES = ("webhooks_webhookendpoint", "webhooks_webhookendpoint_statuses")


class Migration(migrations.Migration):

    dependencies = [
        ('webhooks', '0002_staff_permissions'),
        ('orders', '0009_config_change_notifications'),
    ]

    operations = [
        migrations.RunPython(partial(_config_triggers.triggers_create, tables=TABLES, function=False),
                             partial(_config_triggers.triggers_drop, tables=TABLES, function=False), elidable=False),
    ]
