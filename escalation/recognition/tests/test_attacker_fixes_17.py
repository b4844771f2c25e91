"""What an attacker pass and a tracker replay found in recognition (issue 17): an awarded badge's
rule stays what holders earned; a double-clicked "Save" makes one badge, not two awarded side by
side; the public Open Badges addresses answer HEAD; a huge declared image and an over-long
revocation reason are refused with what is wrong."""

from __future__ import annotations

import datetime as dt
import struct
import threading
import zlib

import pytest
from django.core.exceptions import ValidationError
from django.core.files.uploadedfile import SimpleUploadedFile
from django.db import connection
from django.urls import reverse

from courses.tests.factories import make_course
from escalation.recognition.models import Award, Badge
from escalation.recognition.services import badge_save
from escalation.recognition.tests.factories import badge, completed
from escalation.recognition.workflow import run_recognition
from escalation.tests.conftest import at
from lms.tests.factories import AdminFactory, UserFactory

pytestmark = pytest.mark.django_db

DAY = dt.date(2026, 3, 2)
TAKEN = "Another badge being awarded has this name."


def form(**values) -> dict:
    return {"description": "For doing it well.", "is_active": "on", **values}


@pytest.fixture
def awarded(settings):
    settings.SITE_URL = "https://lms.example.test"
    fire = make_course(questions=1, title="Fire safety", code="FIRE-17")
    badge(Badge.Rule.COURSE_PASSED, name="Fire warden", course_code=fire.code)
    completed(UserFactory(), fire, on=DAY)
    run_recognition(as_of=at(DAY, 3))
    return Award.objects.select_related("badge").get()


def test_the_rule_of_an_awarded_badge_is_shown_but_not_editable(client, awarded):
    make_course(questions=1, title="First aid", code="AID-17")
    client.force_login(AdminFactory())
    url = reverse("recognition:badge_edit", args=[awarded.badge.pk])

    page = client.get(url).content.decode()
    response = client.post(url, form(name="Fire marshal", criteria="course_passed", course_code="AID-17"))

    assert "Fixed once the badge has been awarded" in page
    assert response.status_code == 302
    awarded.badge.refresh_from_db()
    assert (awarded.badge.name, awarded.badge.course_code) == ("Fire marshal", "FIRE-17")  # the name may change


def test_the_service_refuses_to_move_an_awarded_badge_to_another_course(awarded):
    moved = Badge.objects.get(pk=awarded.badge.pk)
    moved.course_code = "AID-17"
    with pytest.raises(ValidationError) as refused:
        badge_save(badge=moved, actor=AdminFactory())
    assert "cannot change" in str(refused.value)
    assert Badge.objects.get(pk=moved.pk).course_code == "FIRE-17"


def test_a_badge_nobody_holds_yet_can_change_its_rule(client):
    fire = make_course(questions=1, code="FIRE-17")
    make_course(questions=1, code="AID-17")
    draft = badge(Badge.Rule.COURSE_PASSED, name="Fire warden", course_code=fire.code)
    client.force_login(AdminFactory())
    client.post(
        reverse("recognition:badge_edit", args=[draft.pk]),
        form(name="Fire warden", criteria="course_passed", course_code="AID-17"),
    )
    draft.refresh_from_db()
    assert draft.course_code == "AID-17"


def test_two_badges_being_awarded_cannot_share_a_name_however_spelt(client):
    badge(Badge.Rule.ALL_MANDATORY, name="All current")
    client.force_login(AdminFactory())

    response = client.post(reverse("recognition:badge_create"), form(name="ALL CURRENT", criteria="all_mandatory"))

    assert response.status_code == 200 and TAKEN in response.content.decode()
    assert Badge.objects.count() == 1
    # a badge no longer awarded leaves its name free (retire one, create its successor)
    Badge.objects.update(is_active=False)
    assert (
        client.post(reverse("recognition:badge_create"), form(name="All current", criteria="all_mandatory")).status_code
        == 302
    )
    assert Badge.objects.count() == 2


