"""Whose language (issue 16): the tag normaliser, the person's language on the model, the switcher,
the profile and person form, and the languages that arrive from the users CSV, SCIM and SSO."""

from __future__ import annotations

import json

import pytest
from django.core.exceptions import ValidationError
from django.test import Client
from django.urls import reverse

from assignments.services.imports import import_run
from lms import services
from lms.languages import language_choices, language_code
from lms.models import User
from lms.scim.tokens import scim_token_create
from lms.sso import sso_user
from lms.tests.factories import AdminFactory, UserFactory

pytestmark = pytest.mark.django_db

SCIM_JSON = "application/scim+json"


# --- the normaliser ------------------------------------------------------------------------------


@pytest.mark.parametrize(
    "tag,code",
    [
        ("fr", "fr"),
        ("fr-FR", "fr"),
        ("fr_FR", "fr"),
        ("FR", "fr"),
        ("fr-CA", "fr"),
        ("fr_FR.UTF-8", "fr"),
        ("de-AT", "de"),
        ("es-419", "es"),
        ("en-US", "en"),
        ("en", "en"),
        ("en-GB", "en-gb"),
        ("en_gb", "en-gb"),
        ("ar-EG", "ar"),
        (" ar ", "ar"),
    ],
)
def test_a_language_tag_is_read_as_one_of_the_sites_languages(tag, code):
    assert language_code(tag) == code


@pytest.mark.parametrize("tag", ["ja-JP", "pt", "klingon", "", "fr FR", "12", "-fr", None, 3, "français"])
def test_a_language_the_site_does_not_have_or_no_tag_at_all_is_none(tag):
    assert language_code(tag) is None


def test_each_language_is_offered_in_its_own_name():
    names = dict(language_choices())
    assert names["fr"] == "Français"
    assert names["de"] == "Deutsch"
    assert names["es"] == "Español"
    assert names["ar"].startswith("العربي")
    assert names["en-gb"] == "English (UK)"


# --- the model and the service --------------------------------------------------------------------


def test_the_model_refuses_a_language_the_site_does_not_have():
    person = UserFactory()
    person.locale = "fr-FR"
    with pytest.raises(ValidationError) as error:
        person.full_clean(exclude=["password"])
    assert "“fr-FR” is not one of this site's languages" in str(error.value.message_dict["locale"])


def test_the_service_saves_the_language_from_a_tag():
    person = UserFactory()

    services.user_language_set(user=person, language="de-DE", actor=person)

    person.refresh_from_db()
    assert person.locale == "de"


def test_the_service_refuses_an_unknown_language_and_changes_nothing():
    person = UserFactory(locale="fr")

    with pytest.raises(ValidationError) as error:
        services.user_language_set(user=person, language="ja", actor=person)

    assert "“ja” is not one of this site's languages" in str(error.value.message_dict["locale"])
    person.refresh_from_db()
    assert person.locale == "fr"


# --- the switcher -----------------------------------------------------------------------------------


def test_a_visitor_switches_the_login_page_to_french_with_the_cookie():
    client = Client()
    login = reverse("login")

    response = client.post(reverse("set_language"), {"language": "fr", "next": login})

    assert response.status_code == 302
    assert response.url == login
    page = client.get(login).content.decode()
    assert '<html lang="fr" dir="ltr">' in page
    assert 'value="fr" lang="fr" selected' in page


def test_the_login_page_follows_the_browser_and_offers_the_switcher():
    page = Client().get(reverse("login"), HTTP_ACCEPT_LANGUAGE="ar-EG,ar;q=0.9").content.decode()

    assert '<html lang="ar" dir="rtl">' in page
    assert "vendor/bootstrap/bootstrap.rtl.min.css" in page
    assert "vendor/bootstrap/bootstrap.min.css" not in page
    assert 'data-testid="language-switcher"' in page
    for name in ("Français", "Deutsch", "Español", "English (UK)"):
        assert name in page


def test_a_signed_in_person_switches_and_the_choice_is_saved_on_them():
    person = UserFactory(locale="en-gb")
    client = Client()
    client.force_login(person)

    response = client.post(reverse("set_language"), {"language": "ar", "next": reverse("home")})

    assert response.status_code == 302
    person.refresh_from_db()
    assert person.locale == "ar"
    # Another browser (no cookie) signed in as them reads their language too.
    other = Client()
    other.force_login(person)
    page = other.get(reverse("home")).content.decode()
    assert '<html lang="ar" dir="rtl">' in page


