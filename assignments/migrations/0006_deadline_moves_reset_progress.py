"""A database trigger clears an assignment's reminder and ladder markers whenever its due date or
retake deadline changes: progress belongs to a deadline (assignments.deadlines says why)."""

from django.db import migrations

from assignments.deadlines import DROP, create_statements


def create_trigger(apps, schema_editor):
    for statement in create_statements(schema_editor.connection.vendor):
        schema_editor.execute(statement)


def drop_trigger(apps, schema_editor):
    for statement in DROP.get(schema_editor.connection.vendor, []):
        schema_editor.execute(statement)


class Migration(migrations.Migration):
    dependencies = [
        ("assignments", "0005_constraint_messages"),
    ]

    operations = [migrations.RunPython(create_trigger, drop_trigger)]