@pytest.mark.postgres
@pytest.mark.django_db(transaction=True)
def test_a_double_clicked_save_makes_one_badge():
    admin = AdminFactory()
    barrier = threading.Barrier(2)
    outcomes: list[str] = []

    def worker():
        try:
            barrier.wait()
            badge_save(badge=Badge(name="Fire warden", description="x", criteria="all_mandatory"), actor=admin)
            outcomes.append("saved")
        except ValidationError as error:
            # the model's own check (the other badge already committed) or the insert's conflict
            outcomes.append(error.messages[0])
        finally:
            connection.close()

    threads = [threading.Thread(target=worker) for _ in range(2)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()

    assert sorted(outcomes)[1] == "saved" and sorted(outcomes)[0].startswith(TAKEN)
    assert Badge.objects.count() == 1


def test_the_public_open_badges_addresses_answer_head(client, awarded):
    for url in (
        reverse("recognition:issuer"),
        reverse("recognition:assertion", args=[awarded.token]),
        reverse("recognition:verify", args=[awarded.token]),
    ):
        assert client.head(url).status_code == 200, url


def _png_declaring(width: int, height: int) -> bytes:
    """A PNG whose header declares ``width`` x ``height`` (a few bytes; Pillow refuses to open it)."""

    def chunk(kind: bytes, data: bytes) -> bytes:
        return struct.pack(">I", len(data)) + kind + data + struct.pack(">I", zlib.crc32(kind + data))

    header = struct.pack(">IIBBBBB", width, height, 8, 0, 0, 0, 0)
    return b"\x89PNG\r\n\x1a\n" + chunk(b"IHDR", header) + chunk(b"IDAT", zlib.compress(b"\x00")) + chunk(b"IEND", b"")


def test_an_image_declaring_a_huge_size_is_refused_as_too_large(client):
    client.force_login(AdminFactory())
    response = client.post(
        reverse("recognition:badge_create"),
        form(
            name="X", criteria="all_mandatory", image_upload=SimpleUploadedFile("b.png", _png_declaring(20000, 20000))
        ),
    )
    page = response.content.decode()
    assert response.status_code == 200 and "larger than 1024 × 1024 pixels" in page and "must be a PNG" not in page
    assert not Badge.objects.exists()


def test_an_over_long_revocation_reason_is_named_as_such(client, awarded):
    client.force_login(AdminFactory())
    response = client.post(
        reverse("recognition:award_revoke", args=[awarded.badge.pk, awarded.pk]), {"reason": "x" * 301}, follow=True
    )
    assert "Keep the reason for revoking to 300 characters (it has 301)" in response.content.decode()
    awarded.refresh_from_db()
    assert not awarded.revoked


def test_the_same_save_sent_twice_lands_on_the_badge_it_made(client):
    """Re-check: a double-clicked "Save" made one badge but the second request showed the name
    clash, inviting a rename and a second badge. It now lands on the badge the first one made."""
    client.force_login(AdminFactory())
    values = form(name="Fire warden ready", criteria="all_mandatory")
    first = client.post(reverse("recognition:badge_create"), values)
    second = client.post(reverse("recognition:badge_create"), values, follow=True)
    made = Badge.objects.get()
    assert first["Location"] == reverse("recognition:badge_edit", args=[made.pk])
    assert second.redirect_chain[-1][0] == first["Location"]
    assert "Badge “Fire warden ready” saved." in second.content.decode()
    # another admin's badge of that name is a real clash, still refused
    client.force_login(AdminFactory())
    clash = client.post(reverse("recognition:badge_create"), values)
    assert clash.status_code == 200 and TAKEN in clash.content.decode() and Badge.objects.count() == 1


def test_a_refused_rename_leaves_the_heading_with_the_saved_name(client):
    badge(Badge.Rule.ALL_MANDATORY, name="Sharp memory")
    other = badge(Badge.Rule.ALL_MANDATORY, name="Fire warden ready")
    client.force_login(AdminFactory())
    page = client.post(
        reverse("recognition:badge_edit", args=[other.pk]), form(name="sharp MEMORY", criteria="all_mandatory")
    ).content.decode()
    assert TAKEN in page
    assert '<h1 class="h3">Fire warden ready</h1>' in page
