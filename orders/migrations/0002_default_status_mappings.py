from django.db import migrations

from orders.services.mappings import mappings_ensure_defaults


def create_defaults(apps, schema_editor):
    mappings_ensure_defaults(model=apps.get_model("orders", "StatusMapping"))


class Migration(migrations.Migration):
    dependencies = [("orders", "0001_initial")]

    operations = [migrations.RunPython(create_defaults, migrations.RunPython.noop)]
