"""One capitalised label per state on every page (fix_eyes E6): the assignment list's filter and
rows and the learner's history say "Completed", "Overdue", as the dashboard does."""

from __future__ import annotations

import datetime as dt

import pytest
from django.urls import reverse
from django.utils import timezone

from assignments.state import STATE_LABELS
from courses.tests.factories import AssignmentFactory, CompletionFactory
from lms.tests.factories import AdminFactory

pytestmark = pytest.mark.django_db


def overdue(**kwargs):
    assigned = timezone.now() - dt.timedelta(days=40)
    return AssignmentFactory(assigned_at=assigned, due_date=timezone.localdate() - dt.timedelta(days=3), **kwargs)


def test_the_assignment_list_filter_and_rows_use_the_capitalised_labels(client):
    today = timezone.localdate()
    late = overdue()
    done = AssignmentFactory(due_date=today + dt.timedelta(days=3))
    CompletionFactory(assignment=done, learner=done.learner, course=done.course)
    done.status = "completed"
    done.save(update_fields=["status"])
    client.force_login(AdminFactory())

    html = client.get(reverse("assignments:list")).content.decode()

    assert '<option value="overdue">Overdue</option>' in html
    assert '<option value="completed">Completed</option>' in html
    assert '<option value="expiring">Expiring soon</option>' in html
    assert '<span class="badge text-bg-danger">Overdue</span>' in html
    assert '<span class="badge text-bg-success">Completed</span>' in html
    for word in ("completed", "overdue", "due", "expiring"):
        assert f">{word}<" not in html
    assert late.pk


def test_the_learner_history_uses_the_same_labels(client):
    late = overdue()
    client.force_login(late.learner)

    html = client.get(reverse("assignments:my_history")).content.decode()

    assert '<span class="badge text-bg-danger">Overdue</span>' in html
    assert ">overdue<" not in html


def test_every_state_has_one_capitalised_label():
    assert all(str(label)[0].isupper() for label in STATE_LABELS.values())
