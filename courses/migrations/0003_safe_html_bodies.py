"""Module and cheat-sheet bodies hold only the safe HTML subset (lms.html): the column becomes a
SafeHTMLField, and the bodies already stored are sanitised once, in batches."""

from django.db import migrations

import lms.html

BATCH = 500


def sanitise_existing_bodies(apps, schema_editor):
    for name in ("Module", "LearningResource"):
        model = apps.get_model("courses", name)
        changed = []
        for pk, body in model.objects.exclude(body="").order_by("pk").values_list("pk", "body").iterator(BATCH):
            clean = lms.html.sanitise_html(body)
            if clean != body:
                changed.append(model(pk=pk, body=clean))
        for start in range(0, len(changed), BATCH):
            model.objects.bulk_update(changed[start : start + BATCH], ["body"])


class Migration(migrations.Migration):
    dependencies = [
        ("courses", "0002_constraint_messages"),
    ]

    operations = [
        migrations.AlterField(
            model_name="module",
            name="body",
            field=lms.html.SafeHTMLField(blank=True, verbose_name="body (HTML)"),
        ),
        migrations.AlterField(
            model_name="learningresource",
            name="body",
            field=lms.html.SafeHTMLField(blank=True, verbose_name="body (HTML)"),
        ),
        # Reversing keeps the sanitised bodies: what was removed was never safe to show.
        migrations.RunPython(sanitise_existing_bodies, migrations.RunPython.noop),
    ]
