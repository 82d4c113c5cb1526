"""Deliveries, their attempts and the channel switches join the orders: one app owns a status and its deliveries.

Only Django's idea of which app holds them moves: the tables keep their names and rows
(`integrations_delivery`, `integrations_deliveryattempt`, `integrations_channelswitch`), and
their content types (with the permissions and admin history tied to them) are relabelled.
Then the channel columns lose their fixed choices and grow, so a partner can be added without
a migration (`webhook:7`).
"""

import django.db.models.deletion
from django.db import migrations, models

MOVED = ["delivery", "deliveryattempt", "channelswitch"]


def content_types_move(apps, schema_editor, *, old, new):
    ContentType = apps.get_model("contenttypes", "ContentType")
    for model in MOVED:
        if not ContentType.objects.filter(app_label=new, model=model).exists():
            ContentType.objects.filter(app_label=old, model=model).update(app_label=new)


def forwards(apps, schema_editor):
    content_types_move(apps, schema_editor, old="integrations", new="orders")


def backwards(apps, schema_editor):
    content_types_move(apps, schema_editor, old="orders", new="integrations")


class Migration(migrations.Migration):
    dependencies = [
        ("orders", "0006_staff_groups"),
        ("integrations", "0007_poll_skips_payments_and_channel_limits"),
        ("contenttypes", "0002_remove_content_type_name"),
    ]

    operations = [
        migrations.SeparateDatabaseAndState(
            database_operations=[],
            state_operations=[
                migrations.CreateModel(
                    name='ChannelSwitch',
                    fields=[
                        ('channel', models.CharField(choices=[('choco', 'Choco'), ('imshop', 'Imshop'), ('shop', 'Shop (Horoshop)')], max_length=16, primary_key=True, serialize=False, verbose_name='channel')),
                        ('paused', models.BooleanField(default=False, verbose_name='paused')),
                        ('rate_next_at', models.DateTimeField(blank=True, editable=False, null=True)),
                        ('changed_at', models.DateTimeField(auto_now=True, verbose_name='changed')),
                        ('changed_by', models.CharField(blank=True, max_length=150, verbose_name='changed by')),
                    ],
                    options={
                        'verbose_name': 'channel',
                        'verbose_name_plural': 'channels',
                        'db_table': 'integrations_channelswitch',
                        'ordering': ['channel'],
                    },
                ),
                migrations.CreateModel(
                    name='Delivery',
                    fields=[
                        ('id', models.BigAutoField(auto_created=True, primary_key=True, serialize=False, verbose_name='ID')),
                        ('created_at', models.DateTimeField(auto_now_add=True, db_index=True, verbose_name='created')),
                        ('updated_at', models.DateTimeField(auto_now=True, verbose_name='updated')),
                        ('channel', models.CharField(choices=[('choco', 'Choco'), ('imshop', 'Imshop'), ('shop', 'Shop (Horoshop)')], max_length=16, verbose_name='channel')),
                        ('payload', models.JSONField(default=dict, verbose_name='payload')),
                        ('state', models.CharField(choices=[('pending', 'pending'), ('sending', 'sending'), ('delivered', 'delivered'), ('failed', 'failed'), ('superseded', 'superseded')], default='pending', max_length=16, verbose_name='state')),
                        ('attempts', models.PositiveIntegerField(default=0, verbose_name='attempts')),
                        ('next_attempt_at', models.DateTimeField(blank=True, null=True, verbose_name='next attempt')),
                        ('enqueued_at', models.DateTimeField(blank=True, null=True, verbose_name='queued')),
                        ('lease_until', models.DateTimeField(blank=True, null=True)),
                        ('delivered_at', models.DateTimeField(blank=True, null=True, verbose_name='delivered')),
                        ('last_error', models.TextField(blank=True, verbose_name='last error')),
                        ('for_payment', models.BooleanField(default=False, verbose_name='tells a payment')),
                        ('request_id', models.CharField(blank=True, max_length=64, verbose_name='request id')),
                        ('alerted', models.CharField(blank=True, default='', max_length=8)),
                        ('order', models.ForeignKey(on_delete=django.db.models.deletion.CASCADE, related_name='deliveries', to='orders.order', verbose_name='order')),
                        ('resend_of', models.ForeignKey(blank=True, null=True, on_delete=django.db.models.deletion.SET_NULL, related_name='resends', to='orders.delivery', verbose_name='resend of')),
                        ('status_change', models.ForeignKey(on_delete=django.db.models.deletion.CASCADE, related_name='deliveries', to='orders.statuschange', verbose_name='status change')),
                    ],
                    options={
                        'verbose_name': 'delivery',
                        'verbose_name_plural': 'deliveries',
                        'db_table': 'integrations_delivery',
                        'ordering': ['-created_at', '-id'],
                    },
                ),
                migrations.CreateModel(
                    name='DeliveryAttempt',
                    fields=[
                        ('id', models.BigAutoField(auto_created=True, primary_key=True, serialize=False, verbose_name='ID')),
                        ('number', models.PositiveIntegerField(verbose_name='number')),
                        ('task_id', models.CharField(blank=True, max_length=64)),
                        ('started_at', models.DateTimeField(db_index=True, verbose_name='started')),
                        ('duration_ms', models.PositiveIntegerField(default=0, verbose_name='duration, ms')),
                        ('outcome', models.CharField(choices=[('sending', 'sending'), ('delivered', 'delivered'), ('retry', 'will retry'), ('rejected', 'rejected'), ('interrupted', 'worker stopped mid-send')], max_length=16, verbose_name='outcome')),
                        ('request_method', models.CharField(blank=True, max_length=10)),
                        ('request_url', models.CharField(blank=True, max_length=1000, verbose_name='request URL')),
                        ('request_headers', models.JSONField(default=dict, verbose_name='request headers')),
                        ('request_body', models.TextField(blank=True, verbose_name='request body')),
                        ('response_status', models.PositiveSmallIntegerField(blank=True, null=True, verbose_name='HTTP status')),
                        ('response_body', models.TextField(blank=True, verbose_name='response body')),
                        ('error_class', models.CharField(blank=True, max_length=100, verbose_name='error type')),
                        ('error', models.TextField(blank=True, verbose_name='error')),
                        ('delivery', models.ForeignKey(on_delete=django.db.models.deletion.CASCADE, related_name='attempt_log', to='orders.delivery')),
                    ],
                    options={
                        'verbose_name': 'attempt',
                        'verbose_name_plural': 'attempts',
                        'db_table': 'integrations_deliveryattempt',
                        'ordering': ['delivery', 'number'],
                    },
                ),
                migrations.AddIndex(
                    model_name='delivery',
                    index=models.Index(fields=['state', 'next_attempt_at'], name='delivery_due'),
                ),
                migrations.AddIndex(
                    model_name='delivery',
                    index=models.Index(fields=['order', 'channel', '-created_at'], name='delivery_order_channel'),
                ),
                migrations.AddIndex(
                    model_name='delivery',
                    index=models.Index(fields=['order', 'channel', 'state'], name='delivery_order_channel_state'),
                ),
                migrations.AddIndex(
                    model_name='delivery',
                    index=models.Index(fields=['channel', 'state', '-created_at'], name='delivery_channel_state'),
                ),
                migrations.AddConstraint(
                    model_name='delivery',
                    constraint=models.UniqueConstraint(condition=models.Q(('for_payment', False), ('resend_of__isnull', True)), fields=('status_change', 'channel'), name='one_delivery_per_change'),
                ),
            ],
        ),
        migrations.RunPython(forwards, backwards),
        migrations.AlterField(
            model_name="channelswitch",
            name="channel",
            field=models.CharField(max_length=32, primary_key=True, serialize=False, verbose_name="channel"),
        ),
        migrations.AlterField(
            model_name="delivery",
            name="channel",
            field=models.CharField(max_length=32, verbose_name="channel"),
        ),
    ]
