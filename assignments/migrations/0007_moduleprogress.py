# ModuleProgress moved here from the courses app (it belongs to an assignment); the table,
# its rows and its constraint stay where they are, so only Django's model state changes.

import django.db.models.deletion
import django.utils.timezone
from django.db import migrations, models


class Migration(migrations.Migration):
    dependencies = [
        ("assignments", "0006_deadline_moves_reset_progress"),
        ("courses", "0005_moduleprogress_moves_to_assignments"),
    ]

    operations = [
        migrations.SeparateDatabaseAndState(
            state_operations=[
                migrations.CreateModel(
                    name="ModuleProgress",
                    fields=[
                        ("id", models.BigAutoField(auto_created=True, primary_key=True, serialize=False, verbose_name="ID")),
                        ("created_at", models.DateTimeField(default=django.utils.timezone.now, editable=False)),
                        ("updated_at", models.DateTimeField(auto_now=True)),
                        ("completed_at", models.DateTimeField(blank=True, null=True, verbose_name="completed at")),
                        ("tested_out", models.BooleanField(default=False, verbose_name="tested out by the pre-test")),
                        (
                            "assignment",
                            models.ForeignKey(
                                on_delete=django.db.models.deletion.CASCADE,
                                related_name="module_progress",
                                to="assignments.assignment",
                            ),
                        ),
                        (
                            "module",
                            models.ForeignKey(
                                on_delete=django.db.models.deletion.CASCADE, related_name="progress", to="courses.module"
                            ),
                        ),
                    ],
                    options={
                        "db_table": "courses_moduleprogress",
                        "ordering": ["assignment", "module__order"],
                        "constraints": [
                            models.UniqueConstraint(
                                fields=("assignment", "module"),
                                name="module_progress_unique",
                                violation_error_message="This module is already recorded for this assignment.",
                            )
                        ],
                    },
                ),
            ]
        ),
    ]
