"""Invitations (issue 14): everyone created without a usable password gets one welcome email
through the outbox with a single-use, expiring link to set a password; admins resend; a lapsed
link explains itself and offers a new one; single sign-on domains get a welcome without a link."""

from __future__ import annotations

import datetime as dt
import re

import pytest
import time_machine
from django.conf import settings
from django.contrib.auth import get_user
from django.core import mail
from django.urls import reverse
from django.utils import timezone

from assignments.services.imports import import_run
from escalation.dispatch import run_dispatch
from escalation.models import Notification
from escalation.nightly import run_nightly
from lms import services
from lms.invitations import (
    TokenState,
    invitation_send,
    invitation_token_generator,
)
from lms.models import User
from lms.tests.factories import TEST_PASSWORD, UserFactory

pytestmark = pytest.mark.django_db

NEW_PASSWORD = "a-long-new-passphrase-42"
HEADER = "email,first_name,last_name,employee_id,manager_email,department,job_title,hire_date,timezone\n"
USERS_CSV = (
    HEADER
    + "ana@example.com,Ana,Ames,E1,,Sales,Rep,2024-01-02,Europe/London\n"
    + "ben@example.com,Ben,Bose,E2,ana@example.com,Sales,Rep,2024-01-02,Europe/London\n"
    + "cy@sso.example.org,Cy,Chen,E3,ana@example.com,Sales,Rep,2024-01-02,Europe/London\n"
).encode()


def link_in(message) -> str:
    match = re.search(r"https?://\S+/accounts/invitation/\S+/", message.body)
    assert match, message.body
    return match.group(0).replace(settings.SITE_URL, "")


def invitations() -> list[Notification]:
    return list(Notification.objects.filter(kind=Notification.Kind.INVITATION).order_by("pk"))


def test_a_person_created_without_a_password_is_invited_once_and_with_a_password_not_at_all():
    invited = services.user_create(email="new@example.com", first_name="New", last_name="Person")
    services.user_create(email="has@example.com", first_name="Has", last_name="Password", password=TEST_PASSWORD)
    assert [(n.recipient_id, n.dedupe_key) for n in invitations()] == [(invited.pk, f"invitation:{invited.pk}")]
    # Asking again for a first invitation (a retry, a nightly catch-up) queues nothing.
    assert invitation_send(user_ids=[invited.pk]) == 0
    assert len(invitations()) == 1


def test_the_welcome_email_carries_a_link_that_sets_a_password_signs_in_and_lands_on_home(client):
    person = services.user_create(email="new@example.com", first_name="Nia", last_name="New")
    run_dispatch()
    [message] = mail.outbox
    assert message.to == ["new@example.com"]
    assert message.subject == f"Welcome to {settings.ORGANISATION_NAME} training: set up your account"
    assert "Hello Nia," in message.body and "works once, for 7 days" in message.body
    link = link_in(message)
    assert "/accounts/invitation/" in message.alternatives[0][0]
    page = client.get(link)
    assert page.status_code == 200 and page["Referrer-Policy"] == "same-origin"
    assert "Set your password" in page.content.decode()
    response = client.post(link, {"new_password1": NEW_PASSWORD, "new_password2": NEW_PASSWORD})
    assert response.status_code == 302 and response["Location"] == reverse("home")
    assert get_user(client).pk == person.pk
    person.refresh_from_db()
    assert person.check_password(NEW_PASSWORD)
    # The same link again: refused, and it says what to do.
    client.logout()
    replay = client.get(link)
    assert "This invitation link cannot be used" in replay.content.decode()
    assert client.post(link, {"new_password1": "another-long-pass-99", "new_password2": "another-long-pass-99"})
    person.refresh_from_db()
    assert person.check_password(NEW_PASSWORD)


def test_a_weak_password_is_refused_with_the_field_named(client):
    services.user_create(email="new@example.com", first_name="Nia", last_name="New")
    run_dispatch()
    link = link_in(mail.outbox[0])
    response = client.post(link, {"new_password1": "short", "new_password2": "short"})
    assert response.status_code == 200
    assert "This password is too short" in response.content.decode()
    assert not User.objects.get(email="new@example.com").has_usable_password()


