"""Uploads: size limits, a "CSV" (or course package) that is really a ZIP, a PDF or binary is
refused with a clear message, the browser's file name is never used as a path, and downloads
name themselves."""

from __future__ import annotations

import pytest
from django.core.files.uploadedfile import SimpleUploadedFile
from django.urls import reverse

from assignments.models import ImportJob
from assignments.services.imports import import_run
from courses.models import Course
from courses.tests.factories import make_course
from lms.tests.factories import AdminFactory
from lms.uploads import binary_problem, display_filename

pytestmark = pytest.mark.django_db

CSV = b"email,first_name,last_name,employee_id,manager_email,department,job_title,hire_date,timezone\n"
ZIP = b"PK\x03\x04\x14\x00\x06\x00\x08\x00" + b"\x00" * 40  # what an .xlsx starts with
PDF = b"%PDF-1.7\n%\xe2\xe3\xcf\xd3\n1 0 obj\n"


@pytest.fixture
def admin_client(client):
    client.force_login(AdminFactory())
    return client


@pytest.mark.parametrize(
    "data,word",
    [(ZIP, "ZIP"), (b"PK\x05\x06" + b"\x00" * 18, "ZIP"), (PDF, "PDF"), (CSV + b"a@b.c,\x00,x\n", "NUL")],
)
def test_binary_files_are_recognised(data, word):
    assert word in binary_problem(data)


def test_a_plain_utf8_csv_is_not_binary():
    assert binary_problem(CSV + "zoë@example.com,Zoë,Ñandú,,,,,,\n".encode()) is None


@pytest.mark.parametrize("content,word", [(ZIP, "ZIP"), (PDF, "PDF"), (b"email\x00\x01\x02", "NUL")])
def test_a_csv_upload_that_is_really_something_else_is_refused_and_nothing_is_stored(admin_client, content, word):
    response = admin_client.post(
        reverse("assignments:uploads"),
        {"kind": "users", "file": SimpleUploadedFile("people.csv", content, content_type="text/csv")},
    )
    assert response.status_code == 200
    assert word in str(response.context["form"].errors["file"])
    assert not ImportJob.objects.exists()


def test_an_upload_over_the_size_limit_is_refused(admin_client, settings):
    settings.UPLOAD_MAX_BYTES = 100
    response = admin_client.post(
        reverse("assignments:uploads"),
        {"kind": "users", "file": SimpleUploadedFile("people.csv", CSV + b"x" * 200, content_type="text/csv")},
    )
    assert "too large" in str(response.context["form"].errors["file"])
    assert not ImportJob.objects.exists()


def test_the_uploaded_file_name_is_never_used_as_a_path(admin_client, settings, tmp_path):
    settings.MEDIA_ROOT = tmp_path
    response = admin_client.post(
        reverse("assignments:uploads"),
        {"kind": "users", "file": SimpleUploadedFile("../../etc/cron.d/evil.csv", CSV + b"a@example.com,A,B,,,,,,\n")},
    )
    job = ImportJob.objects.get()
    assert response.status_code == 302
    assert job.filename == "evil.csv"
    assert bytes(job.content).startswith(CSV)
    assert list(tmp_path.iterdir()) == []  # nothing written to disk, under any name


@pytest.mark.parametrize(
    "name,shown",
    [
        ("C:\\Users\\kim\\Desktop\\people.csv", "people.csv"),
        ("../../../etc/passwd", "passwd"),
        ("..", "upload"),
        ("report<1>.csv", "report_1_.csv"),
        ("bad\r\nname.csv", "badname.csv"),
        ("a" * 300 + ".csv", "a" * 120),
    ],
)
def test_display_filename_keeps_only_a_harmless_last_part(name, shown):
    assert display_filename(name) == shown


def test_the_csv_parser_refuses_a_zip_from_the_command_line_too():
    outcome = import_run(kind="users", data=ZIP, dry_run=False)
    assert not outcome.applied
    assert [(e.line, "ZIP" in e.message) for e in outcome.errors] == [(1, True)]


# Since course packages with files are zips (format version 2), a zip is read as one: a zip that is
# not a course package (a spreadsheet, say) is refused with the archive's own message.
@pytest.mark.parametrize("content,word", [(ZIP, "cannot be read as one"), (PDF, "PDF")])
def test_a_course_package_that_is_really_a_zip_or_pdf_is_refused(admin_client, content, word):
    response = admin_client.post(
        reverse("authoring_course_import"),
        {"package": SimpleUploadedFile("course.json", content, content_type="application/json")},
    )
    assert response.status_code == 200
    refusal = str(response.context["form"].errors.get("package", "")) + " ".join(response.context["problems"])
    assert word in refusal
    assert not Course.objects.exists()


def test_a_course_package_over_the_size_limit_is_refused(admin_client, settings):
    settings.UPLOAD_MAX_BYTES = 10
    response = admin_client.post(
        reverse("authoring_course_import"), {"package": SimpleUploadedFile("course.json", b"{}" + b" " * 20)}
    )
    assert "too large" in str(response.context["form"].errors["package"])


def test_downloads_name_themselves(admin_client):
    course = make_course(code="FIRE-1")
    export = admin_client.get(reverse("authoring_course_export", args=[course.pk]))
    assert export["Content-Disposition"] == 'attachment; filename="FIRE-1-v1.json"'
    template = admin_client.get(reverse("assignments:upload_template", args=["users"]))
    assert template["Content-Disposition"] == 'attachment; filename="users-template.csv"'
    assert template.content.decode().strip().endswith(",language")  # the optional column shows itself
    audit = admin_client.get(reverse("audit_export_csv"))
    assert audit["Content-Disposition"].startswith('attachment; filename="audit-trail-')
    assert b"".join(audit.streaming_content).startswith(b"at_utc,")
    # A template kind that is not ours never reaches a file name.
    assert admin_client.get(reverse("assignments:upload_template", args=["..%2Fsecrets"])).status_code == 404
