"""One lockout per person (django-axes, ``lms.lockout``).

Every spelling of an email address shares one failure counter (trimmed, case-folded), and every
check of a password that a logged-in person types (signing a compliance-critical assessment, the
old password when changing it) counts toward that same counter, is kept in axes' failure log, and
is refused while the lockout lasts, with a message on the page rather than an error.

Replays of faults reported in other projects: onaio/onadata#3118 (``bob`` and ``BOB`` each had
their own lockout counter), django-allauth#1872 (the password change view was not rate limited
like the login), and MindMatrix/SecurityTracker#69 (a session could keep guessing the current
password on the change-password form after the login was locked).
"""

from __future__ import annotations

import pytest
from axes.models import AccessAttempt, AccessFailureLog
from django.conf import settings
from django.urls import reverse

from assignments.models import Attempt, AttemptAnswer, Completion
from courses.tests.factories import AssignmentFactory, answers_for, make_course
from lms.lockout import normalise_identity
from lms.tests.factories import TEST_PASSWORD, AdminFactory, UserFactory

pytestmark = pytest.mark.django_db
LIMIT = settings.AXES_FAILURE_LIMIT
IP = "10.0.0.7"
LOCKED = "Too many wrong passwords"


def login(client, email: str, password: str, ip: str = IP):
    return client.post(reverse("login"), {"username": email, "password": password}, REMOTE_ADDR=ip)


def spellings(email: str, count: int) -> list[str]:
    """``count`` spellings of ``email``: the first as is, then each with another single letter in upper case."""
    return [email] + [email[:i] + email[i].upper() + email[i + 1 :] for i in range(count - 1)]


# --- item 3: one counter per normalised identity ------------------------------------------


@pytest.mark.parametrize(
    "value", ["kim@example.com", "KIM@example.com", "  Kim@Example.COM\t", "\u3000kim@EXAMPLE.com"]
)
def test_identities_are_trimmed_and_case_folded(value):
    assert normalise_identity(value) == "kim@example.com"


def test_case_folding_goes_beyond_ascii():
    assert normalise_identity("STRASSE@example.com") == normalise_identity("straße@example.com")


@pytest.mark.parametrize("spelling", ["LEARNER@example.com", "Learner@Example.COM", "  learner@EXAMPLE.com "])
def test_another_spelling_of_a_locked_email_is_locked_too_even_with_the_right_password(client, spelling):
    UserFactory(email="learner@example.com")
    for _ in range(LIMIT):
        login(client, "learner@example.com", "wrong-password-1")
    assert login(client, spelling, "wrong-password-1").status_code == 429
    response = login(client, spelling, TEST_PASSWORD)
    assert response.status_code == 429
    assert "_auth_user_id" not in client.session


def test_failures_under_different_spellings_add_up_to_one_lockout(client):
    UserFactory(email="learner@example.com")
    names = spellings("learner@example.com", LIMIT)
    assert len(set(names)) == LIMIT
    for name in names[:-1]:
        assert login(client, name, "wrong-password-1").status_code == 200
    assert login(client, names[-1], "wrong-password-1").status_code == 429
    assert login(client, "learner@example.com", TEST_PASSWORD).status_code == 429
    # One counter, stored under the normalised identity.
    assert list(AccessAttempt.objects.values_list("username", flat=True).distinct()) == ["learner@example.com"]


def test_a_login_under_another_spelling_resets_the_shared_counter(client):
    UserFactory(email="learner@example.com")
    for _ in range(LIMIT - 1):
        login(client, "learner@example.com", "wrong-password-1")
    assert login(client, "LEARNER@EXAMPLE.COM", TEST_PASSWORD).status_code == 302
    client.logout()
    for _ in range(LIMIT - 1):
        assert login(client, "Learner@example.com", "wrong-password-1").status_code == 200


def test_an_unknown_email_is_counted_once_whatever_its_spelling(client):
    for name in spellings("ghost@example.com", LIMIT):
        login(client, name, "wrong-password-1")
    assert login(client, "GHOST@example.com", "wrong-password-1").status_code == 429


# --- item 4: the attestation password counts toward the same lockout ----------------------


@pytest.fixture
def critical_attempt(client):
    """A learner logged in (from IP) at the final quiz of a compliance-critical course."""
    assignment = AssignmentFactory(course=make_course(questions=2, compliance_critical=True))
    client.force_login(assignment.learner)
    client.post(reverse("player_quiz_start", args=[assignment.pk, assignment.course.final_quiz.pk]), REMOTE_ADDR=IP)
    return Attempt.objects.get(assignment=assignment)


def sign(client, attempt: Attempt, password: str):
    data = {f"q_{q}": [str(c) for c in choices] for q, choices in answers_for(attempt).items()}
    data.update(attest="on", password=password)
    return client.post(reverse("player_attempt", args=[attempt.pk]), data, REMOTE_ADDR=IP)


def assert_nothing_submitted(attempt: Attempt) -> None:
    attempt.refresh_from_db()
    assert attempt.status == Attempt.Status.IN_PROGRESS and attempt.attested_at is None
    assert not AttemptAnswer.objects.exists() and not Completion.objects.exists()


