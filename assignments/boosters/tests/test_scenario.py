"""One learner from completion through a booster programme, night after night (issue 17, "done
when"): each booster on its day in their time zone, a wrong answer that comes back, a forged and
a replayed link refused, nothing after they leave, and a repeated night that sends nothing new."""

from __future__ import annotations

import datetime as dt
import re
import zoneinfo

import pytest
import time_machine
from django.core import signing
from django.urls import reverse

from assignments.boosters.models import BoosterDelivery
from assignments.boosters.services import LINK_SALT, answer_token
from assignments.boosters.tests.factories import complete, make_programme
from courses.tests.factories import make_course
from escalation.models import Notification
from escalation.nightly import run_nightly
from lms.tests.factories import UserFactory

pytestmark = pytest.mark.django_db

UTC = dt.UTC
SYDNEY = zoneinfo.ZoneInfo("Australia/Sydney")
LONDON = zoneinfo.ZoneInfo("Europe/London")
SITE = "http://testserver"


def night(day: dt.date) -> dt.datetime:
    """The nightly run's moment: 02:00 in London (the site's time zone)."""
    return dt.datetime.combine(day, dt.time(2, 0), tzinfo=LONDON)


def run_night(day: dt.date) -> list[dict]:
    with time_machine.travel(night(day), tick=False):
        return run_nightly(as_of=night(day), only=["boosters", "dispatch"])


def answer_links(message) -> dict[str, str]:
    """Answer text -> path, from the email's text part."""
    return {
        text: url.removeprefix(SITE)
        for text, url in re.findall(r"^- (.+): (http://testserver/boosters/a/\S+)$", message.body, re.M)
    }


@pytest.fixture
def world(settings):
    settings.SITE_URL = SITE
    course = make_course(questions=2, title="Data protection")
    programme = make_programme(course, schedule=[2, 7, 21], from_quiz=2, written=1)
    sam = UserFactory(first_name="Sam", email="sam@example.com", timezone="Australia/Sydney")
    lou = UserFactory(first_name="Lou", email="lou@example.com", timezone="Europe/London")
    # Both pass at the same instant: Monday 2 March 10:00 in Sydney, Sunday 1 March 23:00 in London.
    moment = dt.datetime(2026, 3, 2, 10, 0, tzinfo=SYDNEY)
    completions = {"sam": complete(sam, course, at=moment), "lou": complete(lou, course, at=moment)}
    return {"course": course, "programme": programme, "sam": sam, "lou": lou, "completions": completions}


