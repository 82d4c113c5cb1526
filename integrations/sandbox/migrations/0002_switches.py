from django.db import migrations

PARTNERS = ("choco", "imshop", "horoshop")


def create_switches(apps, schema_editor):
    # One row per partner, so a manager finds all three switches in the admin from the start.
    switch = apps.get_model("sandbox", "SandboxSwitch")
    for partner in PARTNERS:
        switch.objects.get_or_create(partner=partner)


class Migration(migrations.Migration):
    dependencies = [("sandbox", "0001_initial")]

    operations = [migrations.RunPython(create_switches, migrations.RunPython.noop)]
