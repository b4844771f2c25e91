"""The default policy of a fresh install can be saved as it is, and a policy telling a compliance
officer it does not name says so when its page opens (eyes 13, C2)."""

from __future__ import annotations

from types import SimpleNamespace

import pytest
from django.urls import reverse

from escalation.demo import name_compliance_officer
from escalation.models import EscalationPolicy, EscalationStep
from escalation.services import policy_ensure_default
from lms.tests.factories import AdminFactory, UserFactory

pytestmark = pytest.mark.django_db


def _unchanged_post(response) -> dict:
    """The edit page's form posted back exactly as it was shown."""
    form, steps = response.context["form"], response.context["steps"]
    data = {}
    for bound in [*form, *[field for step in steps for field in step], *steps.management_form]:
        value = bound.value()
        if isinstance(value, bool):
            if value:
                data[bound.html_name] = "on"
            continue
        if value is None:
            continue
        data[bound.html_name] = bound.field.prepare_value(value) if hasattr(bound.field, "prepare_value") else value
    return data


def test_the_seeded_default_policy_tells_no_compliance_officer_and_saves_unchanged(client):
    policy = EscalationPolicy.objects.get(course_code="")  # seeded by the migrations, as on a fresh install
    assert policy.compliance_officer is None
    assert not policy.steps.filter(notify_compliance_officer=True).exists()
    client.force_login(AdminFactory())
    url = reverse("escalation:policy_edit", args=[policy.pk])
    page = client.get(url)
    assert "tells the compliance officer" not in page.content.decode()

    response = client.post(url, _unchanged_post(page))

    assert response.status_code == 302, response.context["steps"].errors
    assert list(policy.steps.order_by("days_overdue").values_list("days_overdue", "warning_letter")) == [
        (1, False),
        (7, False),
        (14, True),
    ]


def test_policy_ensure_default_makes_a_ladder_telling_no_officer():
    EscalationPolicy.objects.filter(course_code="").delete()

    policy = policy_ensure_default()

    assert policy.compliance_officer is None
    assert policy.steps.count() == 3
    assert not policy.steps.filter(notify_compliance_officer=True).exists()


def test_a_saved_policy_telling_an_absent_officer_warns_when_its_page_opens(client, course):
    policy = EscalationPolicy.objects.create(course_code=course.code, name="Strict")
    EscalationStep.objects.create(policy=policy, days_overdue=3, notify_manager=True)
    step = EscalationStep.objects.create(policy=policy, days_overdue=14, notify_compliance_officer=True)
    client.force_login(AdminFactory())

    content = client.get(reverse("escalation:policy_edit", args=[policy.pk])).content.decode()

    assert (
        "The step at day 14 tells the compliance officer, but this policy names none: choose one in the "
        "“Compliance officer” field above, or untick the box on that step, before saving."
    ) in content
    checkbox = 'id="id_steps-1-notify_compliance_officer"'
    assert 'aria-describedby="id_steps-1-notify_compliance_officer_warning"' in content
    assert content.count('class="table-warning"') == 1 and checkbox in content
    assert 'id="id_steps-1-notify_compliance_officer_warning"' in content
    assert 'id="id_steps-0-notify_compliance_officer_warning"' not in content
    assert step.notify_compliance_officer

    policy.compliance_officer = UserFactory()
    policy.save()
    content = client.get(reverse("escalation:policy_edit", args=[policy.pk])).content.decode()
    assert "tells the compliance officer" not in content and "table-warning" not in content


def test_the_demo_names_a_compliance_officer_whom_the_last_step_tells_and_the_policy_saves(client):
    admin = AdminFactory()
    org = SimpleNamespace(admin=admin)

    name_compliance_officer(org)
    name_compliance_officer(org)  # the demo is seeded again: nothing changes

    policy = EscalationPolicy.objects.get(course_code="")
    assert policy.compliance_officer == admin
    assert list(policy.steps.filter(notify_compliance_officer=True).values_list("days_overdue", flat=True)) == [14]
    client.force_login(admin)
    url = reverse("escalation:policy_edit", args=[policy.pk])
    response = client.post(url, _unchanged_post(client.get(url)))
    assert response.status_code == 302