def test_an_expired_link_explains_itself_and_offers_a_new_one_that_works(client):
    start = dt.datetime(2026, 3, 2, 9, 0, tzinfo=dt.UTC)
    with time_machine.travel(start, tick=False):
        person = services.user_create(email="late@example.com", first_name="Lee", last_name="Late")
        run_dispatch()
        link = link_in(mail.outbox[0])
    later = start + dt.timedelta(seconds=settings.INVITATION_TIMEOUT + 60)
    with time_machine.travel(later, tick=False):
        page = client.get(link).content.decode()
        assert "This invitation link has expired" in page
        assert f'action="{reverse("password_reset")}"' in page
        response = client.post(reverse("password_reset"), {"email": "LATE@example.com"})
        assert response["Location"] == reverse("password_reset_done")
        run_dispatch()
        assert len(mail.outbox) == 2
        fresh = link_in(mail.outbox[1])
        assert fresh != link
        client.post(fresh, {"new_password1": NEW_PASSWORD, "new_password2": NEW_PASSWORD})
    person.refresh_from_db()
    assert person.check_password(NEW_PASSWORD)


def test_the_token_states():
    person = services.user_create(email="t@example.com", first_name="T", last_name="T")
    token = invitation_token_generator.make_token(person)
    assert invitation_token_generator.state(person, token) is TokenState.VALID
    assert invitation_token_generator.state(person, token[:-1] + "x") is TokenState.INVALID
    assert invitation_token_generator.state(person, "nonsense") is TokenState.INVALID
    assert invitation_token_generator.state(None, token) is TokenState.INVALID
    # A password-reset token is not an invitation token.
    from django.contrib.auth.tokens import default_token_generator

    assert invitation_token_generator.state(person, default_token_generator.make_token(person)) is TokenState.INVALID
    person.set_password(NEW_PASSWORD)
    assert invitation_token_generator.state(person, token) is TokenState.INVALID


def test_an_unknown_or_altered_link_answers_like_a_used_one(client):
    person = services.user_create(email="t@example.com", first_name="T", last_name="T")
    run_dispatch()
    link = link_in(mail.outbox[0])
    altered = link[:-3] + "zz/"
    unknown = reverse("invitation_accept", kwargs={"uidb64": "OTk5OTk", "token": "abc-def"})
    bad_uid = reverse("invitation_accept", kwargs={"uidb64": "%%%", "token": "abc-def"})
    texts = set()
    for url in (altered, unknown, bad_uid):
        response = client.get(url)
        assert response.status_code == 200
        texts.add(re.sub(r'name="csrfmiddlewaretoken" value="[^"]+"', "", response.content.decode()))
    assert len(texts) == 1
    assert not User.objects.get(pk=person.pk).has_usable_password()


def test_a_leaver_link_does_not_work(client):
    person = services.user_create(email="t@example.com", first_name="T", last_name="T")
    run_dispatch()
    link = link_in(mail.outbox[0])
    services.user_deactivate(user=person)
    assert "cannot be used" in client.get(link).content.decode()


@pytest.fixture
def sso(settings):
    settings.SSO_DOMAINS = ["sso.example.org"]


def test_a_single_sign_on_domain_gets_a_welcome_without_a_link_and_no_password_page(client, sso):
    person = services.user_create(email="Cy@SSO.example.org", first_name="Cy", last_name="Chen")
    run_dispatch()
    [message] = mail.outbox
    assert "single sign-on" in message.body
    assert "/accounts/invitation/" not in message.body and "/accounts/invitation/" not in message.alternatives[0][0]
    # Even a genuine token does not let them set a password here.
    token = invitation_token_generator.make_token(person)
    url = reverse("invitation_accept", kwargs={"uidb64": _uid(person), "token": token})
    page = client.get(url).content.decode()
    assert "Sign in with single sign-on" in page
    client.post(url, {"new_password1": NEW_PASSWORD, "new_password2": NEW_PASSWORD})
    assert not User.objects.get(pk=person.pk).has_usable_password()


def _uid(person) -> str:
    from django.utils.encoding import force_bytes
    from django.utils.http import urlsafe_base64_encode

    return urlsafe_base64_encode(force_bytes(person.pk))


