# ModuleProgress belongs to an assignment, so it moved to the assignments app; the table stays.

from django.db import migrations


class Migration(migrations.Migration):
    dependencies = [
        ("courses", "0003_safe_html_bodies"),
    ]

    operations = [
        migrations.SeparateDatabaseAndState(state_operations=[migrations.DeleteModel(name="ModuleProgress")]),
    ]
