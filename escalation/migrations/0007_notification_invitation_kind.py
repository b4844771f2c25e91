# The welcome email with an invitation to set a password (issue 14): a new kind of outbox row.

from django.db import migrations, models


class Migration(migrations.Migration):
    dependencies = [
        ("escalation", "0006_step_days_and_letters_per_deadline"),
    ]

    operations = [
        migrations.AlterField(
            model_name="notification",
            name="kind",
            field=models.CharField(
                choices=[
                    ("assigned", "New training assigned"),
                    ("reminder", "Reminder before the due date"),
                    ("attempt_failed", "Failed attempt (learner)"),
                    ("manager_attempt_failed", "Failed attempt (manager)"),
                    ("attempts_exhausted", "Attempts used up (learner)"),
                    ("manager_attempts_exhausted", "Attempts used up (manager)"),
                    ("review_booked", "Review session booked"),
                    ("overdue", "Overdue (learner)"),
                    ("escalation", "Overdue escalation (manager chain)"),
                    ("warning_letter", "Formal warning letter"),
                    ("recertification", "Recertification due"),
                    ("checkin", "Weekly at-risk check-in"),
                    ("digest", "Daily team digest"),
                    ("invitation", "Welcome and invitation to set a password"),
                ],
                max_length=32,
            ),
        ),
    ]
