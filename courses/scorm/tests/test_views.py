"""The SCORM import pages: admin only, a good zip becomes a Draft course shown with its items, a bad
one is refused on the page with its message and nothing stored."""

from __future__ import annotations

import pytest
from django.core.files.uploadedfile import SimpleUploadedFile
from django.urls import reverse

from courses.models import Course
from courses.scorm.models import ScormPackage
from courses.scorm.testing import build_package
from courses.scorm.tests.conftest import stored_files
from courses.tests.factories import CourseFactory
from lms.tests.factories import AdminFactory, UserFactory

pytestmark = pytest.mark.django_db

RULES = {
    "pass_mark": "",
    "grading_method": "highest",
    "max_attempts": "3",
    "cooldown_first_minutes": "0",
    "cooldown_later_minutes": "0",
    "default_due_days": "21",
    "recertification_months": "12",
    "recertification_window_days": "30",
    "expiry_rule": "from_completion",
    "grace_days": "0",
    "cpd_points": "1.5",
    "compliance_critical": "on",
}


def _zip(content: bytes, name: str = "package.zip") -> SimpleUploadedFile:
    return SimpleUploadedFile(name, content, content_type="application/zip")


def test_only_admins_see_the_import_pages(client, scorm_storage):
    course = CourseFactory(status=Course.Status.DRAFT)
    client.force_login(UserFactory())
    assert client.get(reverse("scorm_import_course")).status_code == 403
    assert client.post(reverse("scorm_import_course"), {"package": _zip(build_package())}).status_code == 403
    assert client.get(reverse("scorm_import_module", args=[course.pk])).status_code == 403
    assert not ScormPackage.objects.exists() and stored_files(scorm_storage) == []
    client.force_login(AdminFactory())
    page = client.get(reverse("scorm_import_course"))
    assert page.status_code == 200 and "Import a SCORM package" in page.content.decode()
    assert client.get(reverse("scorm_import_module", args=[course.pk])).status_code == 200


def test_admin_imports_a_package_as_a_course_with_its_rules(client, scorm_storage):
    admin = AdminFactory()
    client.force_login(admin)
    response = client.post(
        reverse("scorm_import_course"),
        {
            "package": _zip(build_package("2004-4", scos=["Intro", "Quiz"], mastery_score=70, title="Bribery")),
            "code": "ABC-1",
            **RULES,
        },
    )
    package = ScormPackage.objects.get()
    course = package.course
    assert response.status_code == 302
    assert response["Location"] == reverse("authoring_course_detail", args=[course.pk]) + "#modules"
    assert (course.code, course.title, course.pass_mark, course.status) == ("ABC-1", "Bribery", 70, "draft")
    assert course.compliance_critical and course.recertification_months == 12 and course.default_due_days == 21
    assert package.uploaded_by == admin and package.original_filename == "package.zip"
    page = client.get(response["Location"]).content.decode()
    assert "SCORM package “Bribery” (SCORM 2004 4th edition)" in page
    assert "Intro" in page and "sco2/index.html" in page
    assert "Before this course can be published" not in page


def test_a_bad_package_is_refused_on_the_page_and_nothing_is_stored(client, scorm_storage):
    client.force_login(AdminFactory())
    response = client.post(reverse("scorm_import_course"), {"package": _zip(build_package(folder="Course")), **RULES})
    assert response.status_code == 200
    page = response.content.decode()
    assert "Nothing was imported" in page
    assert "the zip has one at Course/imsmanifest.xml: zip the folder&#x27;s contents, not the folder." in page
    assert not Course.objects.exists() and stored_files(scorm_storage) == []


def test_a_taken_code_is_shown_on_the_code_field(client, scorm_storage):
    CourseFactory(code="TAKEN")
    client.force_login(AdminFactory())
    response = client.post(reverse("scorm_import_course"), {"package": _zip(build_package()), "code": "taken", **RULES})
    assert response.status_code == 200
    assert response.context["form"].errors["code"] == [
        "The course code TAKEN exists already: choose another code for the package."
    ]
    assert not ScormPackage.objects.exists() and stored_files(scorm_storage) == []


def test_admin_imports_a_package_as_a_module_of_a_draft_course(client, scorm_storage):
    course = CourseFactory(status=Course.Status.DRAFT, pass_mark=50)
    client.force_login(AdminFactory())
    response = client.post(
        reverse("scorm_import_module", args=[course.pk]),
        {"package": _zip(build_package(mastery_score=90)), "title": "Harassment", "grades_course": "on"},
    )
    assert response.status_code == 302
    package = ScormPackage.objects.get()
    course.refresh_from_db()
    assert package.course == course and package.module.title == "Harassment" and course.pass_mark == 90


def test_a_published_course_takes_no_package(client, scorm_storage):
    course = CourseFactory(status=Course.Status.PUBLISHED)
    client.force_login(AdminFactory())
    assert client.get(reverse("scorm_import_module", args=[course.pk])).status_code == 404
