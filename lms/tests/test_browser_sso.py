"""Single sign-on in Chromium through the suite's own identity providers
(lms.tests.identity_providers): the OpenID Connect provider on the live server's 127.0.0.1 address
(its own cookies) and the pysaml2 SAML identity provider's page posting its signed response to
our ACS. The refusals show their message and create nothing."""

from __future__ import annotations

import re

import pytest
from playwright.sync_api import Page, expect

from lms.models import User
from lms.tests.factories import UserFactory
from lms.tests.identity_providers import people_count
from lms.tests.sso_fixtures import configure_saml

from . import sso_fixtures

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]

oidc = sso_fixtures.oidc

JANE = {
    "email": "jane.doe@example.com",
    "given_name": "Jane",
    "family_name": "Doe",
    "employee_id": "E-1001",
    "department": "Finance",
    "job_title": "Accountant",
}


def sign_in_at_the_provider(page: Page, live_server, account_label: str) -> None:
    page.goto(f"{live_server.url}/accounts/login/")
    page.get_by_role("link", name="Sign in with Test IdP").click()
    expect(page.get_by_role("heading", name="Test identity provider")).to_be_visible()
    assert page.url.startswith(live_server.url.replace("localhost", "127.0.0.1"))
    page.get_by_label("Account").select_option(label=account_label)
    page.get_by_role("button", name="Sign in at the provider").click()


def test_a_new_person_signs_in_with_openid_connect_and_is_created(page: Page, live_server, oidc, settings):
    settings.SSO_CREATE_USERS = True
    oidc.add_account("jane", **JANE)

    sign_in_at_the_provider(page, live_server, "jane.doe@example.com")

    expect(page.get_by_role("heading", name="Welcome, Jane")).to_be_visible()
    jane = User.objects.get(email="jane.doe@example.com")
    assert (jane.employee_id, jane.department.name, jane.job_title) == ("E-1001", "Finance", "Accountant")


def test_a_leaver_is_refused_by_openid_connect_with_a_message(page: Page, live_server, oidc):
    UserFactory(email="jane.doe@example.com", first_name="Jane", is_active=False)
    oidc.add_account("jane", **JANE)
    before = people_count()

    sign_in_at_the_provider(page, live_server, "jane.doe@example.com")

    expect(page.get_by_test_id("sso-refused")).to_contain_text("Your account is no longer active")
    expect(page.get_by_role("heading", name="You are not signed in")).to_be_visible()
    assert people_count() == before


SAML_JANE = {"mail": ["jane.doe@example.com"], "givenName": ["Jane"], "sn": ["Doe"], "title": ["Counsel"]}


@pytest.fixture
def saml_idp(live_server, settings, tmp_path):
    idp = configure_saml(settings, base=live_server.url, directory=tmp_path)
    idp.identity = SAML_JANE
    return idp


def test_a_person_signs_in_with_saml(page: Page, live_server, saml_idp):
    UserFactory(email="Jane.Doe@example.com", first_name="Jane")

    page.goto(f"{live_server.url}/accounts/login/")
    page.get_by_role("link", name="Sign in with Test IdP (SAML)").click()
    expect(page.get_by_role("heading", name="Test SAML identity provider")).to_be_visible()
    page.get_by_role("button", name="Continue to the training site").click()

    expect(page.get_by_role("heading", name="Welcome, Jane")).to_be_visible()


def test_a_saml_answer_for_another_service_is_refused_and_creates_nothing(page: Page, live_server, saml_idp, settings):
    settings.SSO_CREATE_USERS = True
    saml_idp.scenario = "wrong_audience"

    page.goto(f"{live_server.url}/accounts/login/")
    page.get_by_role("link", name="Sign in with Test IdP (SAML)").click()
    page.get_by_role("button", name="Continue to the training site").click()

    expect(page.get_by_test_id("sso-refused")).to_contain_text("meant for another service")
    assert people_count() == 0


def test_a_single_sign_on_learner_signs_the_attestation_with_a_fresh_sign_in(page: Page, live_server, oidc, settings):
    from assignments.models import Completion
    from assignments.services.attempts import attempt_start
    from courses.tests.factories import AssignmentFactory, make_course
    from courses.tests.test_browser_learner import answer

    settings.SSO_DOMAINS = ["example.com"]
    settings.SSO_PASSWORD_LOGIN = False
    jane = UserFactory(email="jane.doe@example.com", first_name="Jane", last_name="Doe")
    course = make_course(title="Anti-bribery", questions=2, compliance_critical=True)
    attempt = attempt_start(
        assignment=AssignmentFactory(learner=jane, course=course), quiz=course.quizzes.get(kind="final")
    )
    oidc.add_account("jane", **JANE)
    sign_in_at_the_provider(page, live_server, "jane.doe@example.com")
    expect(page.get_by_role("heading", name="Welcome, Jane")).to_be_visible()

    # the attempt asks for a fresh sign-in, not a password; the answers wait while she gives it
    page.goto(f"{live_server.url}/courses/learn/attempts/{attempt.pk}/")
    answer(page, right=True)
    page.wait_for_load_state("networkidle")
    expect(page.get_by_label("Your password")).to_have_count(0)
    page.get_by_role("link", name="Confirm who I am with single sign-on").click()
    expect(page.get_by_role("heading", name="Test identity provider")).to_be_visible()
    page.get_by_label("Account").select_option(label="jane.doe@example.com")
    page.get_by_role("button", name="Sign in at the provider").click()

    expect(page.get_by_test_id("sso-attestation")).to_contain_text("You have just confirmed who you are")
    page.get_by_label(re.compile("I confirm that I am Jane Doe")).check()
    page.get_by_role("button", name="Submit answers").click()

    expect(page.get_by_test_id("result-summary")).to_contain_text("Passed")
    assert Completion.objects.get(learner=jane).attested_at is not None
