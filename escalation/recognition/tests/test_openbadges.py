"""Open Badges 2.0 hosted assertions: the JSON carries the required fields and a salted hash of
the email (computed here by hand), the verification page shows nothing private, an unknown token
is 404, and a revoked award answers ``revoked: true``."""

from __future__ import annotations

import datetime as dt
import hashlib
import io

import pytest
from django.urls import reverse
from PIL import Image

from courses.tests.factories import make_course
from escalation.recognition.models import Award, Badge
from escalation.recognition.services import award_revoke
from escalation.recognition.tests.factories import badge, completed
from escalation.recognition.workflow import run_recognition
from escalation.tests.conftest import at
from lms.models import AuditEntry
from lms.tests.factories import AdminFactory, DepartmentFactory, UserFactory

pytestmark = pytest.mark.django_db

SITE = "https://lms.example.test"
DAY = dt.date(2026, 3, 2)
CONTEXT = "https://w3id.org/openbadges/v2"


@pytest.fixture
def award(settings):
    settings.SITE_URL = SITE
    course = make_course(questions=1, title="Fire safety")
    person = UserFactory(
        first_name="Annabel",
        last_name="Lee-Private",
        email="Annabel.Lee@Example.com",
        department=DepartmentFactory(name="Secret Projects"),
    )
    completed(person, course, on=DAY)
    badge(Badge.Rule.COURSE_PASSED, name="Fire warden", description="Knows the way out.", course_code=course.code)
    run_recognition(as_of=at(DAY, 3))
    return Award.objects.select_related("badge", "recipient").get()


def test_the_assertion_is_open_badges_2_with_a_hashed_recipient(client, award):
    response = client.get(reverse("recognition:assertion", args=[award.token]))
    assert response.status_code == 200
    assert response["Content-Type"].startswith("application/ld+json")
    data = response.json()
    assert data["@context"] == CONTEXT
    assert data["type"] == "Assertion"
    assert data["id"] == f"{SITE}/recognition/openbadges/assertions/{award.token}.json"
    assert data["verification"] == {"type": "hosted"}
    assert data["badge"] == f"{SITE}/recognition/openbadges/badges/{award.badge.public_id}.json"
    assert dt.datetime.fromisoformat(data["issuedOn"]) == award.awarded_at.replace(microsecond=0)
    recipient = data["recipient"]
    assert recipient["type"] == "email" and recipient["hashed"] is True
    salt = recipient["salt"]
    assert len(salt) >= 16
    expected = "sha256$" + hashlib.sha256(("annabel.lee@example.com" + salt).encode()).hexdigest()
    assert recipient["identity"] == expected
    body = response.content.decode()
    for private in ("Annabel", "example.com", "Secret Projects", "Lee-Private"):
        assert private.lower() not in body.lower()


def test_the_badge_class_and_issuer_link_up_on_one_origin(client, award, settings):
    settings.ORGANISATION_NAME = "Acme Care"
    badge_class = client.get(reverse("recognition:badge_class", args=[award.badge.public_id])).json()
    assert badge_class["@context"] == CONTEXT and badge_class["type"] == "BadgeClass"
    assert badge_class["id"] == f"{SITE}/recognition/openbadges/badges/{award.badge.public_id}.json"
    assert badge_class["name"] == "Fire warden" and badge_class["description"] == "Knows the way out."
    assert badge_class["criteria"]["narrative"]
    assert badge_class["image"] == f"{SITE}/recognition/openbadges/badges/{award.badge.public_id}.png"
    assert badge_class["issuer"] == f"{SITE}/recognition/openbadges/issuer.json"
    issuer = client.get(reverse("recognition:issuer")).json()
    assert issuer == {
        "@context": CONTEXT,
        "type": "Issuer",
        "id": f"{SITE}/recognition/openbadges/issuer.json",
        "name": "Acme Care",
        "url": f"{SITE}/",
    }
    image = client.get(reverse("recognition:badge_image", args=[award.badge.public_id]))
    assert image["Content-Type"] == "image/png"
    assert Image.open(io.BytesIO(image.content)).format == "PNG"


def test_tokens_are_long_random_and_not_the_primary_key(award):
    assert len(award.token) >= 40 and str(award.pk) != award.token
    assert len(award.badge.public_id) >= 40


def test_the_verification_page_shows_the_badge_and_nothing_private(client, award):
    response = client.get(reverse("recognition:verify", args=[award.token]))
    assert response.status_code == 200
    page = response.content.decode()
    assert "Fire warden" in page and "Knows the way out." in page
    assert "Annabel L." in page  # the default: first name and last initial
    for private in ("Lee-Private", "example.com", "Secret Projects", "@"):
        assert private not in page.split("<main", 1)[-1], private
    assert response["X-Robots-Tag"] == "noindex"


@pytest.mark.parametrize(("mode", "shown"), [("full", "Annabel Lee-Private"), ("none", None)])
def test_the_name_shown_follows_the_setting(client, award, settings, mode, shown):
    settings.RECOGNITION_PUBLIC_NAME = mode
    page = client.get(reverse("recognition:verify", args=[award.token])).content.decode()
    if shown:
        assert shown in page
    else:
        assert "Annabel" not in page and 'data-testid="badge-holder"' not in page


def test_a_random_or_altered_token_is_not_found(client, award):
    for token in ("x" * 43, award.token[:-1] + ("A" if award.token[-1] != "A" else "B"), str(award.pk)):
        assert client.get(reverse("recognition:verify", args=[token])).status_code == 404
        assert client.get(reverse("recognition:assertion", args=[token])).status_code == 404
    assert client.get(reverse("recognition:badge_class", args=[str(award.badge.pk)])).status_code == 404


def test_a_revoked_award_answers_revoked_true(client, award):
    admin = AdminFactory()
    award_revoke(award=award, actor=admin, reason="Awarded in error: on sick leave since March")
    response = client.get(reverse("recognition:assertion", args=[award.token]))
    assert response.status_code == 410
    data = response.json()
    # The public answer gives a generic reason: the admin's may name the person's circumstances.
    assert data["revoked"] is True and data["revocationReason"] == "Revoked by the issuer"
    assert data["id"].endswith(f"/assertions/{award.token}.json") and "recipient" not in data
    page = client.get(reverse("recognition:verify", args=[award.token]))
    assert page.status_code == 410 and 'data-status="revoked"' in page.content.decode()
    assert "sick leave" not in page.content.decode() and "sick leave" not in response.content.decode()
    entry = AuditEntry.objects.get(object_type="recognition.award", object_id=str(award.pk))
    assert entry.actor == admin and "Awarded in error" in entry.reason
    # Revoking again changes nothing.
    award_revoke(award=award, actor=admin, reason="Again")
    assert AuditEntry.objects.filter(object_type="recognition.award").count() == 1
