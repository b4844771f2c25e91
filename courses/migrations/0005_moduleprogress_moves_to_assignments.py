# ModuleProgress belongs to an assignment, so it moved to the assignments app; the table stays.

from django.db import migrations


class Migration(migrations.Migration):
    dependencies = [
        ("courses", "0004_course_code_unique_whatever_case"),
    ]

    operations = [
        migrations.SeparateDatabaseAndState(state_operations=[migrations.DeleteModel(name="ModuleProgress")]),
    ]
