"""An admin makes an API token in a real browser, an integration uses it over HTTP, and the admin
revokes it: from then on the integration gets 401."""

from __future__ import annotations

import json
import urllib.error
import urllib.request

import pytest
from playwright.sync_api import Page, expect

from lms.tests.factories import AdminFactory
from lms.tests.test_browser import log_in

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]


def _get(url: str, token: str) -> tuple[int, dict]:
    request = urllib.request.Request(url, headers={"Authorization": f"Bearer {token}"})
    try:
        with urllib.request.urlopen(request, timeout=20) as response:
            return response.status, json.loads(response.read())
    except urllib.error.HTTPError as error:
        return error.code, json.loads(error.read())


def test_an_admin_makes_a_token_an_integration_uses_it_and_the_admin_revokes_it(page: Page, live_server):
    AdminFactory(email="admin@example.com", first_name="Ada")
    log_in(page, live_server, "admin@example.com")

    page.goto(f"{live_server.url}/api/tokens/")
    page.get_by_role("textbox", name="Name").fill("Power BI nightly load")
    page.get_by_label("Read people (names, emails, departments, managers)").check()
    page.get_by_role("button", name="Make the token").click()
    expect(page.get_by_role("status")).to_contain_text("shown only on this page")
    secret = page.get_by_label("Token").input_value()
    assert secret.startswith("lms_")

    status, body = _get(f"{live_server.url}/api/v1/people/", secret)
    assert status == 200 and body["results"][0]["email"] == "admin@example.com"
    status, body = _get(f"{live_server.url}/api/v1/completions/", secret)
    assert (status, body["scope"]) == (403, "training:read")

    page.get_by_role("link", name="Back to the API tokens").click()
    row = page.get_by_role("row", name="Power BI nightly load")
    expect(row).to_contain_text("people:read")
    expect(row).not_to_contain_text(secret)
    row.get_by_role("button", name="Revoke Power BI nightly load").click()
    expect(page.get_by_text("no longer works")).to_be_visible()

    status, body = _get(f"{live_server.url}/api/v1/people/", secret)
    assert status == 401 and body["type"].endswith("#problem-not-authenticated")
