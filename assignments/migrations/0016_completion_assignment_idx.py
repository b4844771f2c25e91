"""The completion's foreign key to its assignment is indexed by completion_assignment_idx, which also
carries what the compliance state reads (issue 19: the reports' join of every assignment to its
completion becomes an index-only scan). It replaces the foreign key's own index, so a completion
still costs the same number of index entries.

Written by hand: Django's AlterField(db_index=False) would drop every index on the column, the
partial unique index of completion_one_per_assignment with it, and re-validate the foreign key."""

import django.db.models.deletion
from django.db import migrations, models

FK_INDEX = "assignments_completion_assignment_id_1cc8524e"


class Migration(migrations.Migration):
    dependencies = [
        ("assignments", "0015_assignment_reminder_idx"),
    ]

    operations = [
        migrations.AddIndex(
            model_name="completion",
            index=models.Index(
                fields=["assignment"], include=("id", "expires_on", "completed_at"), name="completion_assignment_idx"
            ),
        ),
        migrations.SeparateDatabaseAndState(
            state_operations=[
                migrations.AlterField(
                    model_name="completion",
                    name="assignment",
                    field=models.ForeignKey(
                        blank=True,
                        db_index=False,
                        null=True,
                        on_delete=django.db.models.deletion.PROTECT,
                        related_name="completions",
                        to="assignments.assignment",
                    ),
                ),
            ],
            database_operations=[
                migrations.RunSQL(
                    f'DROP INDEX IF EXISTS "{FK_INDEX}"',
                    reverse_sql=f'CREATE INDEX "{FK_INDEX}" ON "assignments_completion" ("assignment_id")',
                ),
            ],
        ),
    ]
