"""Ladder days count from 1 (the first day after the deadline), and warning letters are once per
step of each deadline.

A step saved at day 0 meant "the first day overdue" and fired one day after the deadline, as every
step did one day after its number. Steps now fire on their own number, so a day-0 step becomes
day 1 (where the policy has no day-1 step already; one that has keeps its day 0, which fires on
day 1 too), and the assignments that had taken it are marked as having taken day 1, so that
nothing is sent again.
"""

import django.core.validators
from django.conf import settings
from django.db import migrations, models


def steps_from_day_one(apps, schema_editor):
    Policy = apps.get_model("escalation", "EscalationPolicy")
    Step = apps.get_model("escalation", "EscalationStep")
    Assignment = apps.get_model("assignments", "Assignment")
    specific = list(Policy.objects.exclude(course_code="").values_list("course_code", flat=True))
    for policy in Policy.objects.all():
        days = set(Step.objects.filter(policy=policy).values_list("days_overdue", flat=True))
        if 0 not in days or 1 in days:
            continue
        Step.objects.filter(policy=policy, days_overdue=0).update(days_overdue=1)
        taken = Assignment.objects.filter(ladder_days=0)
        taken = (
            taken.filter(course_code=policy.course_code)
            if policy.course_code
            else taken.exclude(course_code__in=specific)
        )
        taken.update(ladder_days=1)


class Migration(migrations.Migration):
    dependencies = [
        ("assignments", "0006_deadline_moves_reset_progress"),
        ("escalation", "0005_constraint_messages"),
        migrations.swappable_dependency(settings.AUTH_USER_MODEL),
    ]

    operations = [
        migrations.RunPython(steps_from_day_one, migrations.RunPython.noop),
        migrations.RemoveConstraint(
            model_name="warningletter",
            name="warning_letter_once_per_step",
        ),
        migrations.AlterField(
            model_name="escalationstep",
            name="days_overdue",
            field=models.PositiveSmallIntegerField(
                help_text="Days after the deadline; day 1 is the first day overdue.",
                validators=[
                    django.core.validators.MinValueValidator(
                        1, message="Day 1 is the first day overdue (the day after the deadline)."
                    )
                ],
                verbose_name="days overdue",
            ),
        ),
        migrations.AddConstraint(
            model_name="warningletter",
            constraint=models.UniqueConstraint(
                fields=("assignment", "step_days_overdue", "deadline_missed"),
                name="warning_letter_once_per_step_and_deadline",
                violation_error_message="A warning letter was already issued for this step of this deadline.",
            ),
        ),
    ]
