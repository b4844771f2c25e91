"""The case file in words (eyes 14, F6): a leaver's archived assignment reads "Archived: Learner
left.", the kind named once."""

from __future__ import annotations

import pytest
from django.urls import reverse

from courses.tests.factories import AssignmentFactory
from escalation.models import EscalationEvent
from lms.services import user_deactivate
from lms.tests.factories import AdminFactory

pytestmark = pytest.mark.django_db


def test_an_archived_assignment_names_its_reason_once(client, django_capture_on_commit_callbacks):
    assignment = AssignmentFactory()
    with django_capture_on_commit_callbacks(execute=True):
        user_deactivate(user=assignment.learner)

    event = EscalationEvent.objects.get(assignment=assignment, kind="archived")
    assert event.reason == "Learner left."
    client.force_login(AdminFactory())
    response = client.get(reverse("escalation:case_file", args=[assignment.pk]))
    assert response.status_code == 200
    case_file = response.content.decode()
    assert "Learner left." in case_file and "Archived: Archived" not in case_file
