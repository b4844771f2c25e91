"""The ladder editor tells its rules on the rows that break them (issue 13 item 16)."""

from __future__ import annotations

import pytest
from django.urls import reverse

from escalation.models import EscalationPolicy, EscalationStep
from lms.tests.factories import AdminFactory, UserFactory

pytestmark = pytest.mark.django_db


def _post(course_code: str, steps: list[dict], **policy) -> dict:
    data = {
        "name": "Strict",
        "course_code": course_code,
        "reminder_days": "7, 1",
        "retake_deadline_days": 7,
        "attempts_after_review": 1,
        "clean_slate_due_days": 30,
        "steps-TOTAL_FORMS": len(steps),
        "steps-INITIAL_FORMS": 0,
        "steps-MIN_NUM_FORMS": 0,
        "steps-MAX_NUM_FORMS": 1000,
        **policy,
    }
    for index, step in enumerate(steps):
        data |= {f"steps-{index}-{name}": value for name, value in ({"new_deadline_days": 7} | step).items()}
    return data


def test_two_steps_on_one_day_are_each_marked_with_a_message_on_their_day(client, course):
    client.force_login(AdminFactory())
    steps = [{"days_overdue": 14, "notify_manager": "on"}, {"days_overdue": 3}, {"days_overdue": 14}]

    response = client.post(reverse("escalation:policy_create"), _post(course.code, steps))

    assert response.status_code == 200
    formset = response.context["steps"]
    message = "2 steps are 14 days overdue (rows 1 and 3): each step needs its own day."
    assert [form.errors for form in formset.forms] == [{"days_overdue": [message]}, {}, {"days_overdue": [message]}]
    assert formset.non_form_errors() == []
    content = response.content.decode()
    assert "Please correct the duplicate data" not in content
    assert content.count('<tr class="table-danger">') == 2
    assert 'id="id_steps-0-days_overdue" value="14" class="form-control is-invalid"' in content
    assert 'aria-invalid="true" aria-describedby="id_steps-2-days_overdue_error"' in content
    assert "Some steps need a change: see the marked rows." in content
    assert not EscalationPolicy.objects.filter(course_code=course.code).exists()


def test_a_step_on_one_day_overdue_twice_says_day_not_days(client, course):
    client.force_login(AdminFactory())

    response = client.post(reverse("escalation:policy_create"), _post(course.code, [{"days_overdue": 1}] * 2))

    assert response.context["steps"].forms[1].errors["days_overdue"] == [
        "2 steps are 1 day overdue (rows 1 and 2): each step needs its own day."
    ]


def test_a_step_telling_the_compliance_officer_is_refused_while_the_policy_names_none(client, course):
    client.force_login(AdminFactory())
    steps = [{"days_overdue": 1, "notify_manager": "on"}, {"days_overdue": 14, "notify_compliance_officer": "on"}]

    response = client.post(reverse("escalation:policy_create"), _post(course.code, steps))

    assert response.status_code == 200
    assert [form.errors for form in response.context["steps"].forms] == [
        {},
        {
            "notify_compliance_officer": [
                "This policy has no compliance officer to tell: choose one in the “Compliance officer” field "
                "above, or untick this box."
            ]
        },
    ]
    assert 'class="form-check-input is-invalid"' in response.content.decode()
    assert not EscalationPolicy.objects.filter(course_code=course.code).exists()

    officer = UserFactory()
    response = client.post(
        reverse("escalation:policy_create"), _post(course.code, steps, compliance_officer=officer.pk)
    )
    assert response.status_code == 302
    policy = EscalationPolicy.objects.get(course_code=course.code)
    assert policy.compliance_officer == officer
    assert list(policy.steps.values_list("days_overdue", "notify_compliance_officer")) == [(1, False), (14, True)]


def test_clearing_the_compliance_officer_marks_the_steps_that_would_tell_them(client, course):
    officer = UserFactory()
    policy = EscalationPolicy.objects.create(course_code=course.code, name="Strict", compliance_officer=officer)
    step = EscalationStep.objects.create(policy=policy, days_overdue=14, notify_compliance_officer=True)
    client.force_login(AdminFactory())
    data = _post(
        course.code,
        [{"id": step.pk, "policy": policy.pk, "days_overdue": 14, "notify_compliance_officer": "on"}],
        **{"steps-INITIAL_FORMS": 1},
    )

    response = client.post(reverse("escalation:policy_edit", args=[policy.pk]), data)

    assert response.status_code == 200
    assert list(response.context["steps"].forms[0].errors) == ["notify_compliance_officer"]
    policy.refresh_from_db()
    assert policy.compliance_officer == officer


def test_a_made_up_saved_step_on_a_new_policy_is_refused_not_dropped(client, course):
    # fix_misc item 5: steps-0-id=1 with INITIAL_FORMS=1 on the create page.
    client.force_login(AdminFactory())
    data = _post(course.code, [{"days_overdue": 5, "notify_manager": "on", "id": 1}], **{"steps-INITIAL_FORMS": 1})

    response = client.post(reverse("escalation:policy_create"), data)

    assert response.status_code == 200
    assert response.context["steps"].non_form_errors() == [
        "Row 1 names a step this policy does not have (the page may be out of date): nothing was saved. "
        "Reload the page and enter the step again."
    ]
    assert "nothing was saved" in response.content.decode()
    assert not EscalationPolicy.objects.filter(course_code=course.code).exists()
