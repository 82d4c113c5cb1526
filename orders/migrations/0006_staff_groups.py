"""Two groups ready to assign to staff: Managers act, Viewers only read (no partner bodies, no secrets).

The admin's rules: changing an order's status needs `change_order`; "Send again" needs
`add_delivery` (it makes a new delivery); pausing and resuming a channel needs
`change_channelswitch`; the full exchange with a partner (request and response bodies) is shown
to holders of `view_deliveryattempt`, and inbound requests to holders of `view_inboundevent`.
"""

from django.db import migrations

GROUPS = {
    "Managers": {
        "orders": ["view_order", "change_order", "view_orderitem", "view_statuschange", "view_statusmapping",
                   "add_statusmapping", "change_statusmapping"],
        "integrations": ["view_delivery", "add_delivery", "view_deliveryattempt", "view_channelswitch",
                         "change_channelswitch", "view_inboundevent", "view_pollrun", "view_webhooksubscription"],
    },
    "Viewers": {
        "orders": ["view_order", "view_orderitem", "view_statuschange", "view_statusmapping"],
        "integrations": ["view_delivery", "view_channelswitch", "view_pollrun"],
    },
}


def groups_create(apps, schema_editor):
    # Permissions are made after the last migration (post_migrate): make them now for a fresh database.
    from django.contrib.auth.management import create_permissions

    for app_config in apps.get_app_configs():
        app_config.models_module = True
        create_permissions(app_config, apps=apps, verbosity=0)
        app_config.models_module = None
    Group = apps.get_model("auth", "Group")
    Permission = apps.get_model("auth", "Permission")
    for name, by_app in GROUPS.items():
        group, _ = Group.objects.get_or_create(name=name)
        for app_label, codenames in by_app.items():
            perms = list(Permission.objects.filter(content_type__app_label=app_label, codename__in=codenames))
            missing = set(codenames) - {p.codename for p in perms}
            if missing:
                raise RuntimeError(f"Permissions not found for group {name}: {sorted(missing)}")
            group.permissions.add(*perms)


def groups_remove(apps, schema_editor):
    apps.get_model("auth", "Group").objects.filter(name__in=list(GROUPS)).delete()


class Migration(migrations.Migration):
    dependencies = [
        ("orders", "0005_order_search_columns"),
        ("integrations", "0006_delivery_claim_index"),
        ("auth", "0012_alter_user_first_name_max_length"),
        ("contenttypes", "0002_remove_content_type_name"),
    ]

    operations = [migrations.RunPython(groups_create, groups_remove)]
