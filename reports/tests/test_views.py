"""The pages: who may see what (404 outside the chain, 403 for the wrong role), the figures on
them, and a query count that stays flat as the data grows."""

from __future__ import annotations

import re

import pytest
import time_machine
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.urls import reverse

from courses.tests.factories import AssignmentFactory
from lms.tests.factories import UserFactory
from reports import selectors
from reports.tests.conftest import D, assign, at, days

pytestmark = pytest.mark.django_db


@pytest.fixture(autouse=True)
def _on_day_d():
    with time_machine.travel(at(D), tick=False):
        yield


def get(client, user, name, *args, **params):
    client.force_login(user)
    # follow: the learner record's old address sends on to the person page's record tab
    return client.get(reverse(name, args=args), params, follow=True)


def test_team_lead_sees_their_team_figures_and_lists(client, org):
    response = get(client, org.lee, "reports_team_dashboard")
    assert response.status_code == 200
    body = response.content.decode()
    assert response.context["summary"].total.percent == 33.3
    assert "<svg" in body and 'role="img"' in body
    lists = response.context["lists"]
    assert [r["learner__email"] for r in lists["overdue"]] == ["p3@example.com"]
    assert [r["learner__email"] for r in lists["failed"]] == ["p4@example.com"]
    # each person's row links to their record
    assert reverse("person_detail", args=[org.p[2].pk]) + "?tab=record" in body
    # nobody from another team
    assert "q2@example.com" not in body and "Outsider" not in body


def test_manager_of_managers_sees_the_sub_tree_on_request(client, org):
    response = get(client, org.director, "reports_team_dashboard", scope="all")
    assert response.context["summary"].total.required == 10
    assert {r["learner__email"] for r in response.context["lists"]["overdue"]} == {"p3@example.com", "q2@example.com"}
    direct = get(client, org.director, "reports_team_dashboard", scope="direct")
    assert direct.context["summary"].total.required == 0


def headline_percent(response) -> str:
    """The dashboard's headline figure as printed ("33.3%")."""
    return re.search(r'data-testid="headline-percent">([^<]+)<', response.content.decode()).group(1).strip()


def test_a_manager_of_managers_lands_on_the_whole_chain_and_home_speaks_of_it(client, org):
    # Dana manages Lee and Kim, who lead; nobody learns directly under her (issue 13 item 2).
    landing = get(client, org.director, "reports_team_dashboard")
    chain = get(client, org.director, "reports_team_dashboard", scope="all")
    assert landing.context["form"]["scope"].value() == "all"
    assert landing.context["summary"].total.counts == chain.context["summary"].total.counts
    assert landing.context["summary"].total.required == 10
    assert 'value="all" selected' in landing.content.decode()
    # other filters without a scope keep the landing
    overdue = get(client, org.director, "reports_team_dashboard", state="overdue")
    assert {r["learner__email"] for r in overdue.context["state_rows"]} == {"p3@example.com", "q2@example.com"}
    # the home sentence is about the same people with the dashboard's figure
    percent = headline_percent(chain)
    sentence = " ".join(get(client, org.director, "home").content.decode().split())
    assert f"Everyone below you (9 people) is {percent} compliant: 2 overdue, 1 failed." in sentence
    assert "Your direct reports" not in sentence
    # a team leader still lands on their direct reports
    lee = get(client, org.lee, "reports_team_dashboard")
    assert lee.context["form"]["scope"].value() == "direct"
    lee_home = " ".join(get(client, org.lee, "home").content.decode().split())
    assert f"Your direct reports are {headline_percent(lee)} compliant: 1 overdue, 1 failed." in lee_home


def test_direct_reports_are_one_count_on_home_my_team_and_the_dashboard(client, org):
    # Dana: Lee and Kim report to her (who lead 5 and 2), and a leaver who still names her (issue 13 item 3).
    UserFactory(manager=org.director, is_active=False, first_name="Gone", last_name="Leaver")
    home = " ".join(get(client, org.director, "home").content.decode().split())
    team = get(client, org.director, "team")
    dashboard = get(client, org.director, "reports_team_dashboard", scope="direct")
    assert "2 people report to you directly. 2 of them lead teams of their own." in home
    assert "9 people are below you in all." in home
    assert sorted(m.email for m in team.context["members"]) == ["kim@example.com", "lee@example.com"]
    assert dashboard.context["people_count"] == 2
    assert "Your direct reports: 2 people." in dashboard.content.decode()
    chain = get(client, org.director, "team", scope="all")
    assert len(chain.context["members"]) == 9
    assert get(client, org.director, "reports_team_dashboard", scope="all").context["people_count"] == 9