@pytest.mark.parametrize("tag,code", [("fr-FR", "fr"), ("de-AT", "de"), ("es-419", "es"), ("EN-GB", "en-gb")])
def test_the_switcher_reads_a_region_tag_as_the_sites_language_for_a_signed_in_person(tag, code):
    person = UserFactory(locale="ar")
    client = Client()
    client.force_login(person)

    response = client.post(reverse("set_language"), {"language": tag, "next": reverse("home")})

    assert response.status_code == 302
    person.refresh_from_db()
    assert person.locale == code
    assert client.cookies["django_language"].value == code


def test_the_switcher_reads_a_region_tag_for_a_visitor_too():
    client = Client()

    client.post(reverse("set_language"), {"language": "de-AT", "next": reverse("login")})

    assert client.cookies["django_language"].value == "de"
    assert '<html lang="de" dir="ltr">' in client.get(reverse("login")).content.decode()


def test_an_unsafe_next_is_not_followed_and_an_unknown_language_changes_nothing():
    person = UserFactory(locale="de")
    client = Client()
    client.force_login(person)

    response = client.post(reverse("set_language"), {"language": "xx", "next": "https://evil.example.com/"})

    assert response.status_code == 302
    assert not response.url.startswith("https://evil")
    person.refresh_from_db()
    assert person.locale == "de"


def test_the_switcher_is_post_only():
    assert Client().get(reverse("set_language")).status_code == 405


def test_english_pages_are_left_to_right_with_the_ordinary_bootstrap():
    person = UserFactory(locale="en-gb")
    client = Client()
    client.force_login(person)

    page = client.get(reverse("home")).content.decode()

    assert '<html lang="en-gb" dir="ltr">' in page
    assert "vendor/bootstrap/bootstrap.min.css" in page


def test_the_profile_section_offers_the_language_with_the_current_one_chosen():
    person = UserFactory(locale="es")
    client = Client()
    client.force_login(person)

    page = client.get(reverse("home")).content.decode()

    assert 'id="profile-language-select"' in page
    profile = page[page.index('id="profile-language-select"') :]
    assert 'value="es" lang="es" selected' in profile[: profile.index("</select>")]


def test_an_admin_sets_a_persons_language_on_the_person_form():
    admin = AdminFactory()
    person = UserFactory(locale="en-gb", timezone="Europe/Paris")
    client = Client()
    client.force_login(admin)
    form = client.get(reverse("person_edit", args=[person.pk])).context["form"]
    data = {name: value for name, value in form.initial.items() if value is not None}
    data.update(manager="", department="", locale="fr")

    response = client.post(reverse("person_edit", args=[person.pk]), data)

    assert response.status_code == 302, response.context["form"].errors
    person.refresh_from_db()
    assert person.locale == "fr"


def test_the_person_form_refuses_a_language_not_in_the_list():
    admin = AdminFactory()
    person = UserFactory(locale="en-gb")
    client = Client()
    client.force_login(admin)
    form = client.get(reverse("person_edit", args=[person.pk])).context["form"]
    data = {name: value for name, value in form.initial.items() if value is not None}
    data.update(manager="", department="", locale="ja")

    response = client.post(reverse("person_edit", args=[person.pk]), data)

    assert response.status_code == 200
    assert "locale" in response.context["form"].errors
    person.refresh_from_db()
    assert person.locale == "en-gb"


# --- from outside: the users CSV ------------------------------------------------------------------

HEADER = "email,first_name,last_name,employee_id,manager_email,department,job_title,hire_date,timezone,language"


def _csv(*lines: str, header: str = HEADER) -> bytes:
    return "\n".join([header, *lines]).encode()


def test_the_users_csv_reads_a_language_tag_into_a_language():
    existing = UserFactory(email="lee@example.com", locale="en-gb")

    outcome = import_run(
        kind="users",
        data=_csv(
            "ann@example.com,Ann,Able,,,,,,,fr-FR",
            "bo@example.com,Bo,Baker,,,,,,,en-GB",
            "cy@example.com,Cy,Cole,,,,,,,",
            "lee@example.com,Lee,Learner,,,,,,,ar_EG",
        ),
        dry_run=False,
    )

    assert outcome.ok, outcome.errors
    languages = dict(User.objects.values_list("email", "locale"))
    assert languages["ann@example.com"] == "fr"
    assert languages["bo@example.com"] == "en-gb"
    assert languages["cy@example.com"] == "en-gb"
    existing.refresh_from_db()
    assert existing.locale == "ar"