def test_the_import_preview_counts_invitations_and_a_second_import_or_nightly_run_sends_none(sso):
    preview = import_run(kind="users", data=USERS_CSV, dry_run=True)
    assert preview.ok and (preview.summary["invitations"], preview.summary["invitations_sso"]) == (3, 1)
    first = import_run(kind="users", data=USERS_CSV, dry_run=False)
    assert first.summary["result"]["invitations"] == 3
    second = import_run(kind="users", data=USERS_CSV, dry_run=False)
    assert second.summary["invitations"] == 0 and second.summary["result"]["invitations"] == 0
    run_dispatch()
    run_nightly(as_of=timezone.now())
    run_nightly(as_of=timezone.now() + dt.timedelta(days=1))
    welcomes = [m.to[0] for m in mail.outbox if m.subject.startswith("Welcome to ")]
    assert sorted(welcomes) == ["ana@example.com", "ben@example.com", "cy@sso.example.org"]
    assert len(invitations()) == 3


def test_the_person_form_invites_the_new_person(client, django_capture_on_commit_callbacks):
    admin = UserFactory(is_staff=True)
    client.force_login(admin)
    with django_capture_on_commit_callbacks(execute=True):
        response = client.post(
            reverse("person_create"),
            {"email": "fresh@example.com", "first_name": "Fresh", "last_name": "Face", "timezone": "Europe/London"},
        )
    assert response.status_code == 302
    # Dispatched as soon as the transaction committed (eager Celery in tests).
    assert [m.to for m in mail.outbox] == [["fresh@example.com"]]


def test_an_admin_resends_to_one_person_and_to_many_from_the_list(client, django_capture_on_commit_callbacks):
    admin = UserFactory(is_staff=True)
    waiting = [services.user_create(email=f"w{n}@example.com", first_name="W", last_name=str(n)) for n in range(2)]
    has_password = UserFactory()
    run_dispatch()
    assert len(mail.outbox) == 2
    client.force_login(admin)
    detail = client.get(reverse("person_detail", args=[waiting[0].pk])).content.decode()
    assert reverse("person_invite", args=[waiting[0].pk]) in detail
    assert (
        reverse("person_invite", args=[has_password.pk])
        not in client.get(reverse("person_detail", args=[has_password.pk])).content.decode()
    )
    with django_capture_on_commit_callbacks(execute=True):
        client.post(reverse("person_invite", args=[waiting[0].pk]))
    assert len(mail.outbox) == 3 and mail.outbox[2].to == ["w0@example.com"]
    with django_capture_on_commit_callbacks(execute=True):
        response = client.post(
            reverse("people_invite"), {"person": [waiting[0].pk, waiting[1].pk, has_password.pk, "junk"]}, follow=True
        )
    text = response.content.decode()
    assert "2 new invitations are on their way." in text
    assert "1 person was skipped" in text
    assert sorted(m.to[0] for m in mail.outbox[3:]) == ["w0@example.com", "w1@example.com"]
    # Every link sent opens the password page (the first one too, until a password is set).
    assert all("Set your password" in client.get(link_in(m)).content.decode() for m in mail.outbox)


def test_resend_refuses_a_person_with_a_password(client):
    admin = UserFactory(is_staff=True)
    person = UserFactory()
    client.force_login(admin)
    response = client.post(reverse("person_invite", args=[person.pk]), follow=True)
    assert "No invitation was sent" in response.content.decode()
    assert not invitations()


def test_learners_cannot_resend(client):
    learner = UserFactory()
    waiting = services.user_create(email="w@example.com", first_name="W", last_name="W")
    client.force_login(learner)
    assert client.post(reverse("person_invite", args=[waiting.pk])).status_code == 403
    assert client.post(reverse("people_invite"), {"person": [waiting.pk]}).status_code == 403
    assert len(invitations()) == 1


def test_the_import_preview_page_says_how_many_invitations_will_go_out(client, sso):
    from assignments.models import ImportJob
    from assignments.services.imports import import_job_check

    admin = UserFactory(is_staff=True)
    job = ImportJob.objects.create(
        kind=ImportJob.Kind.USERS, filename="people.csv", content=USERS_CSV, created_by=admin
    )
    import_job_check(job_id=job.pk)
    client.force_login(admin)
    page = client.get(reverse("assignments:upload", args=[job.pk])).content.decode()
    assert "3 invitations to set a password will go out" in page
    assert "(1 of them tells the person to sign in with single sign-on instead)" in page
