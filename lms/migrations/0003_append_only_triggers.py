"""On PostgreSQL, the audit trail and completions refuse UPDATE and DELETE at the database, so not
even a bug in the application can rewrite history. (TRUNCATE, used by test flushes, is not
affected.) Other databases rely on the application's guards."""

from django.db import migrations

TABLES = ["lms_auditentry", "assignments_completion"]

FUNCTION = """
CREATE OR REPLACE FUNCTION lms_refuse_history_rewrite() RETURNS trigger AS $$
BEGIN
    RAISE EXCEPTION USING
        MESSAGE = TG_TABLE_NAME || ' is append-only: ' || TG_OP || ' refused',
        ERRCODE = 'insufficient_privilege';
END;
$$ LANGUAGE plpgsql;
"""


def create_triggers(apps, schema_editor):
    if schema_editor.connection.vendor != "postgresql":
        return
    schema_editor.execute(FUNCTION)
    for table in TABLES:
        schema_editor.execute(f"DROP TRIGGER IF EXISTS {table}_append_only ON {table};")
        schema_editor.execute(
            f"CREATE TRIGGER {table}_append_only BEFORE UPDATE OR DELETE ON {table} "
            "FOR EACH ROW EXECUTE FUNCTION lms_refuse_history_rewrite();"
        )


def drop_triggers(apps, schema_editor):
    if schema_editor.connection.vendor != "postgresql":
        return
    for table in TABLES:
        schema_editor.execute(f"DROP TRIGGER IF EXISTS {table}_append_only ON {table};")
    schema_editor.execute("DROP FUNCTION IF EXISTS lms_refuse_history_rewrite();")


class Migration(migrations.Migration):
    dependencies = [
        ("lms", "0002_auditentry"),
        ("assignments", "0003_importjob"),
    ]

    operations = [migrations.RunPython(create_triggers, drop_triggers)]
