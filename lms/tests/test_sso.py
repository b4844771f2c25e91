"""Single sign-on against real providers inside the suite (lms.tests.identity_providers): an OpenID
Connect provider (django-oauth-toolkit, RS256 ID tokens fetched over HTTP from the live server) and
a SAML identity provider (pysaml2's server, signed with a key made for the test). No part of either
protocol is mocked."""

from __future__ import annotations

import datetime as dt
from urllib.parse import parse_qs, urlsplit

import pytest
import time_machine
from django.contrib.sessions.backends.db import SessionStore
from django.core import mail
from django.test import Client
from saml2 import BINDING_HTTP_REDIRECT

from lms.models import AuditEntry, Department, SsoAssertion, User
from lms.sso import SESSION_AUTH_AT, SESSION_METHOD
from lms.tests import sso_fixtures
from lms.tests.factories import TEST_PASSWORD, UserFactory
from lms.tests.identity_providers import people_count
from lms.tests.sso_fixtures import authorize_query, oidc_sign_in, saml_post, saml_start

oidc = sso_fixtures.oidc
saml = sso_fixtures.saml

JANE = {
    "email": "Jane.Doe@Example.com",
    "email_verified": True,
    "given_name": "Jane",
    "family_name": "Doe",
    "employee_id": "E-1001",
    "department": "Finance",
    "job_title": "Accountant",
    "manager_email": "boss@example.com",
}


def logged_in_as(client: Client) -> User | None:
    user_id = client.session.get("_auth_user_id")
    return User.objects.filter(pk=user_id).first() if user_id else None


# --- OpenID Connect ----------------------------------------------------------------------------


