from __future__ import annotations

import pytest
from django.core.management import CommandError, call_command

from assignments.models import Completion
from courses.tests.factories import CourseFactory
from lms.models import User
from lms.tests.factories import UserFactory

pytestmark = pytest.mark.django_db


def write(tmp_path, name: str, text: str):
    path = tmp_path / name
    path.write_text(text, encoding="utf-8")
    return str(path)


def test_import_users_dry_run_reports_and_changes_nothing(tmp_path, capsys):
    path = write(
        tmp_path,
        "u.csv",
        "email,first_name,last_name,employee_id,manager_email,department,job_title,hire_date,timezone\na@example.com,A,B,,,,,,\n",
    )

    call_command("import_users", path, "--dry-run")

    assert "Dry run" in capsys.readouterr().out
    assert not User.objects.exists()


def test_import_users_applies_a_clean_file(tmp_path, capsys):
    path = write(
        tmp_path,
        "u.csv",
        "email,first_name,last_name,employee_id,manager_email,department,job_title,hire_date,timezone\na@example.com,A,B,,,Sales,,,\n",
    )

    call_command("import_users", path)

    assert User.objects.filter(email="a@example.com").exists()
    # Outside eyes (issue 14): the command printed the result as a Python dict.
    out = capsys.readouterr().out
    assert "{" not in out and "'" not in out, out
    assert "Imported 1 line: added: 1, invitations to set a password: 1, updated: 0, unchanged: 0" in out
    assert "new departments: Sales" in out


def test_a_bad_file_exits_non_zero_listing_each_line(tmp_path, capsys):
    CourseFactory(code="GDPR-101")
    UserFactory(email="a@example.com")
    path = write(
        tmp_path,
        "a.csv",
        "email,course_code,action,due_date\na@example.com,NOPE,assign,\nb@example.com,GDPR-101,assign,2026-02-30\n",
    )

    with pytest.raises(CommandError, match="nothing was imported"):
        call_command("import_assignments", path)

    err = capsys.readouterr().err
    assert "line 2 [course_code]: Unknown course code NOPE." in err
    assert "line 3 [due_date]" in err


def test_import_completions_command(tmp_path):
    CourseFactory(code="GDPR-101")
    UserFactory(email="a@example.com")
    path = write(
        tmp_path,
        "c.csv",
        "email,course_code,completed_at,score,certificate_number\na@example.com,GDPR-101,2024-05-01,88,LEGACY-1\n",
    )

    call_command("import_completions", path)

    assert Completion.objects.get().source == "imported"