def test_a_learner_goes_through_the_programme_on_their_own_days(world, client, mailoutbox):
    sam, lou = world["sam"], world["lou"]
    sent_on: dict[str, list[dt.date]] = {"sam@example.com": [], "lou@example.com": []}
    emails: dict[tuple[str, dt.date], object] = {}

    def nights(first: dt.date, last: dt.date) -> None:
        day = first
        while day <= last:
            before = len(mailoutbox)
            run_night(day)
            for message in mailoutbox[before:]:
                person = message.to[0]
                zone = SYDNEY if person == "sam@example.com" else LONDON
                local = night(day).astimezone(zone).date()
                sent_on[person].append(local)
                emails[(person, local)] = message
            day += dt.timedelta(days=1)

    # Step 1 is due 2 days after each one's local completion day: Sam's 4 March, Lou's 3 March.
    nights(dt.date(2026, 3, 1), dt.date(2026, 3, 5))
    assert sent_on == {"sam@example.com": [dt.date(2026, 3, 4)], "lou@example.com": [dt.date(2026, 3, 3)]}
    first = emails[("sam@example.com", dt.date(2026, 3, 4))]
    assert first.subject == "A quick question on Data protection"
    links = answer_links(first)
    assert len(links) == 3  # one link per answer of the quiz question (one right, two wrong)
    step1 = BoosterDelivery.objects.get(learner=sam, step=1)

    # On the morning of 4 March in Sydney (the rest of this block happens then)...
    clock = time_machine.travel(dt.datetime(2026, 3, 4, 9, 0, tzinfo=SYDNEY), tick=False)
    clock.start()
    # A mail scanner (or Sam) opens a link: the page asks, nothing is recorded yet.
    wrong_path = links["Wrong 0"]
    page = client.get(wrong_path)
    assert page.status_code == 200
    assert b"Send my answer" in page.content
    step1.refresh_from_db()
    assert step1.answered_at is None

    # Sam sends the wrong answer from the email's link (no password): feedback, and it is recorded.
    wrong_choice = step1.question.choices.get(text="Wrong 0")
    response = client.post(wrong_path, {"choice": wrong_choice.pk}, follow=True)
    assert response.status_code == 200
    body = response.content.decode()
    assert "Not quite." in body and "Thank you: your answer is recorded." in body
    assert "This question will come back in a later booster." in body
    step1.refresh_from_db()
    assert (step1.correct, step1.choice_id, step1.answered_via) == (False, wrong_choice.pk, "email")

    # Replayed: the same link again, or another answer's link, records nothing and shows the first answer.
    right_choice = step1.question.choices.get(is_correct=True)
    for path in (wrong_path, links["Right 0"]):
        again = client.post(path, {"choice": right_choice.pk}, follow=True)
        assert again.status_code == 200
        assert "You already answered this question" in again.content.decode()
        assert "Your answer: “Wrong 0”." in again.content.decode()
        # When, in Sam's time zone with its abbreviation (the link is opened without signing in).
        assert "on 4 Mar 2026, 09:00 AEDT;" in again.content.decode()
    step1.refresh_from_db()
    assert step1.correct is False and step1.choice_id == wrong_choice.pk

    # Forged: Lou's booster answered with a token made without the site's key, or with Sam's token
    # edited to name Lou's delivery: refused with a page that says so, and nothing recorded.
    lou_step1 = BoosterDelivery.objects.get(learner=lou, step=1)
    lou_choice = lou_step1.question.choices.first()
    forged = signing.dumps({"d": lou_step1.pk, "c": lou_choice.pk}, salt=LINK_SALT, key="not-the-secret-key")
    token = wrong_path.split("/")[-2]
    signature = token.rpartition(":")[2]
    edited = answer_token(delivery_id=lou_step1.pk, choice_id=lou_choice.pk).rsplit(":", 1)[0] + ":" + signature
    for bad in (forged, edited, token[:-3] + "abc", "nonsense"):
        refused = client.post(reverse("boosters:answer_link", args=[bad]), {"choice": lou_choice.pk})
        assert refused.status_code == 400
        assert "This link is not valid" in refused.content.decode()
    lou_step1.refresh_from_db()
    assert lou_step1.answered_at is None
    clock.stop()

    # Step 2 (day 7, Sam's 9 March): the question answered wrong comes back, marked as asked again.
    nights(dt.date(2026, 3, 6), dt.date(2026, 3, 10))
    assert sent_on["sam@example.com"] == [dt.date(2026, 3, 4), dt.date(2026, 3, 9)]
    step2 = BoosterDelivery.objects.get(learner=sam, step=2)
    assert step2.question_id == step1.question_id and step2.is_repeat
    assert "you missed last time" in emails[("sam@example.com", dt.date(2026, 3, 9))].body
    # Sam answers it right on the home page this time (on 9 March).
    clock = time_machine.travel(dt.datetime(2026, 3, 9, 18, 0, tzinfo=SYDNEY), tick=False)
    clock.start()
    client.force_login(sam)
    home = client.get(reverse("home"))
    assert step2.question.text in home.content.decode()
    client.post(reverse("boosters:question", args=[step2.pk]), {"choice": right_choice.pk})
    step2.refresh_from_db()
    assert (step2.correct, step2.answered_via) == (True, "home")
    assert step2.question.text not in client.get(reverse("home")).content.decode()
    clock.stop()

    # A repeated night sends nothing new.
    before = (len(mailoutbox), Notification.objects.count(), BoosterDelivery.objects.count())
    summary = {s["workflow"]: s for s in run_night(dt.date(2026, 3, 9))}
    assert summary["boosters"]["queued"] == 0 and summary["boosters"]["notifications"] == 0
    assert (len(mailoutbox), Notification.objects.count(), BoosterDelivery.objects.count()) == before

    # Sam leaves before step 3 (day 21, 23 March): nothing is sent to them; Lou still gets theirs.
    sam.is_active = False
    sam.save(update_fields=["is_active"])
    nights(dt.date(2026, 3, 11), dt.date(2026, 4, 30))
    assert sent_on["sam@example.com"] == [dt.date(2026, 3, 4), dt.date(2026, 3, 9)]
    assert sent_on["lou@example.com"] == [dt.date(2026, 3, 3), dt.date(2026, 3, 8), dt.date(2026, 3, 22)]
    step3 = BoosterDelivery.objects.get(learner=sam, step=3)
    assert (step3.status, step3.skip_reason) == ("skipped", "left")
    assert not BoosterDelivery.objects.filter(learner=sam, step=4).exists()
    # Lou never answered: each step asked the next question of the programme, in order.
    lou_questions = list(
        BoosterDelivery.objects.filter(learner=lou).order_by("step").values_list("question__order", flat=True)
    )
    assert lou_questions == [1, 2, 3]


def test_an_expired_link_is_refused_with_its_own_page(world, client, mailoutbox):
    for day in (dt.date(2026, 3, 3), dt.date(2026, 3, 4)):
        run_night(day)
    message = next(m for m in mailoutbox if m.to == ["sam@example.com"])
    path = next(iter(answer_links(message).values()))
    with time_machine.travel(night(dt.date(2026, 4, 10)), tick=False):
        response = client.get(path)
        posted = client.post(path, {"choice": 1})
    assert response.status_code == 410 and posted.status_code == 410
    assert "This link has expired" in response.content.decode()
    assert BoosterDelivery.objects.filter(answered_at__isnull=False).count() == 0


def test_a_link_for_an_answer_of_another_question_is_refused_and_records_nothing(world, client, mailoutbox):
    for day in (dt.date(2026, 3, 3), dt.date(2026, 3, 4)):
        run_night(day)
    sam_step = BoosterDelivery.objects.get(learner=world["sam"], step=1)
    other = sam_step.programme.questions.exclude(pk=sam_step.question_id).first().choices.first()
    path = reverse("boosters:answer_link", args=[answer_token(delivery_id=sam_step.pk, choice_id=other.pk)])
    with time_machine.travel(night(dt.date(2026, 3, 5)), tick=False):
        response = client.post(path, {"choice": other.pk})
    assert response.status_code == 400
    assert "Choose one of the answers shown." in response.content.decode()
    sam_step.refresh_from_db()
    assert sam_step.answered_at is None
