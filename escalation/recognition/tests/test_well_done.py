"""Managers take part: the digest names the team's achievements with one well-done link each; the
link is signed for that manager, GET only shows the confirm page (mail scanners pre-fetch links),
POST sends the note once; forged, altered, someone else's and replayed links are refused."""

from __future__ import annotations

import datetime as dt
import re

import pytest
import time_machine
from django.core import signing
from django.urls import reverse

from assignments.models import Attempt
from courses.tests.factories import AttemptFactory, make_course
from escalation.dispatch import run_dispatch
from escalation.models import Notification
from escalation.recognition.models import Award, Badge, WellDone
from escalation.recognition.tests.factories import badge, completed
from escalation.recognition.tokens import well_done_token
from escalation.recognition.workflow import run_recognition
from escalation.tests.conftest import at
from escalation.workflows.digests import run_checkins_and_digests
from lms.tests.factories import UserFactory

pytestmark = pytest.mark.django_db

DAY = dt.date(2026, 3, 3)
SITE = "http://lms.example.test"


@pytest.fixture
def team(settings):
    settings.SITE_URL = SITE
    lead = UserFactory(first_name="Lee", last_name="Lead", email="lead@example.com")
    ann = UserFactory(first_name="Ann", last_name="Able", manager=lead, email="ann@example.com")
    bob = UserFactory(first_name="Bob", last_name="Baker", manager=lead, email="bob@example.com")
    course = make_course(questions=1, title="Fire safety")
    _, ann_done = completed(ann, course, on=DAY - dt.timedelta(days=1), hour=14)
    assignment, bob_done = completed(bob, course, on=DAY - dt.timedelta(days=1), hour=15)
    AttemptFactory(
        assignment=assignment, number=1, status=Attempt.Status.SUBMITTED, submitted_at=at(DAY - dt.timedelta(days=2)),
        score=20, passed=False,
    )  # fmt: skip
    # An old completion, outside the day the digest covers.
    completed(ann, make_course(questions=1, title="Old news"), on=DAY - dt.timedelta(days=5))
    badge(Badge.Rule.COURSE_PASSED, name="Fire warden", course_code=course.code)
    with time_machine.travel(at(DAY - dt.timedelta(days=1), 20), tick=False):
        run_recognition(as_of=at(DAY - dt.timedelta(days=1), 20))
    return {"lead": lead, "ann": ann, "bob": bob, "ann_done": ann_done, "bob_done": bob_done}


def digest_links(body: str) -> list[str]:
    return re.findall(rf"Say well done: ({re.escape(SITE)}/recognition/well-done/[^\s]+/)", body)


def test_the_digest_says_who_completed_passed_after_failing_or_earned_a_badge_with_a_link_each(team, mailoutbox):
    with time_machine.travel(at(DAY, 3), tick=False):
        run_checkins_and_digests(as_of=at(DAY, 3))
        run_dispatch()
    [digest] = [m for m in mailoutbox if m.to == ["lead@example.com"]]
    assert "Ann Able: completed Fire safety" in digest.body
    assert "Bob Baker: passed Fire safety after an earlier failed attempt" in digest.body
    assert "Ann Able: earned the badge Fire warden" in digest.body
    assert "Bob Baker: earned the badge Fire warden" in digest.body
    assert "Old news" not in digest.body
    links = digest_links(digest.body)
    assert len(links) == 4 == len(set(links))
    html = digest.alternatives[0][0]
    assert all(f'href="{link}"' in html for link in links)
    # Running the digest again for the same day queues nothing new.
    with time_machine.travel(at(DAY, 4), tick=False):
        assert run_checkins_and_digests(as_of=at(DAY, 4)).get("notifications_queued", 0) == 0
    assert Notification.objects.filter(kind=Notification.Kind.DIGEST).count() == 1


def test_get_shows_the_confirm_page_and_sends_nothing_post_sends_once(team, client, mailoutbox):
    path = reverse(
        "recognition:well_done", args=[well_done_token(manager_id=team["lead"].pk, completion_id=team["ann_done"].pk)]
    )
    client.force_login(team["lead"])
    page = client.get(path)
    assert page.status_code == 200 and "Ann Able completed Fire safety." in page.content.decode()
    client.get(path)
    assert not WellDone.objects.exists()
    assert not Notification.objects.filter(kind=Notification.Kind.WELL_DONE).exists()

    response = client.post(path, {"message": "Great work on this!"})
    assert response.status_code == 302
    note = WellDone.objects.get()
    assert (note.sender, note.learner, note.completion, note.message) == (
        team["lead"],
        team["ann"],
        team["ann_done"],
        "Great work on this!",
    )
    run_dispatch()
    [mail] = [m for m in mailoutbox if m.to == ["ann@example.com"] and "Well done" in m.subject]
    assert mail.subject == "Well done from Lee Lead"
    assert "Lee Lead says well done: you completed Fire safety." in mail.body
    assert '"Great work on this!"' in mail.body
    assert f"{SITE}/recognition/mine/" in mail.body

    # A replayed link (a second click, or the POST again) says it was sent already and sends nothing.
    again = client.get(path)
    assert 'data-testid="well-done-sent"' in again.content.decode()
    client.post(path, {"message": "Twice"})
    assert WellDone.objects.count() == 1
    assert Notification.objects.filter(kind=Notification.Kind.WELL_DONE).count() == 1


