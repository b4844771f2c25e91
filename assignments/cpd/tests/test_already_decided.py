"""A decision on an entry that is no longer waiting (a second tab, a double click, a second
approver): HTTP 409, nothing changes, and the page says who decided it, when, and that nothing
was changed, as an alert (the decision form is gone with the pending state)."""

from __future__ import annotations

import datetime as dt
import re
from decimal import Decimal

import pytest
from django.urls import reverse

from assignments.cpd import services
from assignments.cpd.models import ExternalLearning
from lms.models import AuditEntry
from lms.tests.factories import UserFactory

pytestmark = pytest.mark.django_db


@pytest.fixture
def team():
    director = UserFactory(first_name="Dana", last_name="Director")
    manager = UserFactory(first_name="Morgan", last_name="Manager", manager=director)
    learner = UserFactory(first_name="Nia", last_name="Nurse", manager=manager)
    entry = services.external_learning_submit(
        learner=learner,
        title="Wound care",
        provider="Royal College",
        completed_on=dt.date(2026, 6, 1),
        points=Decimal("4"),
    )
    return {"director": director, "manager": manager, "learner": learner, "entry": entry}


def decide(client, entry, decision, comment=""):
    return client.post(
        reverse("cpd:entry_decide", args=[entry.pk]), {"submission": 1, "decision": decision, "comment": comment}
    )


def alert(response) -> str:
    found = re.search(
        r'<div class="alert[^"]*" role="alert" data-testid="cpd-already-decided">(.*?)</div>', response.content.decode()
    )
    assert found, "no alert on the page"
    assert "<bdi>" in found.group(1) or "You already" in found.group(1)  # another's name kept whole (Arabic)
    return re.sub(r"</?bdi>", "", found.group(1))


def test_a_second_approval_by_someone_else_names_who_approved_it_and_when(team, client):
    services.external_learning_approve(entry=team["entry"], actor=team["manager"], submission=1)
    client.force_login(team["director"])
    response = decide(client, team["entry"], "approve")
    assert response.status_code == 409
    assert re.fullmatch(
        r"This entry was already approved by Morgan Manager on .+; nothing was changed\.", alert(response)
    )
    entry = ExternalLearning.objects.get(pk=team["entry"].pk)
    assert (entry.status, entry.decided_by) == ("approved", team["manager"])
    assert AuditEntry.objects.filter(object_type="cpd.externallearning", action="change").count() == 1


def test_the_same_approver_pressing_twice_is_told_they_already_approved_it(team, client):
    client.force_login(team["manager"])
    assert decide(client, team["entry"], "approve").status_code == 302
    response = decide(client, team["entry"], "approve")
    assert response.status_code == 409
    assert re.fullmatch(r"You already approved this entry on .+; nothing was changed\.", alert(response))


def test_approving_an_entry_already_returned_says_it_was_returned_and_by_whom(team, client):
    services.external_learning_return(entry=team["entry"], actor=team["manager"], submission=1, comment="Which day?")
    client.force_login(team["director"])
    response = decide(client, team["entry"], "approve")
    assert response.status_code == 409
    assert re.fullmatch(
        r"This entry was already returned by Morgan Manager on .+; nothing was changed\.", alert(response)
    )
    assert ExternalLearning.objects.get(pk=team["entry"].pk).status == "returned"


def test_a_page_opened_normally_shows_no_such_alert(team, client):
    services.external_learning_approve(entry=team["entry"], actor=team["manager"], submission=1)
    client.force_login(team["director"])
    page = client.get(reverse("cpd:entry", args=[team["entry"].pk])).content.decode()
    assert "cpd-already-decided" not in page


def test_a_return_from_a_stale_tab_gives_back_the_comment_it_did_not_send(team, client):
    """Re-check: the typed comment was lost with nothing to copy it from."""
    services.external_learning_approve(entry=team["entry"], actor=team["manager"], submission=1)
    client.force_login(team["director"])
    response = decide(client, team["entry"], "return", comment="Need the evidence, please")
    assert response.status_code == 409
    assert alert(response).endswith("nothing was changed. Your comment was not sent: “Need the evidence, please”.")
