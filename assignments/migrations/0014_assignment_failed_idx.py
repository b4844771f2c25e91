from django.db import migrations, models


class Migration(migrations.Migration):
    dependencies = [
        ("assignments", "0013_attempt_language"),
    ]

    operations = [
        migrations.AddIndex(
            model_name="assignment",
            index=models.Index(
                condition=models.Q(("archived_at__isnull", True), ("status", "failed")),
                fields=["failed_at"],
                name="assignment_failed_idx",
            ),
        ),
    ]
