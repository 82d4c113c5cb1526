"""Status subscriptions: the endpoints managers subscribe to status changes."""

from django.db import migrations, models


class Migration(migrations.Migration):

    initial = True

    dependencies = [
        ('orders', '0007_deliveries_move_in'),
    ]

    operations = [
        migrations.CreateModel(
            name='WebhookEndpoint',
            fields=[
                ('id', models.BigAutoField(auto_created=True, primary_key=True, serialize=False, verbose_name='ID')),
                ('name', models.CharField(max_length=100, verbose_name='name')),
                ('url', models.CharField(help_text='HTTPS address that takes the events (POST).', max_length=1000, verbose_name='URL')),
                ('all_statuses', models.BooleanField(default=True, verbose_name='every status')),
                ('enabled', models.BooleanField(default=True, verbose_name='on')),
                ('secret', models.CharField(editable=False, max_length=100)),
                ('previous_secret', models.CharField(blank=True, editable=False, max_length=100)),
                ('previous_secret_until', models.DateTimeField(blank=True, editable=False, null=True)),
                ('secret_issued_at', models.DateTimeField(blank=True, editable=False, null=True, verbose_name='secret issued')),
                ('last_success_at', models.DateTimeField(blank=True, editable=False, null=True, verbose_name='last delivered')),
                ('failing_since', models.DateTimeField(blank=True, editable=False, null=True, verbose_name='failing since')),
                ('disabled_at', models.DateTimeField(blank=True, editable=False, null=True, verbose_name='switched off')),
                ('disabled_reason', models.TextField(blank=True, editable=False, verbose_name='why switched off')),
                ('disabled_alerted', models.BooleanField(default=False, editable=False)),
                ('created_at', models.DateTimeField(auto_now_add=True, verbose_name='created')),
                ('updated_at', models.DateTimeField(auto_now=True, verbose_name='updated')),
                ('statuses', models.ManyToManyField(blank=True, help_text='Only these, when “every status” is off.', related_name='+', to='orders.statusmapping', verbose_name='statuses')),
            ],
            options={
                'verbose_name': 'status subscription',
                'verbose_name_plural': 'status subscriptions',
                'ordering': ['name', 'id'],
            },
        ),
    ]
