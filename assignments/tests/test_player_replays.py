"""Bugs other quiz players shipped, replayed on ours (issue 13 items 5 and 7).

Each test names the public report it replays."""

from __future__ import annotations

import pytest
from django.test import Client
from django.urls import reverse

from assignments.models import Attempt
from assignments.tests.test_saved_answers import _client, _save, open_attempt  # noqa: F401 (fixture)
from courses.tests.factories import answers_for

pytestmark = pytest.mark.django_db


def _form_as_the_browser_sends_it(page) -> dict[str, list[str]]:
    """What a browser posts for the page's form: each field's rendered (restored) value."""
    data: dict[str, list[str]] = {}
    form = page.context["form"]
    for name in form.fields:
        value = form[name].value()
        if value in (None, "", []):
            continue
        data[name] = [str(v) for v in value] if isinstance(value, list | tuple) else [str(value)]
    return data


def test_virtualclass_738_answers_survive_a_reload_and_are_scored_when_submitted(open_attempt):  # noqa: F811
    """congrea/virtualclass#738: after a page refresh the learner's answers were gone, and when they
    submitted, the grade was not calculated from them. Ours restores the saved choices into the form
    after a reload, and submitting that form as it stands scores them."""
    client: Client = _client(open_attempt.assignment.learner)
    for question_id, choice_ids in answers_for(open_attempt).items():
        assert _save(client, open_attempt, question_id, *choice_ids).status_code == 200

    reloaded = client.get(reverse("player_attempt", args=[open_attempt.pk]))
    assert reloaded.status_code == 200

    submitted = client.post(reverse("player_attempt", args=[open_attempt.pk]), _form_as_the_browser_sends_it(reloaded))
    assert submitted.status_code == 302
    open_attempt.refresh_from_db()
    assert open_attempt.status == Attempt.Status.SUBMITTED
    assert open_attempt.score == 100
