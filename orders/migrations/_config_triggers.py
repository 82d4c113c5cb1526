"""The trigger that notifies `hub_config` on any change of a table whose rows processes keep.

Used by orders/migrations/0009 (the status mappings) and integrations/webhooks/migrations/0003
(the subscriptions). PostgreSQL only: on SQLite nothing is kept, so nothing needs telling.
"""

FUNCTION = """
CREATE OR REPLACE FUNCTION hub_config_changed() RETURNS trigger LANGUAGE plpgsql AS $$
BEGIN
    PERFORM pg_notify('hub_config', TG_TABLE_NAME);
    RETURN NULL;
END $$;
"""
TRIGGER = """
CREATE TRIGGER hub_config_changed AFTER INSERT OR UPDATE OR DELETE OR TRUNCATE ON "{table}"
FOR EACH STATEMENT EXECUTE FUNCTION hub_config_changed();
"""


def triggers_create(apps, schema_editor, tables=("orders_statusmapping",), function=True):
    if schema_editor.connection.vendor != "postgresql":
        return
    if function:
        schema_editor.execute(FUNCTION)
    for table in tables:
        schema_editor.execute(TRIGGER.format(table=table))


def triggers_drop(apps, schema_editor, tables=("orders_statusmapping",), function=True):
    if schema_editor.connection.vendor != "postgresql":
        return
    for table in tables:
        schema_editor.execute(f'DROP TRIGGER IF EXISTS hub_config_changed ON "{table}"')
    if function:
        schema_editor.execute("DROP FUNCTION IF EXISTS hub_config_changed()")
