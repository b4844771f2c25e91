from django.db import migrations, models


class Migration(migrations.Migration):
    dependencies = [
        ("assignments", "0014_assignment_failed_idx"),
    ]

    operations = [
        migrations.AddIndex(
            model_name="assignment",
            index=models.Index(
                condition=models.Q(("archived_at__isnull", True), ("status__in", ["assigned", "in_progress"])),
                fields=["reminded_days", "due_date"],
                name="assignment_reminder_idx",
            ),
        ),
    ]
