from __future__ import annotations

import pytest
from django.core.management import call_command

from lms.models import User
from lms.selectors import managers_above

pytestmark = pytest.mark.django_db


def test_seed_demo_builds_teams_under_leaders_and_is_idempotent(capsys):
    call_command("seed_demo", learners=25, seed=7)
    first = User.objects.count()
    output = capsys.readouterr().out
    for email in ["admin@example.com", "director@example.com", "teamlead@example.com", "learner@example.com"]:
        assert email in output

    call_command("seed_demo", learners=25, seed=7, url="http://127.0.0.1:8123/")
    assert User.objects.count() == first
    assert "Log in at http://127.0.0.1:8123/ " in capsys.readouterr().out

    lead = User.objects.get(email="teamlead@example.com")
    assert 6 <= lead.reports.count() <= 12
    learner = User.objects.get(email="learner@example.com")
    assert [m.email for m in managers_above(learner)][:1] == ["teamlead@example.com"]
    assert managers_above(learner)[-1].email == "director@example.com"
    assert User.objects.get(email="admin@example.com").is_staff
