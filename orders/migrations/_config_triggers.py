"""The triggers that tell of any change to a table whose rows processes keep (orders/services/config_cache.py).

Used by orders/migrations/0009 (the status mappings) and integrations/webhooks/migrations/0003
(the subscriptions). A row that changes runs `hub_config_changed()`, which notifies `hub_config`
(delivered at commit: each process forgets what it kept) and marks the transaction as one that
wrote configuration (`hub.config_written`, a setting local to the transaction, undone by a rollback
to a savepoint): what such a transaction reads is not kept. Row triggers, not statement ones: an
UPDATE that changes nothing says nothing. PostgreSQL only: on SQLite nothing is kept.
"""

FUNCTION = """
CREATE OR REPLACE FUNCTION hub_config_changed() RETURNS trigger LANGUAGE plpgsql AS $$
BEGIN
    PERFORM set_config('hub.config_written', 'on', true);
    PERFORM pg_notify('hub_config', TG_TABLE_NAME);
    RETURN NULL;
END $$;
"""
TRIGGERS = """
CREATE TRIGGER hub_config_written AFTER INSERT OR DELETE ON "{table}"
FOR EACH ROW EXECUTE FUNCTION hub_config_changed();
CREATE TRIGGER hub_config_updated AFTER UPDATE {columns} ON "{table}"
FOR EACH ROW WHEN ({changed}) EXECUTE FUNCTION hub_config_changed();
CREATE TRIGGER hub_config_truncated AFTER TRUNCATE ON "{table}"
FOR EACH STATEMENT EXECUTE FUNCTION hub_config_changed();
"""
NAMES = ("hub_config_written", "hub_config_updated", "hub_config_truncated")
# Any column of the row: what it changes, the kept rows would show.
ANY_COLUMN = ((), "OLD.* IS DISTINCT FROM NEW.*")


def triggers_create(apps, schema_editor, tables, function=False):
    """`tables`: {table: (columns whose UPDATE matters, or () for any; the WHEN condition of an UPDATE)}."""
    if schema_editor.connection.vendor != "postgresql":
        return
    if function:
        schema_editor.execute(FUNCTION)
    for table, (columns, changed) in tables.items():
        of = f"OF {', '.join(columns)}" if columns else ""
        schema_editor.execute(TRIGGERS.format(table=table, columns=of, changed=changed))


def triggers_drop(apps, schema_editor, tables, function=False):
    if schema_editor.connection.vendor != "postgresql":
        return
    for table in tables:
        for name in NAMES:
            schema_editor.execute(f'DROP TRIGGER IF EXISTS {name} ON "{table}"')
    if function:
        schema_editor.execute("DROP FUNCTION IF EXISTS hub_config_changed()")
