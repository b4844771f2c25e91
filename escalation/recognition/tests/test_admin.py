"""Admins define badges (name, description, rule, PNG image or the drawn default), with the audit
trail; bad input is refused with a message naming the field and changes nothing."""

from __future__ import annotations

import io

import pytest
from django.core.files.uploadedfile import SimpleUploadedFile
from django.urls import reverse
from PIL import Image

from courses.tests.factories import make_course
from escalation.recognition.models import Badge
from lms.models import AuditEntry
from lms.tests.factories import AdminFactory

pytestmark = pytest.mark.django_db


def png(size=(64, 64), fmt="PNG") -> bytes:
    out = io.BytesIO()
    Image.new("RGB", size, "#123456").save(out, format=fmt)
    return out.getvalue()


@pytest.fixture
def admin_client(client):
    admin = AdminFactory()
    client.force_login(admin)
    client.admin = admin
    return client


def test_an_admin_adds_a_course_badge_with_a_png_and_it_is_audited(admin_client):
    course = make_course(questions=1, title="Fire safety")
    upload = SimpleUploadedFile("badge.png", png() + b"trailing bytes", content_type="image/png")
    response = admin_client.post(
        reverse("recognition:badge_create"),
        {
            "name": "Fire warden",
            "description": "Knows the way out.",
            "criteria": "course_passed",
            "course_code": course.code,
            "is_active": "on",
            "image_upload": upload,
        },
    )
    assert response.status_code == 302
    badge = Badge.objects.get()
    assert (badge.name, badge.criteria, badge.course_code) == ("Fire warden", "course_passed", course.code)
    stored = bytes(badge.image)
    assert stored.startswith(b"\x89PNG") and b"trailing bytes" not in stored  # re-encoded
    entry = AuditEntry.objects.get(object_type="recognition.badge", object_id=str(badge.pk))
    assert entry.action == "create" and entry.actor == admin_client.admin
    assert entry.changes["name"] == [None, "Fire warden"]

    admin_client.post(
        reverse("recognition:badge_edit", args=[badge.pk]),
        {"name": "Fire marshal", "description": "Knows the way out.", "criteria": "course_passed",
         "course_code": course.code, "is_active": "on"},
    )  # fmt: skip
    change = AuditEntry.objects.filter(object_type="recognition.badge", action="change").get()
    assert change.changes == {"name": ["Fire warden", "Fire marshal"]}
    page = admin_client.get(reverse("recognition:badges")).content.decode()
    assert "Fire marshal" in page


@pytest.mark.parametrize(
    ("content", "message"),
    [
        (b"<svg xmlns='http://www.w3.org/2000/svg'><script>alert(1)</script></svg>", "must be a PNG"),
        (png(fmt="JPEG"), "must be a PNG"),
        (png(size=(1200, 10)), "larger than 1024"),
        (b"\x89PNG not really", "must be a PNG"),
    ],
)
def test_an_image_that_is_not_a_safe_png_is_refused(admin_client, content, message):
    response = admin_client.post(
        reverse("recognition:badge_create"),
        {"name": "X", "description": "Y", "criteria": "all_mandatory", "is_active": "on",
         "image_upload": SimpleUploadedFile("b.svg", content)},
    )  # fmt: skip
    assert response.status_code == 200
    assert message in response.content.decode()
    assert not Badge.objects.exists() and not AuditEntry.objects.filter(object_type="recognition.badge").exists()


def test_a_course_badge_needs_a_course(admin_client):
    response = admin_client.post(
        reverse("recognition:badge_create"),
        {"name": "X", "description": "Y", "criteria": "course_passed", "course_code": ""},
    )
    assert response.status_code == 200
    assert "Choose the course this badge is for." in response.content.decode()
    assert not Badge.objects.exists()


def test_a_badge_without_an_upload_gets_a_drawn_png(admin_client, client):
    admin_client.post(
        reverse("recognition:badge_create"),
        {"name": "All current", "description": "Everything done.", "criteria": "all_mandatory", "is_active": "on"},
    )
    badge = Badge.objects.get()
    image = client.get(reverse("recognition:badge_image", args=[badge.public_id]))
    assert Image.open(io.BytesIO(image.content)).size == (256, 256)
    assert image["X-Content-Type-Options"] == "nosniff"
