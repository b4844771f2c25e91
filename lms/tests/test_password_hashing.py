"""Password hashing (lms.hashers, issue 18): Argon2id with OWASP's parameters for new passwords;
older PBKDF2 hashes still sign in and are re-hashed at that sign-in."""

from __future__ import annotations

import pytest
from django.contrib.auth.hashers import PBKDF2PasswordHasher, check_password, identify_hasher, make_password
from django.urls import reverse

from lms.tests.factories import TEST_PASSWORD, UserFactory

pytestmark = pytest.mark.django_db


@pytest.fixture(autouse=True)
def _the_real_hashers(settings):
    """The suite hashes with MD5 for speed (conftest.py); these tests check the product's list."""
    from lms import settings as product_settings

    settings.PASSWORD_HASHERS = product_settings.PASSWORD_HASHERS


def test_a_new_password_is_hashed_with_argon2id_at_owasp_parameters():
    encoded = make_password("a long enough passphrase")

    assert encoded.startswith("argon2$argon2id$v=19$m=19456,t=2,p=1$")
    assert type(identify_hasher(encoded)).__name__ == "Argon2idPasswordHasher"
    assert check_password("a long enough passphrase", encoded)
    assert not check_password("another passphrase", encoded)


def test_a_pbkdf2_hash_still_signs_in_and_is_rehashed_with_argon2id(client):
    person = UserFactory()
    person.password = PBKDF2PasswordHasher().encode(TEST_PASSWORD, PBKDF2PasswordHasher().salt())
    person.save(update_fields=["password"])

    response = client.post(reverse("login"), {"username": person.email, "password": TEST_PASSWORD})

    assert response.status_code == 302
    person.refresh_from_db()
    assert person.password.startswith("argon2$argon2id$v=19$m=19456,t=2,p=1$")


def test_a_hash_of_djangos_own_argon2_parameters_signs_in_and_is_brought_to_ours(client):
    from django.contrib.auth.hashers import Argon2PasswordHasher

    person = UserFactory()
    person.password = Argon2PasswordHasher().encode(TEST_PASSWORD, Argon2PasswordHasher().salt())
    assert "m=102400" in person.password
    person.save(update_fields=["password"])

    response = client.post(reverse("login"), {"username": person.email, "password": TEST_PASSWORD})

    assert response.status_code == 302
    person.refresh_from_db()
    assert "m=19456,t=2,p=1" in person.password
