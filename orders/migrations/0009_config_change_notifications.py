"""PostgreSQL tells each process when a status mapping changes, however it changed.

A trigger runs `pg_notify('hub_config', <table>)` for any row inserted, changed or deleted (and
any TRUNCATE) of the mappings, so the rows each process keeps (orders/services/config_cache.py) are
forgotten on an edit made in the admin, by a data migration, or by hand in psql
(orders/migrations/_config_triggers.py says how). The function is shared with the subscriptions'
tables (integrations/webhooks/migrations). Nothing on SQLite, where nothing is kept.
"""

from functools import partial

from django.db import migrations

from orders.migrations._config_triggers import ANY_COLUMN, triggers_create, triggers_drop

TABLES = {"orders_statusmapping": ANY_COLUMN}


class Migration(migrations.Migration):

    dependencies = [
        ('orders', '0008_fewer_indexes'),
    ]

    operations = [
        migrations.RunPython(partial(triggers_create, tables=TABLES, function=True),
                             partial(triggers_drop, tables=TABLES, function=True), elidable=False),
    ]
