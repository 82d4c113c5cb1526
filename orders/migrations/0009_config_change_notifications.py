"""PostgreSQL tells each process when a status mapping changes, however it changed.

A statement trigger runs `pg_notify('hub_config', <table>)` after any INSERT, UPDATE, DELETE or
TRUNCATE of the mappings, so the rows each process keeps (orders/services/config_cache.py) are
forgotten on an edit made in the admin, by a data migration, or by hand in psql. The function is
shared with the subscriptions' tables (integrations/webhooks/migrations). Nothing on SQLite, where
nothing is kept.
"""

from django.db import migrations

from orders.migrations._config_triggers import triggers_create, triggers_drop


class Migration(migrations.Migration):

    dependencies = [
        ('orders', '0008_fewer_indexes'),
    ]

    operations = [
        migrations.RunPython(triggers_create, triggers_drop, elidable=False),
    ]