def test_filters_by_state_course_and_department(client, org):
    response = get(client, org.director, "reports_team_dashboard", scope="all", state="exempt", course="SAFE")
    assert [r["learner__email"] for r in response.context["state_rows"]] == ["p5@example.com"]
    response = get(client, org.director, "reports_team_dashboard", scope="all", department=str(org.ops.pk))
    # nobody below Dana is in Operations
    assert response.context["summary"].total.required == 0
    response = get(client, org.director, "reports_team_dashboard", scope="all", department=str(org.sales.pk))
    assert response.context["summary"].total.required == 10
    # an unknown choice is refused with a message and applies no filter
    response = get(client, org.director, "reports_team_dashboard", scope="all", course="NOPE")
    assert response.context["form"].errors["course"]
    assert response.context["summary"].total.required == 10


def test_the_overdue_list_keeps_days_late_and_oldest_first_when_filtered_by_state(client, org):
    # Abel's SAFE is 2 days late: by name he would come first, by lateness last (issue 13 item 6).
    abel = UserFactory(email="abel@example.com", first_name="Abel", last_name="Able", manager=org.kim)
    assign(abel, org.safe, due=days(-2))
    unfiltered = get(client, org.director, "reports_team_dashboard", scope="all")
    filtered = get(client, org.director, "reports_team_dashboard", scope="all", state="overdue")
    expected = ["p3@example.com", "q2@example.com", "abel@example.com"]
    assert [r["learner__email"] for r in unfiltered.context["lists"]["overdue"]] == expected
    assert [r["learner__email"] for r in filtered.context["state_rows"]] == expected
    assert [r["days_overdue"] for r in filtered.context["state_rows"]] == [10, 3, 2]
    body = " ".join(filtered.content.decode().split())
    state_list = body[body.index('data-testid="state-list"') :]
    assert '<th scope="col">Days late</th>' in state_list and "10 days late" in state_list
    # the organisation report's people filtered to a state read the same way
    drill = get(client, org.admin, "reports_organisation", state="overdue", live="1")
    assert [r["learner__email"] for r in drill.context["page"].object_list] == [*expected, "olly@example.com"]
    drill_body = " ".join(drill.content.decode().split())
    assert '<th scope="col">Days late</th>' in drill_body and "1 day late" in drill_body


def test_learner_gets_404_on_the_team_dashboard_and_its_exports(client, org):
    assert get(client, org.p[0], "reports_team_dashboard").status_code == 404
    assert get(client, org.p[0], "reports_team_export", "csv").status_code == 404


@pytest.mark.parametrize(
    "name,args",
    [
        ("reports_organisation", ()),
        ("reports_organisation_export", ("csv",)),
        ("reports_forecast", ()),
        ("reports_forecast_export", ("pdf",)),
        ("reports_item_analysis", ()),
        ("reports_item_analysis_export", ("xlsx",)),
    ],
)
def test_admin_reports_are_403_for_managers_and_learners(client, org, name, args):
    assert get(client, org.director, name, *args).status_code == 403
    assert get(client, org.p[0], name, *args).status_code == 403


def test_anonymous_visitors_are_sent_to_log_in(client, org):
    response = client.get(reverse("reports_team_dashboard"))
    assert response.status_code == 302 and "/accounts/login/" in response["Location"]


def test_learner_record_for_the_learner_their_managers_and_admins_only(client, org):
    person = org.p[3]
    for viewer in (person, org.lee, org.director, org.admin):
        assert get(client, viewer, "reports_learner_record", person.pk).status_code == 200, viewer
    for viewer in (org.kim, org.olly, org.p[0]):
        assert get(client, viewer, "reports_learner_record", person.pk).status_code == 404, viewer