def test_a_badge_well_done_names_the_badge(team, client, mailoutbox):
    award = Award.objects.get(recipient=team["bob"])
    path = reverse("recognition:well_done", args=[well_done_token(manager_id=team["lead"].pk, award_id=award.pk)])
    client.force_login(team["lead"])
    client.post(path, {"message": ""})
    run_dispatch()
    [mail] = [m for m in mailoutbox if "Well done" in m.subject]
    assert mail.to == ["bob@example.com"]
    assert 'you earned the badge "Fire warden"' in mail.body


def test_a_message_on_two_lines_or_too_long_is_refused_and_nothing_sent(team, client):
    path = reverse(
        "recognition:well_done", args=[well_done_token(manager_id=team["lead"].pk, completion_id=team["ann_done"].pk)]
    )
    client.force_login(team["lead"])
    for message in ("one\ntwo", "x" * 201):
        page = client.post(path, {"message": message})
        assert page.status_code == 200
        assert "Personal message" in page.content.decode()
    assert not WellDone.objects.exists()


def test_forged_altered_and_other_peoples_links_are_refused(team, client):
    lead, ann = team["lead"], team["ann"]
    other_lead = UserFactory()
    genuine = well_done_token(manager_id=lead.pk, completion_id=team["ann_done"].pk)
    forged = [
        # The right shape, signed with another salt (or key): not ours.
        signing.dumps({"m": lead.pk, "c": team["ann_done"].pk}, salt="something-else"),
        # Another completion's id with the genuine signature.
        genuine.replace(str(team["ann_done"].pk), str(team["bob_done"].pk), 1)
        if str(team["ann_done"].pk) in genuine
        else genuine + "x",
        genuine[:-2] + ("AA" if not genuine.endswith("AA") else "BB"),
        "not-a-token",
    ]
    client.force_login(lead)
    for token in forged:
        assert client.get(reverse("recognition:well_done", args=[token])).status_code == 404, token
        assert client.post(reverse("recognition:well_done", args=[token]), {"message": "x"}).status_code == 404
    # A link made for the lead, opened by someone else: another manager, the learner.
    for person in (other_lead, ann):
        client.force_login(person)
        assert client.get(reverse("recognition:well_done", args=[genuine])).status_code == 404
        assert client.post(reverse("recognition:well_done", args=[genuine]), {"message": "x"}).status_code == 404
    # Another manager's own signed link for someone not in their team.
    client.force_login(other_lead)
    theirs = well_done_token(manager_id=other_lead.pk, completion_id=team["ann_done"].pk)
    assert client.get(reverse("recognition:well_done", args=[theirs])).status_code == 404
    assert not WellDone.objects.exists()


def test_an_expired_link_is_refused(team, client):
    with time_machine.travel(at(DAY, 9), tick=False):
        token = well_done_token(manager_id=team["lead"].pk, completion_id=team["ann_done"].pk)
    client.force_login(team["lead"])
    with time_machine.travel(at(DAY + dt.timedelta(days=31), 9), tick=False):
        assert client.get(reverse("recognition:well_done", args=[token])).status_code == 404


def test_a_leaver_gets_no_note(team, client):
    token = well_done_token(manager_id=team["lead"].pk, completion_id=team["ann_done"].pk)
    team["ann"].is_active = False
    team["ann"].save()
    client.force_login(team["lead"])
    assert client.post(reverse("recognition:well_done", args=[token]), {"message": ""}).status_code == 404
    assert not WellDone.objects.exists()


def test_an_anonymous_click_goes_to_the_login_page_and_back(team, client):
    path = reverse(
        "recognition:well_done", args=[well_done_token(manager_id=team["lead"].pk, completion_id=team["ann_done"].pk)]
    )
    response = client.get(path)
    assert response.status_code == 302 and response.url.startswith(reverse("login"))
    assert "next=" in response.url


def test_the_team_dashboard_shows_recent_achievements_with_say_well_done(team, client):
    client.force_login(team["lead"])
    with time_machine.travel(at(DAY, 9), tick=False):
        page = client.get(reverse("reports_team_dashboard")).content.decode()
    assert 'data-testid="panel-recognition"' in page
    # Yesterday's two completions and two badges, and Ann's course five days ago (two weeks shown).
    assert page.count("Say well done") == 5 and "Old news" in page
    WellDone.objects.create(
        sender=team["lead"], learner=team["ann"], about="completion", completion=team["ann_done"], sent_at=at(DAY, 8)
    )
    with time_machine.travel(at(DAY, 9), tick=False):
        page = client.get(reverse("reports_team_dashboard")).content.decode()
    assert page.count("Well done sent") == 1


def test_the_learner_sees_badges_and_notes_on_home_and_person_page(team, client):
    WellDone.objects.create(
        sender=team["lead"], learner=team["ann"], about="completion", completion=team["ann_done"],
        message="Brilliant", sent_at=at(DAY, 8),
    )  # fmt: skip
    client.force_login(team["ann"])
    home = client.get(reverse("home")).content.decode()
    assert "Fire warden" in home and "Brilliant" in home
    tab = client.get(reverse("person_detail", args=[team["ann"].pk]) + "?tab=recognition").content.decode()
    assert 'data-testid="recognition-tab"' in tab and "Fire warden" in tab and "Lee Lead says well done" in tab


def test_my_recognition_page_shows_only_my_own(team, client):
    client.force_login(team["bob"])
    page = client.get(reverse("recognition:mine")).content.decode()
    assert "Fire warden" in page
    WellDone.objects.create(
        sender=team["lead"], learner=team["ann"], about="completion", completion=team["ann_done"],
        message="For Ann only", sent_at=at(DAY, 8),
    )  # fmt: skip
    assert "For Ann only" not in client.get(reverse("recognition:mine")).content.decode()
