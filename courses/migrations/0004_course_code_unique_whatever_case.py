"""Course codes become unique per version whatever their letter case (HS-101 and hs-101 are one code).

Rows that already break the rule would make the new index fail with a bare IntegrityError, so they
are looked for first and named: which of the two spellings is the right one is a decision for a
person (completions and assignments keep the code they were made with), not for a migration.
"""

from django.core.management.base import CommandError
from django.db import migrations, models
from django.db.models import Count
from django.db.models.functions import Lower


def refuse_codes_that_differ_only_in_case(apps, schema_editor):
    Course = apps.get_model("courses", "Course")
    clashes = (
        Course.objects.annotate(code_lower=Lower("code"))
        .values("code_lower", "version")
        .annotate(rows=Count("id"))
        .filter(rows__gt=1)
        .order_by("code_lower", "version")
    )
    found = []
    for clash in clashes:
        codes = Course.objects.annotate(code_lower=Lower("code")).filter(
            code_lower=clash["code_lower"], version=clash["version"]
        )
        spellings = " and ".join(sorted(codes.values_list("code", flat=True)))
        found.append(f"{spellings} (version {clash['version']})")
    if found:
        raise CommandError(
            "Course codes that differ only in letter case share a version: "
            + "; ".join(found)
            + ". Give one of each pair another code (a draft's code can be changed in authoring), then run "
            "migrate again."
        )


class Migration(migrations.Migration):
    dependencies = [
        ("courses", "0003_safe_html_bodies"),
    ]

    operations = [
        migrations.RunPython(refuse_codes_that_differ_only_in_case, migrations.RunPython.noop, elidable=False),
        migrations.AddConstraint(
            model_name="course",
            constraint=models.UniqueConstraint(
                Lower("code"),
                models.F("version"),
                name="course_code_version_unique_ci",
                violation_error_message="This course code already has this version.",
            ),
        ),
        migrations.RemoveConstraint(
            model_name="course",
            name="course_code_version_unique",
        ),
    ]
