"""An admin registers a webhook in a real browser, copies its secret, and reads the delivery log
once a learner passes; the receiver is real (http.server on a loopback port) and checks the
signature with the secret the page showed."""

from __future__ import annotations

import pytest
from django.db import transaction
from playwright.sync_api import Page, expect

from escalation.tests.test_webhooks import Receiver, pass_course
from lms.tests.factories import AdminFactory
from lms.tests.test_browser import log_in

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]


def test_an_admin_registers_a_webhook_and_reads_its_delivery_log(page: Page, live_server, settings):
    settings.WEBHOOK_ALLOW_LOOPBACK = True
    AdminFactory(email="admin@example.com")
    with Receiver() as receiver:
        log_in(page, live_server, "admin@example.com")
        page.get_by_role("button", name="Admin").click()
        page.get_by_role("link", name="Webhooks").click()
        page.get_by_role("link", name="Register an endpoint").click()
        page.get_by_label("Name").fill("HR warehouse")
        page.get_by_label("Address (URL)").fill("https://10.0.0.8/hook")
        page.get_by_label("Completion recorded").check()
        page.get_by_role("button", name="Save").click()
        # A private address is refused on its field, and nothing is registered.
        expect(page.get_by_text("is a private or internal address")).to_be_visible()
        page.get_by_label("Address (URL)").fill(receiver.url)
        page.get_by_role("button", name="Save").click()

        secret = page.get_by_test_id("webhook-secret").inner_text().strip()
        assert secret.startswith("whsec_")
        receiver.secret = secret
        page.reload()
        expect(page.get_by_test_id("webhook-secret")).to_have_count(0)  # shown once
        expect(page.get_by_text("Nothing sent yet.")).to_be_visible()

        with transaction.atomic():
            completion = pass_course()
        # The commit asked the (eager) worker to send it.
        assert len(receiver.requests) == 1 and receiver.requests[0]["valid"]
        page.reload()
        log = page.get_by_role("table")
        expect(log).to_contain_text("Completion recorded")
        expect(log).to_contain_text("Delivered")
        expect(log).to_contain_text(receiver.requests[0]["event_id"])
        assert receiver.requests[0]["body"]["data"]["completion"]["id"] == completion.pk
