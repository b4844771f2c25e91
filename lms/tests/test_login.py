"""Hardened login: lockout by username and IP (django-axes), one answer for an unknown user and a
wrong password, the common-password list. (Session rotation, logging out deactivated users and
the same message for unknown users are in test_views.py; re-authentication for signing in
assignments/tests/test_attempts.py and courses/tests/test_player.py.)"""

from __future__ import annotations

import pytest
from axes.models import AccessAttempt
from django.conf import settings
from django.contrib.auth.password_validation import validate_password
from django.core.exceptions import ValidationError
from django.urls import reverse

from lms.tests.factories import TEST_PASSWORD, UserFactory

pytestmark = pytest.mark.django_db
LIMIT = settings.AXES_FAILURE_LIMIT


def login(client, email: str, password: str, ip: str = "10.0.0.1"):
    return client.post(reverse("login"), {"username": email, "password": password}, REMOTE_ADDR=ip)


def test_repeated_failures_lock_the_username_from_that_ip_even_with_the_right_password(client):
    UserFactory(email="kim@example.com")
    for _ in range(LIMIT - 1):
        assert login(client, "kim@example.com", "wrong-password-1").status_code == 200
    locked = login(client, "kim@example.com", "wrong-password-1")
    assert locked.status_code == 429
    assert b"Too many failed log-in attempts" in locked.content

    # The right password does not get through while locked, from the same IP.
    again = login(client, "kim@example.com", TEST_PASSWORD)
    assert again.status_code == 429 and "_auth_user_id" not in client.session


def test_the_lockout_is_per_username_and_ip(client):
    UserFactory(email="kim@example.com")
    UserFactory(email="lee@example.com")
    for _ in range(LIMIT):
        login(client, "kim@example.com", "wrong-password-1")
    assert login(client, "kim@example.com", "wrong-password-1").status_code == 429
    # Another person from the same IP, and the same person from another IP, can still log in.
    assert login(client, "lee@example.com", TEST_PASSWORD).status_code == 302
    client.logout()
    assert login(client, "kim@example.com", TEST_PASSWORD, ip="10.0.0.2").status_code == 302


def test_an_unknown_user_is_locked_out_the_same_way_so_lockout_reveals_nothing(client):
    for _ in range(LIMIT):
        login(client, "ghost@example.com", "wrong-password-1")
    assert login(client, "ghost@example.com", "wrong-password-1").status_code == 429
    assert AccessAttempt.objects.filter(username="ghost@example.com").exists()


def test_an_unknown_user_and_a_wrong_password_get_the_same_page(client):
    UserFactory(email="kim@example.com")
    wrong = login(client, "kim@example.com", "wrong-password-1")
    unknown = login(client, "nobody@example.com", "wrong-password-1")
    assert wrong.status_code == unknown.status_code == 200

    message = "That email address and password do not match an active account."
    assert message in wrong.content.decode() and message in unknown.content.decode()
    assert wrong.context["form"].errors == unknown.context["form"].errors


def test_a_deactivated_user_with_the_right_password_gets_the_same_answer_as_a_wrong_password(client):
    UserFactory(email="gone@example.com", is_active=False)
    response = login(client, "gone@example.com", TEST_PASSWORD)
    assert response.status_code == 200 and "_auth_user_id" not in client.session
    assert "do not match an active account" in response.content.decode()


def test_a_successful_login_resets_the_failure_count(client):
    UserFactory(email="kim@example.com")
    for _ in range(LIMIT - 1):
        login(client, "kim@example.com", "wrong-password-1")
    assert login(client, "kim@example.com", TEST_PASSWORD).status_code == 302
    client.logout()
    for _ in range(LIMIT - 1):
        assert login(client, "kim@example.com", "wrong-password-1").status_code == 200


@pytest.mark.parametrize("password", ["password123", "qwertyuiop", "iloveyou12", "1234567890"])
def test_common_and_short_or_numeric_passwords_are_refused(password):
    with pytest.raises(ValidationError):
        validate_password(password, user=UserFactory.build(email="kim@example.com"))


def test_the_common_password_list_is_in_force():
    with pytest.raises(ValidationError) as error:
        validate_password("qwertyuiop", user=None)
    assert any(e.code == "password_too_common" for e in error.value.error_list)
    validate_password("correct horse battery staple 42", user=None)


def test_changing_to_a_common_password_is_refused(client):
    user = UserFactory()
    client.force_login(user)
    response = client.post(
        reverse("password_change"),
        {"old_password": TEST_PASSWORD, "new_password1": "password1234", "new_password2": "password1234"},
    )
    assert response.status_code == 200
    assert "too common" in str(response.context["form"].errors)
    user.refresh_from_db()
    assert user.check_password(TEST_PASSWORD)