@pytest.mark.django_db(transaction=True)
class TestOpenIdConnect:
    def test_matches_an_existing_person_by_email_whatever_the_case(self, client, oidc):
        person = UserFactory(email="jane.doe@example.com")
        oidc.add_account("jane", **JANE)

        response = oidc_sign_in(client, oidc, "jane")

        assert response.status_code == 302 and response["Location"] == "/"
        assert logged_in_as(client) == person
        assert client.session[SESSION_METHOD] == "oidc"
        assert client.session[SESSION_AUTH_AT]
        assert people_count() == 1

    def test_the_request_uses_pkce_a_nonce_and_the_client_id(self, client, oidc):
        query = authorize_query(client.get("/oidc/authenticate/"))
        assert query["client_id"] == ["lms-test-client"]
        assert query["response_type"] == ["code"]
        assert query["code_challenge_method"] == ["S256"] and query["nonce"] and query["state"]
        assert "prompt" not in query

    def test_an_unknown_person_is_refused_and_nothing_is_created(self, client, oidc):
        oidc.add_account("jane", **JANE)
        before = people_count()

        response = oidc_sign_in(client, oidc, "jane")

        assert response.status_code == 403
        assert "There is no account for Jane.Doe@Example.com here" in response.content.decode()
        assert logged_in_as(client) is None
        assert people_count() == before

    def test_a_leaver_is_refused_with_a_message(self, client, oidc):
        UserFactory(email="jane.doe@example.com", is_active=False)
        oidc.add_account("jane", **JANE)

        response = oidc_sign_in(client, oidc, "jane")

        assert response.status_code == 403
        assert "Your account is no longer active" in response.content.decode()
        assert logged_in_as(client) is None

    def test_just_in_time_creation_maps_the_claims_through_the_services(self, client, oidc, settings):
        settings.SSO_CREATE_USERS = True
        settings.SSO_DOMAINS = ["example.com"]
        boss = UserFactory(email="Boss@example.com")
        oidc.add_account("jane", **JANE)

        response = oidc_sign_in(client, oidc, "jane")

        assert response.status_code == 302
        jane = User.objects.get(email__iexact="jane.doe@example.com")
        assert logged_in_as(client) == jane
        assert (jane.first_name, jane.last_name, jane.employee_id, jane.job_title) == (
            "Jane",
            "Doe",
            "E-1001",
            "Accountant",
        )
        assert jane.department == Department.objects.get(name="Finance")
        assert jane.manager == boss
        assert not jane.has_usable_password()
        # the services' audit row, naming single sign-on
        row = AuditEntry.objects.get(object_id=str(jane.pk), changes__has_key="manager")
        assert "single sign-on (OIDC)" in row.reason

    def test_just_in_time_creation_refused_creates_nothing(self, client, oidc, settings):
        settings.SSO_CREATE_USERS = True
        UserFactory(email="someone@example.com", employee_id="E-1001")
        oidc.add_account("jane", **JANE)
        before, departments = people_count(), Department.objects.count()

        response = oidc_sign_in(client, oidc, "jane")

        assert response.status_code == 403
        assert "employee" in response.content.decode().lower()
        assert people_count() == before and Department.objects.count() == departments
        assert logged_in_as(client) is None

    def test_a_callback_replayed_is_refused_with_a_message(self, client, oidc):
        UserFactory(email="jane.doe@example.com")
        oidc.add_account("jane", **JANE)
        response = client.get("/oidc/authenticate/")
        state = authorize_query(response)["state"][0]
        client.logout()

        replayed = client.get(f"/oidc/callback/?code=abc&state={state}")

        assert replayed.status_code == 403
        assert "Single sign-on did not complete" in replayed.content.decode()
        assert logged_in_as(client) is None

    def test_a_forged_or_used_code_is_refused_with_a_message(self, client, oidc):
        UserFactory(email="jane.doe@example.com")
        oidc.add_account("jane", **JANE)
        state = authorize_query(client.get("/oidc/authenticate/"))["state"][0]

        response = client.get(f"/oidc/callback/?code=forged-code&state={state}")

        assert response.status_code == 403
        assert "did not confirm this sign-in" in response.content.decode()
        assert logged_in_as(client) is None

    def test_the_same_authorization_code_twice_signs_in_once(self, client, oidc):
        UserFactory(email="jane.doe@example.com")
        oidc.add_account("jane", **JANE)
        first = oidc_sign_in(client, oidc, "jane")
        assert first.status_code == 302
        code_query = first.wsgi_request.GET.urlencode()
        other = Client()

        replayed = other.get(f"/oidc/callback/?{code_query}")

        assert replayed.status_code == 403
        assert logged_in_as(other) is None

    def test_the_endpoints_can_come_from_the_providers_discovery_document(self, client, oidc, settings):
        person = UserFactory(email="jane.doe@example.com")
        oidc.add_account("jane", **JANE)
        settings.OIDC_OP_DISCOVERY_URL = f"{oidc.op_base}/test-op/.well-known/openid-configuration"
        for name in ("AUTHORIZATION", "TOKEN", "USER", "JWKS"):
            setattr(settings, f"OIDC_OP_{name}_ENDPOINT", "")

        response = oidc_sign_in(client, oidc, "jane")

        assert response.status_code == 302
        assert logged_in_as(client) == person

    def test_an_unreachable_discovery_document_is_a_message(self, client, oidc, settings):
        settings.OIDC_OP_DISCOVERY_URL = f"{oidc.op_base}/test-op/no-such-document"
        settings.OIDC_OP_AUTHORIZATION_ENDPOINT = ""

        response = client.get("/oidc/authenticate/")

        assert response.status_code == 503
        assert "cannot be reached just now" in response.content.decode()

    def test_reauthentication_asks_the_provider_for_a_fresh_login(self, client, oidc):
        person = UserFactory(email="jane.doe@example.com")
        client.force_login(person)
        response = client.get("/accounts/sso/reauthenticate/?next=/courses/learn/")
        assert response.status_code == 302
        query = authorize_query(client.get(response["Location"]))
        assert query["prompt"] == ["login"] and query["max_age"] == ["300"]