def test_learner_record_shows_history_certificates_exemptions_and_why(client, org):
    response = get(client, org.lee, "reports_learner_record", org.p[3].pk)
    record = {a.pk: a for a in response.context["assignments"]}
    assert record[org.a.p4_old.pk].is_archived
    assert record[org.a.p4_safe.pk].state == "failed"
    assert any("All allowed attempts were used" in line for line in record[org.a.p4_safe.pk].why)
    body = response.content.decode()
    completion = org.a.p4_old.completions.get()
    assert completion.certificate_number in body
    assert reverse("certificate_download", args=[completion.pk]) in body
    overdue = get(client, org.lee, "reports_learner_record", org.p[2].pk)
    why = {a.pk: a.why for a in overdue.context["assignments"]}
    assert why[org.a.p3_safe.pk][0].startswith("It was due on 5 Jun 2026 and is 10 days late")
    assert why[org.a.p3_code.pk] == ["An exemption covers this course on 15 Jun 2026: counted as excused."]


def test_learner_record_as_of_a_past_day(client, org):
    response = get(client, org.admin, "reports_learner_record", org.p[3].pk, as_of="2026-03-01")
    states = {a.pk: a.state for a in response.context["assignments"]}
    assert states == {org.a.p4_old.pk: "compliant"}


def test_organisation_report_as_of_and_drill_down(client, org):
    response = get(client, org.admin, "reports_organisation")
    assert response.context["summary"].total.percent == 33.3
    assert [g.label for g in response.context["summary"].by_department] == ["Operations", "Sales"]
    drill = get(client, org.admin, "reports_organisation", department=str(org.ops.pk), drill="1")
    assert [r["learner__email"] for r in drill.context["page"].object_list] == ["olly@example.com"]
    overdue = get(client, org.admin, "reports_organisation", state="overdue")
    assert overdue.context["page"].paginator.count == 3
    past = get(client, org.admin, "reports_organisation", as_of="2026-03-06")
    assert past.context["history"] is True
    assert past.context["summary"].total.required < 11
    future = get(client, org.admin, "reports_organisation", as_of="2027-01-01")
    assert future.context["history"] is False
    assert "Choose today or a past date." in future.content.decode()


def test_forecast_page(client, org):
    response = get(client, org.admin, "reports_forecast")
    assert response.context["totals"]["d90"] == 3
    assert "p2@example.com" not in response.content.decode()  # names, not emails, with links
    assert reverse("person_detail", args=[org.p[1].pk]) + "?tab=record" in response.content.decode()


def test_the_forecast_caption_says_whether_the_list_is_everyone(client, org, monkeypatch):
    # Outside eyes: "The first 3 person-courses" read as though more were left out when none were.
    page = get(client, org.admin, "reports_forecast").content.decode()
    assert "Everyone lapsing within 90 days: 3 person-courses" in page
    # and when the page lists fewer than lapse, it says how many do and where to find them all
    real = selectors.forecast
    monkeypatch.setattr(selectors, "forecast", lambda **kwargs: real(**{**kwargs, "limit": 2}))
    page = get(client, org.admin, "reports_forecast").content.decode()
    assert "The soonest 2 of 3 lapsing within 90 days; the exports list everyone" in page


def test_a_date_that_does_not_parse_stays_in_the_box_as_typed(client, org):
    # Outside eyes: a date box cannot show "2026-02-30", so the bad value vanished beside its error.
    page = get(client, org.admin, "reports_organisation", as_of="2026-02-30").content.decode()
    assert 'type="text" name="as_of" id="id_as_of" class="form-control is-invalid" value="2026-02-30"' in page
    assert 'aria-invalid="true" aria-describedby="id_as_of-help id_as_of-error"' in page
    assert 'id="id_as_of-error"' in page
    assert 'type="date" name="as_of"' in get(client, org.admin, "reports_organisation").content.decode()


def test_the_forecast_offers_no_state_filter_it_would_ignore(client, org):
    # Outside eyes: the forecast showed the reports' State filter and ignored it (same rows for any state).
    response = get(client, org.admin, "reports_forecast", state="overdue")
    page = response.content.decode()
    assert 'name="state"' not in page and 'name="course"' in page and 'name="department"' in page
    assert response.context["totals"] == get(client, org.admin, "reports_forecast").context["totals"]


