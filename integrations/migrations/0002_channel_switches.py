from django.db import migrations

CHANNELS = ("choco", "imshop", "shop")


def create_switches(apps, schema_editor):
    switch = apps.get_model("integrations", "ChannelSwitch")
    for channel in CHANNELS:
        switch.objects.get_or_create(channel=channel)


class Migration(migrations.Migration):
    dependencies = [("integrations", "0001_initial")]

    operations = [migrations.RunPython(create_switches, migrations.RunPython.noop)]