def test_sign_in_pages_say_so_until_configured(client, db):
    for url in ("/oidc/authenticate/", "/oidc/callback/", "/saml2/login/", "/saml2/metadata/"):
        response = client.get(url, follow=True)
        assert response.redirect_chain == [("/accounts/login/", 302)], url
        assert "Single sign-on is not set up on this site" in response.content.decode()
    assert client.post("/saml2/acs/", {"SAMLResponse": "x"}).status_code == 302
    page = client.get("/accounts/login/").content.decode()
    assert "Sign in with" not in page


def test_the_login_page_offers_each_configured_protocol(client, oidc, saml):
    page = client.get("/accounts/login/?next=/courses/").content.decode()
    assert 'href="/oidc/authenticate/?next=/courses/"' in page
    assert 'href="/saml2/login/?next=/courses/"' in page
    assert "Sign in with Test IdP" in page


# --- SAML 2.0 ----------------------------------------------------------------------------------


SAML_JANE = {
    "email": ["jane.doe@example.com"],
    "givenName": ["Jane"],
    "sn": ["Doe"],
    "employeeNumber": ["E-2002"],
    "department": ["Legal"],
    "title": ["Counsel"],
}


def saml_answer(client, idp, *, scenario="good", identity=None):
    request_id = saml_start(client, idp)
    idp.identity = identity or SAML_JANE
    return idp.respond(
        in_response_to=request_id,
        destination="http://testserver/saml2/acs/",
        sp_entity_id="http://testserver/saml2/metadata/",
        scenario=scenario,
    )


@pytest.mark.django_db
class TestSaml:
    def test_a_signed_assertion_signs_the_person_in(self, client, saml):
        person = UserFactory(email="Jane.Doe@example.com")

        response = saml_post(client, saml_answer(client, saml), "/")

        assert response.status_code == 302 and response["Location"] == "/"
        assert logged_in_as(client) == person
        assert client.session[SESSION_METHOD] == "saml"
        assert SsoAssertion.objects.count() == 1

    def test_metadata_names_our_acs(self, client, saml):
        metadata = client.get("/saml2/metadata/").content.decode()
        assert "http://testserver/saml2/acs/" in metadata

    def test_just_in_time_creation_maps_the_attributes(self, client, saml, settings):
        settings.SSO_CREATE_USERS = True

        response = saml_post(client, saml_answer(client, saml))

        assert response.status_code == 302
        jane = User.objects.get(email="jane.doe@example.com")
        assert logged_in_as(client) == jane
        assert (jane.employee_id, jane.department.name, jane.job_title) == ("E-2002", "Legal", "Counsel")

    @pytest.mark.parametrize(
        ("scenario", "message"),
        [
            ("wrong_audience", "meant for another service"),
            ("unsigned", "not signed by the identity provider we trust"),
            ("forged", "not signed by the identity provider we trust"),
        ],
    )
    def test_bad_answers_are_refused_with_a_message_and_nothing_created(
        self, client, saml, settings, scenario, message
    ):
        settings.SSO_CREATE_USERS = True
        before = people_count()

        response = saml_post(client, saml_answer(client, saml, scenario=scenario))

        assert response.status_code == 403
        assert message in response.content.decode()
        assert logged_in_as(client) is None
        assert people_count() == before

    def test_an_expired_assertion_is_refused(self, client, saml, settings):
        settings.SSO_CREATE_USERS = True
        request_id = saml_start(client, saml)
        saml.identity = SAML_JANE
        with time_machine.travel(dt.datetime.now(dt.UTC) - dt.timedelta(hours=1), tick=False):
            old = saml.respond(
                in_response_to=request_id,
                destination="http://testserver/saml2/acs/",
                sp_entity_id="http://testserver/saml2/metadata/",
            )

        response = saml_post(client, old)

        assert response.status_code == 403
        assert "has expired" in response.content.decode()
        assert people_count() == 0

    def test_a_replayed_response_is_refused(self, client, saml):
        UserFactory(email="jane.doe@example.com")
        answer = saml_answer(client, saml)
        assert saml_post(client, answer).status_code == 302
        client.logout()

        replayed = saml_post(client, answer)

        assert replayed.status_code == 403
        assert "does not match a sign-in started here" in replayed.content.decode()
        assert logged_in_as(client) is None

    def test_an_assertion_used_twice_is_refused_even_when_the_session_would_accept_it(self, client, saml):
        # Two posts of one response racing through the same outstanding request: the session
        # still holds the request for the second, the assertion store refuses it.
        UserFactory(email="jane.doe@example.com")
        answer = saml_answer(client, saml)
        saml_key = client.cookies["saml_session"].value
        snapshot = SessionStore(saml_key).load()
        assert saml_post(client, answer).status_code == 302
        client.logout()
        store = SessionStore(saml_key)
        store.update(snapshot)
        store.save()
        client.cookies["saml_session"] = saml_key

        replayed = saml_post(client, answer)

        assert replayed.status_code == 403
        assert "has been used already" in replayed.content.decode()
        assert logged_in_as(client) is None

    @pytest.mark.parametrize("value", ["", "not base64 at all", "PHNhbWw+", "\x00" * 3, "A" * 200_000])
    def test_garbage_posted_to_the_acs_is_a_message_not_an_error(self, client, saml, value):
        saml_start(client, saml)

        response = saml_post(client, value)

        assert response.status_code in (400, 403)
        assert logged_in_as(client) is None

    def test_a_leaver_is_refused(self, client, saml):
        UserFactory(email="jane.doe@example.com", is_active=False)

        response = saml_post(client, saml_answer(client, saml))

        assert response.status_code == 403
        assert "no longer active" in response.content.decode()

    def test_reauthentication_asks_for_force_authn(self, client, saml):
        person = UserFactory(email="jane.doe@example.com")
        client.force_login(person)
        response = client.get("/accounts/sso/reauthenticate/?next=/")
        login = client.get(response["Location"])
        query = parse_qs(urlsplit(login["Location"]).query)
        request = saml.server().parse_authn_request(query["SAMLRequest"][0], BINDING_HTTP_REDIRECT)
        assert request.message.force_authn == "true"


