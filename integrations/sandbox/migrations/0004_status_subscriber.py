"""The sandbox subscriber (a system subscribed to status changes), with its failure switch."""

from django.db import migrations, models


def create_switch(apps, schema_editor):
    apps.get_model("sandbox", "SandboxSwitch").objects.get_or_create(partner="subscriber")


class Migration(migrations.Migration):

    dependencies = [
        ('sandbox', '0003_shop_order_payload_hash'),
    ]

    operations = [
        migrations.AlterField(
            model_name='sandboxrequest',
            name='partner',
            field=models.CharField(choices=[('choco', 'Choco'), ('imshop', 'Imshop'), ('horoshop', 'Horoshop'), ('subscriber', 'Status subscriber')], max_length=16, verbose_name='partner'),
        ),
        migrations.AlterField(
            model_name='sandboxswitch',
            name='partner',
            field=models.CharField(choices=[('choco', 'Choco'), ('imshop', 'Imshop'), ('horoshop', 'Horoshop'), ('subscriber', 'Status subscriber')], max_length=16, primary_key=True, serialize=False, verbose_name='partner'),
        ),
        migrations.AlterField(
            model_name='sandboxtoken',
            name='partner',
            field=models.CharField(choices=[('choco', 'Choco'), ('imshop', 'Imshop'), ('horoshop', 'Horoshop'), ('subscriber', 'Status subscriber')], max_length=16, verbose_name='partner'),
        ),
        migrations.RunPython(create_switch, migrations.RunPython.noop),
    ]