def test_wrong_attestation_passwords_lock_the_person_out_like_wrong_logins(client, critical_attempt):
    attempt = critical_attempt
    for _ in range(LIMIT - 1):
        response = sign(client, attempt, "wrong-password-1")
        assert response.status_code == 200
        assert "That password is not right" in response.content.decode()
    locked = sign(client, attempt, "wrong-password-1")
    assert locked.status_code == 429
    assert LOCKED in locked.content.decode() and "Nothing has been submitted" in locked.content.decode()

    # While locked, even the right password signs nothing ...
    again = sign(client, attempt, TEST_PASSWORD)
    assert again.status_code == 429 and LOCKED in again.content.decode()
    assert_nothing_submitted(attempt)
    # ... and the login from the same place is locked too: one counter.
    client.logout()
    assert login(client, attempt.assignment.learner.email.upper(), TEST_PASSWORD).status_code == 429


def test_each_wrong_attestation_password_is_recorded_in_the_failure_log(client, critical_attempt):
    sign(client, critical_attempt, "wrong-password-1")
    sign(client, critical_attempt, "wrong-password-2")
    email = critical_attempt.assignment.learner.email
    url = reverse("player_attempt", args=[critical_attempt.pk])
    failures = AccessFailureLog.objects.filter(username=email, ip_address=IP, path_info=url)
    assert failures.count() == 2 and not failures.filter(locked_out=True).exists()
    assert AccessAttempt.objects.get(username=email, ip_address=IP).failures_since_start == 2


def test_failed_logins_lock_the_attestation_of_a_session_already_logged_in(client, critical_attempt):
    other = client.__class__()
    for _ in range(LIMIT):
        login(other, critical_attempt.assignment.learner.email, "wrong-password-1")
    response = sign(client, critical_attempt, TEST_PASSWORD)
    assert response.status_code == 429 and LOCKED in response.content.decode()
    assert_nothing_submitted(critical_attempt)


def test_the_right_attestation_password_still_signs_below_the_limit(client, critical_attempt):
    for _ in range(LIMIT - 1):
        sign(client, critical_attempt, "wrong-password-1")
    response = sign(client, critical_attempt, TEST_PASSWORD)
    assert response.status_code == 302
    assert Completion.objects.get(assignment=critical_attempt.assignment).attested_at is not None


# --- item 4: the old password on the change-password form -------------------------------


def change_password(client, old: str, new: str = "a-brand-new-passphrase-77"):
    return client.post(
        reverse("password_change"),
        {"old_password": old, "new_password1": new, "new_password2": new},
        REMOTE_ADDR=IP,
    )


def test_wrong_old_passwords_lock_the_password_change_and_the_login(client):
    user = UserFactory(email="kim@example.com")
    client.force_login(user)
    for _ in range(LIMIT - 1):
        response = change_password(client, "wrong-password-1")
        assert response.status_code == 200
        assert "old_password" in response.context["form"].errors
    locked = change_password(client, "wrong-password-1")
    assert locked.status_code == 429 and LOCKED in locked.content.decode()

    # The right old password changes nothing while locked.
    again = change_password(client, TEST_PASSWORD)
    assert again.status_code == 429 and LOCKED in again.content.decode()
    user.refresh_from_db()
    assert user.check_password(TEST_PASSWORD)
    # Every check is in the failure log, the refused one during the lockout too.
    logged = AccessFailureLog.objects.filter(username="kim@example.com", path_info=reverse("password_change"))
    assert logged.count() == LIMIT + 1 and logged.filter(locked_out=True).count() == 2
    client.logout()
    assert login(client, "Kim@Example.com", TEST_PASSWORD).status_code == 429


def test_a_session_cannot_test_passwords_on_the_change_form_once_the_login_is_locked(client):
    user = UserFactory(email="kim@example.com")
    client.force_login(user)
    for _ in range(LIMIT):
        login(client.__class__(), "KIM@example.com", "wrong-password-1")
    response = change_password(client, TEST_PASSWORD)
    assert response.status_code == 429 and LOCKED in response.content.decode()
    user.refresh_from_db()
    assert user.check_password(TEST_PASSWORD)


def test_the_right_old_password_changes_the_password_below_the_limit(client):
    user = UserFactory(email="kim@example.com")
    client.force_login(user)
    change_password(client, "wrong-password-1")
    response = change_password(client, TEST_PASSWORD)
    assert response.status_code == 302 and response.url == reverse("password_change_done")
    user.refresh_from_db()
    assert user.check_password("a-brand-new-passphrase-77")


@pytest.mark.parametrize("method", ["get", "post"])
def test_the_django_admin_password_change_is_the_sites_own_checked_form(client, method):
    client.force_login(AdminFactory())
    data = {"old_password": "wrong-password-1", "new_password1": "x-y-z-1234567", "new_password2": "x-y-z-1234567"}
    response = getattr(client, method)(reverse("admin:password_change"), data if method == "post" else None)
    assert response.status_code == 302 and response.url == reverse("password_change")
    assert not AccessFailureLog.objects.exists()