# --- password login for single sign-on domains ------------------------------------------------


@pytest.mark.django_db
class TestPasswordLoginSwitchedOff:
    def test_the_login_form_says_use_single_sign_on(self, client, settings):
        settings.SSO_DOMAINS = ["example.com"]
        settings.SSO_PASSWORD_LOGIN = False
        UserFactory(email="jane.doe@example.com")

        response = client.post("/accounts/login/", {"username": "Jane.Doe@EXAMPLE.com", "password": TEST_PASSWORD})

        assert response.status_code == 200
        assert "sign in with single sign-on, not a password" in response.content.decode()
        assert logged_in_as(client) is None

    def test_other_domains_still_log_in_with_a_password(self, client, settings):
        settings.SSO_DOMAINS = ["example.com"]
        settings.SSO_PASSWORD_LOGIN = False
        person = UserFactory(email="contractor@elsewhere.org")

        client.post("/accounts/login/", {"username": "contractor@elsewhere.org", "password": TEST_PASSWORD})

        assert logged_in_as(client) == person

    def test_on_by_default(self, client, settings):
        settings.SSO_DOMAINS = ["example.com"]
        person = UserFactory(email="jane.doe@example.com")
        client.post("/accounts/login/", {"username": "jane.doe@example.com", "password": TEST_PASSWORD})
        assert logged_in_as(client) == person

    def test_password_reset_sends_no_link(self, client, settings):
        settings.SSO_DOMAINS = ["example.com"]
        settings.SSO_PASSWORD_LOGIN = False
        UserFactory(email="jane.doe@example.com")

        response = client.post("/accounts/password/reset/", {"email": "jane.doe@example.com"})

        assert response.status_code == 302
        assert mail.outbox == []


