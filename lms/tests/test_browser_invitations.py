"""Invitations in a real browser (issue 14): a person imported by CSV gets one welcome email, opens
its link in Chromium, sets a password and lands on their training; the link then refuses a second
use, and a second import sends nothing more."""

from __future__ import annotations

import datetime as dt
import re

import pytest
from django.conf import settings
from django.core import mail
from playwright.sync_api import Page, expect

from assignments.models import AssignmentRule
from assignments.services.imports import import_run
from courses.tests.factories import make_course
from escalation.dispatch import run_dispatch
from escalation.models import Notification
from lms.models import Department, User

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]

PASSWORD = "harbour-lantern-1987"
CSV = (
    b"email,first_name,last_name,employee_id,manager_email,department,job_title,hire_date,timezone\n"
    b"robin@example.com,Robin,Ashworth,E-77,,Warehouse,Picker,2026-01-05,Europe/London\n"
)


def test_a_person_imported_by_csv_sets_a_password_from_the_invitation_and_lands_on_their_training(
    page: Page, live_server
):
    # given a rule that gives Warehouse people forklift safety, and a file that adds Robin there
    warehouse = Department.objects.create(name="Warehouse")
    course = make_course(title="Forklift safety", questions=1)
    AssignmentRule.objects.create(name="Warehouse", course=course, department=warehouse, starts_on=dt.date(2026, 1, 1))
    assert import_run(kind="users", data=CSV, dry_run=True).summary["invitations"] == 1
    assert import_run(kind="users", data=CSV, dry_run=False).applied

    # the dispatcher sends exactly one welcome, and a second import and run send nothing more
    run_dispatch()
    import_run(kind="users", data=CSV, dry_run=False)
    run_dispatch()
    [welcome] = [m for m in mail.outbox if m.subject.startswith("Welcome to ")]
    assert welcome.to == ["robin@example.com"]
    assert Notification.objects.filter(kind=Notification.Kind.INVITATION).count() == 1
    link = re.search(r"(https?://\S+/accounts/invitation/\S+/)", welcome.body).group(1)
    link = link.replace(settings.SITE_URL, live_server.url)

    # Robin opens the link, chooses a password and is signed in on their training
    page.goto(link)
    expect(page.get_by_role("heading", name="Set your password")).to_be_visible()
    page.get_by_role("textbox", name=re.compile(r"^New password\W*$")).fill(PASSWORD)
    page.get_by_role("textbox", name=re.compile(r"^New password confirmation")).fill(PASSWORD)
    page.get_by_role("button", name="Set password and sign in").click()
    expect(page).to_have_url(f"{live_server.url}/")
    expect(page.get_by_text("Your password is set. Welcome, Robin.")).to_be_visible()
    expect(page.get_by_test_id("my-training")).to_contain_text("Forklift safety")
    assert User.objects.get(email="robin@example.com").check_password(PASSWORD)

    # the same link again, signed out: refused, with a way to get a new one
    page.context.clear_cookies()
    page.goto(link)
    expect(page.get_by_role("heading", name="This invitation link cannot be used")).to_be_visible()
    expect(page.get_by_role("button", name="Send a new link")).to_be_visible()
    expect(page.get_by_role("textbox", name=re.compile(r"^New password"))).to_have_count(0)
