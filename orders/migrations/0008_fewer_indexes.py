"""Indexes no lookup uses, dropped: each cost every new order's INSERT.

The search columns are searched for a piece anywhere in them (LIKE '%…%'), which no B-tree
serves; e-mail and phone are never looked up; Imshop's uuid only by equality (its pattern index
goes). The two foreign keys are served by composite indexes that start with them; their own
indexes are dropped without touching the constraints (Django would drop and re-add each, checking
every row of a large table under lock).
"""

import django.db.models.deletion
from django.db import migrations, models


class Migration(migrations.Migration):

    dependencies = [
        ('orders', '0007_deliveries_move_in'),
    ]

    operations = [
        migrations.SeparateDatabaseAndState(
            state_operations=[migrations.AlterField(
                model_name='delivery',
                name='order',
                field=models.ForeignKey(db_index=False, on_delete=django.db.models.deletion.CASCADE, related_name='deliveries', to='orders.order', verbose_name='order'),
            )],
            database_operations=[migrations.RunSQL(
                'DROP INDEX IF EXISTS "integrations_delivery_order_id_b4d6bdd6"',
                reverse_sql='CREATE INDEX "integrations_delivery_order_id_b4d6bdd6" ON "integrations_delivery" ("order_id")',
            )],
        ),
        migrations.AlterField(
            model_name='order',
            name='delivery_email',
            field=models.CharField(blank=True, max_length=255, verbose_name='email'),
        ),
        migrations.AlterField(
            model_name='order',
            name='delivery_phone',
            field=models.CharField(blank=True, max_length=64, verbose_name='phone'),
        ),
        migrations.AlterField(
            model_name='order',
            name='imshop_uuid',
            field=models.CharField(blank=True, max_length=64, verbose_name='Imshop uuid'),
        ),
        migrations.AlterField(
            model_name='order',
            name='search_phone',
            field=models.CharField(blank=True, default='', editable=False, max_length=64),
        ),
        migrations.AlterField(
            model_name='order',
            name='search_text',
            field=models.CharField(blank=True, default='', editable=False, max_length=520),
        ),
        migrations.SeparateDatabaseAndState(
            state_operations=[migrations.AlterField(
                model_name='order',
                name='status',
                field=models.ForeignKey(db_index=False, null=True, on_delete=django.db.models.deletion.PROTECT, related_name='orders', to='orders.statusmapping', verbose_name='status'),
            )],
            database_operations=[migrations.RunSQL(
                'DROP INDEX IF EXISTS "orders_order_status_id_d80abc38"',
                reverse_sql='CREATE INDEX "orders_order_status_id_d80abc38" ON "orders_order" ("status_id")',
            )],
        ),
        migrations.AddIndex(
            model_name='order',
            index=models.Index(fields=['imshop_uuid'], name='order_imshop_uuid'),
        ),
    ]
