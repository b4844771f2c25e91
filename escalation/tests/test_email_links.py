"""Email links a mail app can follow whole (eyes 13, C4): no punctuation right after an address
in a plain-text part, and every address in an HTML part is a link."""

from __future__ import annotations

import datetime as dt
import re
from pathlib import Path

import pytest
from django.conf import settings
from django.urls import reverse
from django.utils import timezone

from courses.tests.factories import AssignmentFactory, make_course
from escalation.dispatch import render_message
from escalation.models import Notification, ReviewSession
from lms.tests.factories import AdminFactory, UserFactory

pytestmark = pytest.mark.django_db
TEMPLATES = Path(settings.BASE_DIR) / "templates"
# An address followed by a character a mail app would take into it: '.', ',', ';', ':', ')' ...
GLUED = re.compile(r"https?://\S*[.,;:!?)\]'\"]( |$)", re.M)
# A template variable holding an address, with punctuation right after it.
GLUED_VARIABLE = re.compile(r"{{\s*[\w.]*(url|link|site_url|domain)[\w.|:\"' ]*}}[^\s</{]*[.,;:!?)]")


def _html_addresses_outside_links(html: str) -> list[str]:
    without_links = re.sub(r"<a\b[^>]*>.*?</a>", "", html, flags=re.S)
    return re.findall(r"https?://[^\s<\"]+", re.sub(r'href="[^"]*"', "", without_links))


def test_no_email_template_puts_punctuation_right_after_an_address():
    sources = [*(TEMPLATES / "escalation" / "email").glob("*"), *(TEMPLATES / "registration").glob("*email*")]
    assert len(sources) > 10
    # Tags ({% if %}, {% endfor %}) print nothing: what follows them follows the address.
    texts = {path.name: re.sub(r"{%.*?%}", "", path.read_text()) for path in sources}
    glued = [(name, m.group(0)) for name, text in texts.items() for m in GLUED_VARIABLE.finditer(text)]
    assert glued == []


def test_a_review_invitation_puts_the_joining_link_on_its_own_line_and_the_footer_is_a_link(
    client, mailoutbox, django_capture_on_commit_callbacks
):
    course = make_course(code="ABC-201", title="Anti-bribery", questions=1)
    learner = UserFactory(first_name="Jordan")
    AssignmentFactory(learner=learner, course=course, status="failed")
    starts_at = timezone.now() + dt.timedelta(days=10)
    session = ReviewSession.objects.create(
        title="ABC refresher",
        course_code="ABC-201",
        starts_at=starts_at,
        ends_at=starts_at + dt.timedelta(hours=1),
        link="https://meet.example.com/abc",
    )
    client.force_login(AdminFactory())

    with django_capture_on_commit_callbacks(execute=True):
        client.post(reverse("escalation:review_session_book", args=[session.pk]), {"learner": learner.pk})

    [message] = mailoutbox
    assert "Joining link: https://meet.example.com/abc\n" in message.body
    assert GLUED.findall(message.body) == []
    html = message.alternatives[0][0]
    assert f'Open it at <a href="{settings.SITE_URL}">{settings.SITE_URL}</a>' in html
    assert '<a href="https://meet.example.com/abc"' in html
    assert _html_addresses_outside_links(html) == []


def test_the_welcome_emails_links_stand_alone(settings, mailoutbox):
    settings.SSO_DOMAINS = ["sso.example.org"]
    with_link = UserFactory(email="ana@example.com")
    single_sign_on = UserFactory(email="cy@sso.example.org")
    for person in (with_link, single_sign_on):
        message = render_message(person, Notification.Kind.INVITATION, [Notification(recipient=person, context={})])
        assert GLUED.findall(message.body) == [], message.body
        assert _html_addresses_outside_links(message.alternatives[0][0]) == []
    sso_body = render_message(
        single_sign_on, Notification.Kind.INVITATION, [Notification(recipient=single_sign_on, context={})]
    ).body
    assert f"\n{settings.SITE_URL}/accounts/login/\n" in sso_body