def _grow_team(lead, course, n):
    for _ in range(n):
        AssignmentFactory(
            learner=UserFactory(manager=lead), course=course, due_date=D, assigned_on=D, assigned_at=at(D)
        )


def _count(client, user, name, *args, **params) -> int:
    client.force_login(user)
    url = reverse(name, args=args)
    with CaptureQueriesContext(connection) as queries:
        response = client.get(url, params)
        if hasattr(response, "streaming_content"):
            b"".join(response.streaming_content)
    assert response.status_code == 200
    return len(queries)


@pytest.mark.parametrize(
    "who,name,args,params",
    [
        ("lee", "reports_team_dashboard", (), {}),
        ("director", "reports_team_dashboard", (), {"scope": "all"}),
        ("lee", "reports_team_dashboard", (), {"state": "overdue"}),
        ("lee", "reports_team_export", ("csv",), {}),
        ("admin", "reports_organisation", (), {"drill": "1"}),
        ("admin", "reports_organisation", (), {"as_of": "2026-05-01"}),
        ("admin", "reports_organisation_export", ("csv",), {}),
        ("admin", "reports_forecast", (), {}),
        ("lee", "person_detail", ("p4",), {"tab": "record"}),
    ],
)
def test_query_count_is_flat_as_the_data_grows(client, org, who, name, args, params):
    args = tuple(org.p[3].pk if a == "p4" else a for a in args)
    user = getattr(org, who)
    small = _count(client, user, name, *args, **params)
    _grow_team(org.lee, org.safe, 30)
    _grow_team(org.kim, org.code, 30)
    large = _count(client, user, name, *args, **params)
    assert large == small
    assert small <= 20


def test_organisation_report_reads_todays_snapshot_and_can_count_again(client, org):
    from assignments.models import Assignment
    from reports.services import run_compliance_snapshot

    run_compliance_snapshot(as_of=at(D))
    # given a change after the snapshot: Olly's assignment is archived
    Assignment.objects.filter(pk=org.a.olly_safe.pk).update(archived_at=at(D), archived_reason="left")
    stored = get(client, org.admin, "reports_organisation")
    assert stored.context["snapshot_at"] is not None
    assert "Counts from the nightly snapshot" in stored.content.decode()
    assert stored.context["summary"].total.required == 11
    assert stored.context["summary"].total.percent == 33.3
    assert {g.label: g.required for g in stored.context["summary"].by_department} == {"Operations": 1, "Sales": 10}
    filtered = get(client, org.admin, "reports_organisation", department=str(org.sales.pk), course="SAFE")
    assert filtered.context["summary"].total.required == 7
    live = get(client, org.admin, "reports_organisation", live="1")
    assert live.context["snapshot_at"] is None
    assert live.context["summary"].total.required == 10


def test_a_state_filter_says_the_counts_are_for_every_state_and_does_not_repeat_its_heading(client, org):
    """Outside eyes 13 (D3): with State = Overdue the tiles, chart and table still count every
    state, and the list's caption repeated its heading "Overdue"."""
    filtered = get(client, org.director, "reports_team_dashboard", scope="all", state="overdue")
    body = " ".join(filtered.content.decode().split())
    note = body[body.index('data-testid="state-note"') :]
    note = note[: note.index("</p>")]
    assert "count all states for everyone in the selection" in note and "shows Overdue only" in note
    # the tiles still count every state (the note is what says so)
    assert filtered.context["summary"].total.counts["overdue"] >= 1
    state_list = body[body.index('<h2 class="h5" id="state-list">') :]
    heading = re.search(r'id="state-list">([^<]*)</h2>', state_list)[1]
    caption = re.search(r"<caption[^>]*>([^<]*)</caption>", state_list)[1]
    assert heading == "Overdue" and caption != heading and "Overdue" not in caption
    # without a state filter there is no such note (every list is shown)
    unfiltered = get(client, org.director, "reports_team_dashboard", scope="all")
    assert 'data-testid="state-note"' not in unfiltered.content.decode()
