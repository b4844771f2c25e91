"""Course codes are one code whatever their letter case (HS-101 and hs-101), in the database, the
course form, the service and course packages; and a package file's numbers are read safely."""

from __future__ import annotations

import importlib
import json
from pathlib import Path

import pytest
from django.apps import apps
from django.core.exceptions import ValidationError
from django.core.management import CommandError, call_command
from django.db import IntegrityError, connection, transaction
from django.urls import reverse

from courses.models import Course
from courses.services import authoring as services
from courses.services.authoring import course_import_package
from courses.services.packages import package_loads
from courses.tests.factories import CourseFactory
from lms.tests.factories import AdminFactory

pytestmark = pytest.mark.django_db

PACKAGES = Path(__file__).resolve().parent.parent / "packages"


def package(name: str = "HS-101") -> dict:
    return json.loads((PACKAGES / f"{name}.json").read_text(encoding="utf-8"))


def test_the_database_refuses_a_code_that_differs_only_in_case_at_the_same_version():
    CourseFactory(code="HS-101", version=1)

    with pytest.raises(IntegrityError), transaction.atomic():
        Course.objects.create(code="hs-101", version=1, title="Draft beside the published course")

    assert list(Course.objects.values_list("code", flat=True)) == ["HS-101"]


def test_the_course_form_refuses_a_code_that_differs_only_in_case(client):
    CourseFactory(code="HS-101", version=1)
    client.force_login(AdminFactory())
    form = {
        "code": "hs-101",
        "title": "Health and safety again",
        "description": "What it covers.",
        "pass_mark": 80,
        "unlimited_attempts": "on",
        "cooldown_first_minutes": 0,
        "cooldown_later_minutes": 0,
        "grading_method": "highest",
        "default_due_days": 30,
        "recertification_window_days": 30,
        "expiry_rule": "from_completion",
        "grace_days": 0,
        "cpd_points": "0.00",
    }

    response = client.post(reverse("authoring_course_create"), form)

    assert response.status_code == 200
    assert response.context["form"].errors["code"] == [
        "The course code HS-101 exists already, and codes are the same whatever their letter case. "
        "Use a different code, or make a new version of HS-101."
    ]
    assert "course_code_version_unique" not in response.content.decode()
    assert not Course.objects.filter(code="hs-101").exists()


def test_the_service_refuses_a_code_another_version_spells_differently():
    CourseFactory(code="HS-101", version=1)
    draft = CourseFactory(code="OTHER-1", version=1, status=Course.Status.DRAFT)

    with pytest.raises(ValidationError) as created:
        services.course_create(data={"code": "hs-101", "title": "Again", "version": 2})
    with pytest.raises(ValidationError) as renamed:
        services.course_update(course=draft, data={"code": "Hs-101"})

    assert "HS-101" in created.value.message_dict["code"][0]
    assert "HS-101" in renamed.value.message_dict["code"][0]
    assert sorted(Course.objects.values_list("code", flat=True)) == ["HS-101", "OTHER-1"]


def test_the_same_code_with_the_same_spelling_still_gets_its_own_message():
    CourseFactory(code="HS-101", version=1)

    with pytest.raises(ValidationError) as refused:
        services.course_create(data={"code": "HS-101", "title": "Again"})

    assert refused.value.messages == ["This course code already has this version."]


def test_a_package_whose_code_differs_only_in_case_is_refused_and_imports_nothing():
    course_import_package(package=package())
    renamed = package()
    renamed["course"]["code"] = "hs-101"
    renamed["course"]["version"] = 2

    with pytest.raises(ValidationError) as refused:
        course_import_package(package=renamed)

    assert refused.value.messages == [
        "course.code: the catalogue spells this code HS-101; course codes are the same whatever their letter case, "
        "so use HS-101 (for a new version) or another code."
    ]
    assert list(Course.objects.values_list("code", "version")) == [("HS-101", 1)]


def test_the_migration_names_codes_that_differ_only_in_case_instead_of_failing_on_the_index():
    # Given rows from before the rule (the index is dropped inside this test's transaction)
    CourseFactory(code="HS-101", version=1)
    with connection.cursor() as cursor:
        cursor.execute("DROP INDEX course_code_version_unique_ci")
    CourseFactory(code="hs-101", version=1)
    CourseFactory(code="GDPR-101", version=2)
    migration = importlib.import_module("courses.migrations.0004_course_code_unique_whatever_case")

    # When the migration's check runs, then it names the clash and what to do
    with pytest.raises(CommandError) as refused:
        migration.refuse_codes_that_differ_only_in_case(apps, None)

    assert "HS-101 and hs-101 (version 1)" in str(refused.value)
    assert "GDPR" not in str(refused.value)


# --- numbers in a course package -------------------------------------------------------------


@pytest.mark.parametrize(
    "text,message",
    [
        ('{"pass_mark": NaN}', "NaN is not a number"),
        ('{"pass_mark": -Infinity}', "-Infinity is not a number"),
        ('{"pass_mark": ' + "9" * 5000 + "}", "a number too long to be read"),
    ],
)
def test_a_package_with_a_number_python_cannot_read_as_json_is_refused_with_a_message(text, message):
    with pytest.raises(ValidationError) as refused:
        package_loads(text.encode())

    assert message in refused.value.messages[0]


def test_import_course_names_an_endless_number_without_a_traceback(tmp_path):
    path = tmp_path / "long.json"
    text = json.dumps(package()).replace('"pass_mark": 80', '"pass_mark": ' + "8" * 5000, 1)
    path.write_text(text, encoding="utf-8")

    with pytest.raises(CommandError, match="a number too long to be read"):
        call_command("import_course", str(path))

    assert not Course.objects.exists()


def test_a_package_text_longer_than_its_model_field_is_refused_at_the_fields_limit(monkeypatch):
    from courses.models import Module
    from courses.services.packages import package_problems

    monkeypatch.setattr(Module._meta.get_field("title"), "max_length", 10)
    titles = package()
    titles["modules"] = titles["modules"][:1]
    titles["modules"][0]["title"] = "T" * 11

    assert "modules[0].title: must be at most 10 characters" in package_problems(titles)
    titles["modules"][0]["title"] = "T" * 10
    assert not [problem for problem in package_problems(titles) if "title" in problem]