def test_a_blank_language_keeps_an_existing_persons_language_and_older_files_still_import():
    person = UserFactory(email="lee@example.com", locale="de")
    old_header = HEADER.rsplit(",", 1)[0]

    blank = import_run(kind="users", data=_csv("lee@example.com,Lee,Learner,,,,,,,"), dry_run=False)
    old = import_run(kind="users", data=_csv("lee@example.com,Lee,Learner,,,,,,", header=old_header), dry_run=False)

    assert blank.ok and old.ok
    person.refresh_from_db()
    assert person.locale == "de"


def test_an_unknown_language_in_the_csv_is_refused_naming_line_and_column_and_nothing_changes():
    person = UserFactory(email="lee@example.com", locale="de", job_title="Analyst")

    outcome = import_run(
        kind="users",
        data=_csv("lee@example.com,Lee,Learner,,,,Senior analyst,,,fr", "new@example.com,New,Person,,,,,,,ja-JP"),
        dry_run=False,
    )

    assert not outcome.ok
    assert [(error.line, error.column) for error in outcome.errors] == [(3, "language")]
    assert "“ja-JP” is not one of this site's languages" in outcome.errors[0].message
    person.refresh_from_db()
    assert (person.locale, person.job_title) == ("de", "Analyst")
    assert not User.objects.filter(email="new@example.com").exists()


# --- from outside: SCIM ----------------------------------------------------------------------------


@pytest.fixture
def scim():
    token, secret = scim_token_create(name="Entra ID")
    client = Client()

    def call(method: str, path: str, data: dict | None = None):
        headers = {"HTTP_AUTHORIZATION": f"Bearer {secret}"}
        url = "/scim/v2/" + path
        if method == "get":
            return client.get(url, **headers)
        return getattr(client, method)(url, data=json.dumps(data or {}), content_type=SCIM_JSON, **headers)

    return call


def _scim_user(**extra) -> dict:
    return {
        "schemas": ["urn:ietf:params:scim:schemas:core:2.0:User"],
        "userName": "jo@contoso.com",
        "name": {"givenName": "Jo", "familyName": "Jones"},
        "active": True,
        **extra,
    }


def test_scim_preferred_language_sets_the_language_and_is_shown_back(scim):
    response = scim("post", "Users", _scim_user(preferredLanguage="es-MX", locale="en-US"))

    assert response.status_code == 201, response.content
    assert response.json()["preferredLanguage"] == "es"
    assert User.objects.get(email="jo@contoso.com").locale == "es"


def test_scim_locale_is_read_when_there_is_no_preferred_language(scim):
    response = scim("post", "Users", _scim_user(locale="de_CH"))

    assert response.status_code == 201, response.content
    assert User.objects.get(email="jo@contoso.com").locale == "de"


def test_scim_patch_changes_the_language_and_an_unknown_one_keeps_it(scim):
    person = UserFactory(email="jo@contoso.com", locale="en-gb")

    changed = scim(
        "patch",
        f"Users/{person.pk}",
        {"Operations": [{"op": "Replace", "path": "preferredLanguage", "value": "ar-SA"}]},
    )
    person.refresh_from_db()
    assert changed.status_code == 200, changed.content
    assert person.locale == "ar"

    kept = scim(
        "patch", f"Users/{person.pk}", {"Operations": [{"op": "replace", "value": {"preferredLanguage": "ja-JP"}}]}
    )
    person.refresh_from_db()
    assert kept.status_code == 200, kept.content
    assert person.locale == "ar"


# --- from outside: single sign-on --------------------------------------------------------------------


def _claims(**extra) -> dict:
    return {"email": "sam@example.com", "given_name": "Sam", "family_name": "Smith", **extra}


def test_just_in_time_creation_takes_the_language_from_the_locale_claim(settings):
    settings.SSO_CREATE_USERS = True

    person = sso_user(claims=_claims(locale="fr-CA"), source="OIDC")

    assert person.locale == "fr"


def test_an_unknown_locale_claim_is_ignored_and_the_person_gets_the_default(settings):
    settings.SSO_CREATE_USERS = True

    person = sso_user(claims=_claims(locale="ja-JP"), source="OIDC")

    assert person.locale == settings.LANGUAGE_CODE


def test_signing_in_does_not_change_an_existing_persons_chosen_language(settings):
    person = UserFactory(email="sam@example.com", locale="de")

    signed_in = sso_user(claims=_claims(locale="fr"), source="OIDC")

    assert signed_in == person
    person.refresh_from_db()
    assert person.locale == "de"
