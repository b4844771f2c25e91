"""Seed the global default escalation policy and the beat schedule (editable in the admin)."""

from django.conf import settings
from django.db import migrations

LADDER = [
    # days overdue, learner, manager, manager's manager, compliance officer, warning letter
    (0, True, True, False, False, False),
    (7, True, True, True, False, False),
    (14, True, True, True, True, True),
]


def seed(apps, schema_editor):
    Policy = apps.get_model("escalation", "EscalationPolicy")
    Step = apps.get_model("escalation", "EscalationStep")
    policy, created = Policy.objects.get_or_create(
        course_code="", defaults={"name": "Default policy", "reminder_days": [14, 7, 1]}
    )
    if created:
        for days, learner, manager, grand, officer, letter in LADDER:
            Step.objects.create(
                policy=policy, days_overdue=days, notify_learner=learner, notify_manager=manager,
                notify_managers_manager=grand, notify_compliance_officer=officer, warning_letter=letter,
            )

    Crontab = apps.get_model("django_celery_beat", "CrontabSchedule")
    Interval = apps.get_model("django_celery_beat", "IntervalSchedule")
    Periodic = apps.get_model("django_celery_beat", "PeriodicTask")
    nightly, _ = Crontab.objects.get_or_create(
        minute="0", hour="2", day_of_week="*", day_of_month="*", month_of_year="*", timezone=settings.TIME_ZONE
    )
    every_five, _ = Interval.objects.get_or_create(every=5, period="minutes")
    # 02:00 local time: after the working day everywhere we operate, before anyone reads email.
    Periodic.objects.get_or_create(
        name="Nightly compliance workflows",
        defaults={"task": "escalation.run_nightly", "crontab": nightly,
                  "description": "Reminders, failure follow-up, overdue ladder, recertification, digests, dispatch."},
    )
    # Every five minutes: sends anything queued since (failure notices are also dispatched at once).
    Periodic.objects.get_or_create(
        name="Dispatch pending notifications",
        defaults={"task": "escalation.dispatch_notifications", "interval": every_five,
                  "description": "Sends pending outbox rows; retries failures with back-off."},
    )


class Migration(migrations.Migration):
    dependencies = [
        ("escalation", "0001_initial"),
        ("django_celery_beat", "0019_alter_periodictasks_options"),
    ]

    operations = [migrations.RunPython(seed, migrations.RunPython.noop)]
