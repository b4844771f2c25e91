"""The default policy tells no compliance officer it does not name.

0002 seeded a day-14 step telling the compliance officer, but a fresh install names none, so the
step told nobody and the policy form (which refuses such a step) could not save the default policy
even unchanged. Where the default policy still names no officer, its steps stop ticking the box:
nothing that was sent changes, since the box told nobody. A policy that names an officer keeps its
ladder; any other policy in that state says so when its page opens.
"""

from django.db import migrations


def untick_absent_officer(apps, schema_editor):
    Step = apps.get_model("escalation", "EscalationStep")
    Step.objects.filter(
        policy__course_code="", policy__compliance_officer__isnull=True, notify_compliance_officer=True
    ).update(notify_compliance_officer=False)


class Migration(migrations.Migration):
    dependencies = [("escalation", "0009_webhooks")]

    operations = [migrations.RunPython(untick_absent_officer, migrations.RunPython.noop)]