# --- the attestation of a compliance-critical assessment --------------------------------------


@pytest.mark.django_db(transaction=True)
class TestAttestationWithSingleSignOn:
    """Decision (README, Trust and security): a person who cannot log in with a password signs the
    attestation with a fresh sign-in at the identity provider (prompt=login, max_age), accepted
    for SSO_REAUTH_MAX_AGE seconds and for one submission; everyone else re-enters the password."""

    @pytest.fixture
    def final_attempt(self, settings):
        from assignments.services.attempts import attempt_start
        from courses.tests.factories import AssignmentFactory, make_course

        settings.SSO_DOMAINS = ["example.com"]
        settings.SSO_PASSWORD_LOGIN = False
        jane = UserFactory(email="jane.doe@example.com", first_name="Jane", last_name="Doe")
        course = make_course(title="Anti-bribery", questions=2, compliance_critical=True)
        assignment = AssignmentFactory(learner=jane, course=course)
        return attempt_start(assignment=assignment, quiz=course.quizzes.get(kind="final"))

    def _post(self, client, attempt):
        from courses.tests.factories import answers_for

        data = {f"q_{q}": [str(c) for c in choices] for q, choices in answers_for(attempt).items()}
        return client.post(f"/courses/learn/attempts/{attempt.pk}/", {**data, "attest": "on"})

    def test_needs_a_fresh_sign_in_at_the_provider_not_a_password(self, client, oidc, final_attempt):
        from assignments.models import Attempt

        oidc.add_account("jane", **JANE)
        assert oidc_sign_in(client, oidc, "jane").status_code == 302
        attempt_url = f"/courses/learn/attempts/{final_attempt.pk}/"
        page = client.get(attempt_url).content.decode()
        assert 'type="password"' not in page
        assert "Confirm who I am with single sign-on" in page

        # the sign-in that opened the session does not sign an attestation
        refused = self._post(client, final_attempt)
        assert refused.status_code == 200
        assert "Confirm who you are with single sign-on first" in refused.content.decode()
        final_attempt.refresh_from_db()
        assert final_attempt.status != Attempt.Status.SUBMITTED

        # a fresh sign-in, asked for with prompt=login, does; once
        reauth = client.get(f"/accounts/sso/reauthenticate/?next={attempt_url}")
        assert oidc_sign_in(client, oidc, "jane", start=reauth["Location"])["Location"] == attempt_url
        assert "You have just confirmed who you are" in client.get(attempt_url).content.decode()
        submitted = self._post(client, final_attempt)
        assert submitted.status_code == 302
        final_attempt.refresh_from_db()
        assert final_attempt.status == Attempt.Status.SUBMITTED and final_attempt.attested_at is not None
        assert not client.session.get("lms_sso_reauth")

    def test_a_sign_in_older_than_the_max_age_is_refused(self, client, oidc, final_attempt, settings):
        oidc.add_account("jane", **JANE)
        attempt_url = f"/courses/learn/attempts/{final_attempt.pk}/"
        oidc_sign_in(client, oidc, "jane")
        reauth = client.get(f"/accounts/sso/reauthenticate/?next={attempt_url}")
        oidc_sign_in(client, oidc, "jane", start=reauth["Location"])
        session = client.session
        session[SESSION_AUTH_AT] -= settings.SSO_REAUTH_MAX_AGE + 1
        session.save()

        refused = self._post(client, final_attempt)

        assert "Confirm who you are with single sign-on first" in refused.content.decode()

    def test_people_with_password_login_keep_the_password(self, client, oidc, final_attempt, settings):
        settings.SSO_PASSWORD_LOGIN = True
        client.force_login(final_attempt.assignment.learner)
        page = client.get(f"/courses/learn/attempts/{final_attempt.pk}/").content.decode()
        assert 'type="password"' in page
        assert "Confirm who I am with single sign-on" not in page
