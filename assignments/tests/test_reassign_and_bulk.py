"""Re-assigning archived assignments and bulk actions on the list (issue 13 item 14)."""

from __future__ import annotations

import pytest
from django.urls import reverse

from assignments.models import Assignment
from assignments.services.archive import assignment_archive
from courses.tests.factories import AssignmentFactory, CourseFactory
from lms.tests.factories import AdminFactory

pytestmark = pytest.mark.django_db


@pytest.fixture
def admin_client(client):
    client.force_login(AdminFactory())
    return client


def archived(**kwargs) -> Assignment:
    return assignment_archive(assignment=AssignmentFactory(**kwargs), reason="retraining")


def test_reassigning_an_archived_assignment_asks_for_no_archiving_reason(admin_client):
    old = archived()

    page = admin_client.get(reverse("assignments:reassign", args=[old.pk]))
    response = admin_client.post(
        reverse("assignments:reassign", args=[old.pk]), {"due_mode": "after_assignment", "due_days": "10"}
    )

    assert "reason" not in page.context["form"].fields
    assert "Reason for archiving" not in page.content.decode()
    assert response.status_code == 302
    new = Assignment.objects.get(learner=old.learner, archived_at=None)
    assert new.course_code == old.course_code
    old.refresh_from_db()
    assert old.archived_reason == "retraining"  # untouched


def test_reassigning_an_active_assignment_still_asks_why_it_is_archived(admin_client):
    active = AssignmentFactory()

    page = admin_client.get(reverse("assignments:reassign", args=[active.pk]))

    assert "reason" in page.context["form"].fields


def test_an_archived_row_offers_re_assign_only_when_it_can_succeed_and_says_why_not(admin_client):
    course = CourseFactory(code="HS-101")
    free = archived(course=course)
    blocked = archived(course=course)
    current = AssignmentFactory(course=course, learner=blocked.learner)

    html = admin_client.get(reverse("assignments:list"), {"show": "all"}).content.decode()
    history = admin_client.get(
        reverse("person_detail", args=[blocked.learner_id]), {"tab": "training"}
    ).content.decode()

    assert reverse("assignments:reassign", args=[free.pk]) in html
    assert reverse("assignments:reassign", args=[blocked.pk]) not in html
    assert reverse("assignments:reassign", args=[current.pk]) in html
    assert "Assigned again: an active assignment of this course exists" in html
    assert reverse("assignments:reassign", args=[blocked.pk]) not in history
    assert "Assigned again: an active assignment of this course exists" in history


def test_a_blocked_re_assign_link_from_a_bookmark_says_why_and_changes_nothing(admin_client):
    blocked = archived()
    current = AssignmentFactory(course=blocked.course, learner=blocked.learner)

    page = admin_client.get(reverse("assignments:reassign", args=[blocked.pk]))
    posted = admin_client.post(
        reverse("assignments:reassign", args=[blocked.pk]), {"due_mode": "after_assignment", "due_days": "10"}
    )

    assert page.status_code == 200
    assert "already has an active assignment" in page.content.decode()
    assert page.context["form"] is None
    assert posted.status_code == 409
    assert list(Assignment.objects.filter(archived_at=None).values_list("pk", flat=True)) == [current.pk]


def test_a_course_with_no_published_version_offers_no_re_assign(admin_client):
    course = CourseFactory(code="OLD-1", status="retired")
    old = archived(course=course)

    html = admin_client.get(reverse("assignments:list"), {"show": "all"}).content.decode()

    assert reverse("assignments:reassign", args=[old.pk]) not in html
    assert "No published version to re-assign" in html


def test_apply_with_nothing_ticked_says_to_tick_an_assignment(admin_client):
    AssignmentFactory()

    response = admin_client.post(
        reverse("assignments:bulk"), {"action": "notify", "next": "/assignments/"}, follow=True
    )

    html = response.content.decode()
    assert "Tick at least one assignment" in html
    assert "This field is required." not in html


def test_a_failed_bulk_action_keeps_the_rows_ticked_and_the_filters(admin_client):
    rows = AssignmentFactory.create_batch(3, course=CourseFactory(code="HS-101"))
    other = AssignmentFactory(course=CourseFactory(code="GDPR-1"))

    response = admin_client.post(
        reverse("assignments:bulk"),
        {
            "action": "archive",
            "reason": "",
            "note": "policy changed",
            "ids": [rows[0].pk, rows[2].pk],
            "next": "/assignments/?course=HS-101",
        },
        follow=True,
    )

    html = response.content.decode()
    assert response.status_code == 200
    assert "Choose a reason for archiving." in html
    assert f'value="{rows[0].pk}" checked' in html
    assert f'value="{rows[2].pk}" checked' in html
    assert f'value="{rows[1].pk}" checked' not in html
    assert f'value="{other.pk}"' not in html  # still filtered to HS-101
    assert 'value="policy changed"' in html
    assert not Assignment.objects.filter(archived_at__isnull=False).exists()
    assert response.redirect_chain == [("/assignments/?course=HS-101", 302)]
    # shown once: the list opened again is as usual
    assert "Choose a reason for archiving." not in admin_client.get(reverse("assignments:list")).content.decode()


def test_archive_with_nothing_ticked_says_only_to_tick_and_says_it_above_the_rows(admin_client):
    # given a long list and Archive chosen with no reason and no row ticked (the Apply defaults)
    AssignmentFactory.create_batch(3)

    response = admin_client.post(
        reverse("assignments:bulk"), {"action": "archive", "reason": "", "next": "/assignments/"}, follow=True
    )

    html = response.content.decode()
    assert "Tick at least one assignment" in html
    assert "Choose a reason for archiving." not in html
    # the message opens the list (before the table), as an alert the page focuses
    alert = html.index('data-testid="bulk-errors"')
    assert alert < html.index('data-testid="assignment-table"')
    assert 'role="alert" id="bulk-errors" tabindex="-1"' in html


def test_ticked_rows_archived_without_a_reason_ask_only_for_the_reason(admin_client):
    rows = AssignmentFactory.create_batch(2)

    response = admin_client.post(
        reverse("assignments:bulk"),
        {"action": "archive", "reason": "", "ids": [rows[0].pk], "next": "/assignments/"},
        follow=True,
    )

    html = response.content.decode()
    assert "Choose a reason for archiving." in html
    assert "Tick at least one assignment" not in html
