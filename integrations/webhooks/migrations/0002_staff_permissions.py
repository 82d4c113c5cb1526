"""Managers add, change and test status subscriptions; Viewers see them (never their secrets, which no page shows)."""

from django.db import migrations

GROUPS = {
    "Managers": ["view_webhookendpoint", "add_webhookendpoint", "change_webhookendpoint"],
    "Viewers": ["view_webhookendpoint"],
}


def permissions_grant(apps, schema_editor):
    # Permissions are made after the last migration (post_migrate): make them now for a fresh database.
    from django.contrib.auth.management import create_permissions

    app_config = apps.get_app_config("webhooks")
    app_config.models_module = True
    create_permissions(app_config, apps=apps, verbosity=0)
    app_config.models_module = None
    Group = apps.get_model("auth", "Group")
    Permission = apps.get_model("auth", "Permission")
    for name, codenames in GROUPS.items():
        group = Group.objects.filter(name=name).first()
        if group is not None:  # removed by the operator: leave it so
            group.permissions.add(*Permission.objects.filter(content_type__app_label="webhooks",
                                                             codename__in=codenames))


def permissions_revoke(apps, schema_editor):
    Permission = apps.get_model("auth", "Permission")
    for group in apps.get_model("auth", "Group").objects.filter(name__in=list(GROUPS)):
        group.permissions.remove(*Permission.objects.filter(content_type__app_label="webhooks",
                                                            codename__in=GROUPS[group.name]))


class Migration(migrations.Migration):
    dependencies = [
        ("webhooks", "0001_initial"),
        ("orders", "0006_staff_groups"),
    ]

    operations = [migrations.RunPython(permissions_grant, permissions_revoke)]
