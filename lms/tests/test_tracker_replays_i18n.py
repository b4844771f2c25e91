"""Bugs other products had with languages (issue 16), replayed on ours.

- Sefaria/Sefaria-Project#2288 and open-mercato/open-mercato#1264: the interface-language switch
  redirected to any address given as its "next"/"redirect" (absolute, protocol-relative, backslash
  forms): a trusted link that lands on a phishing page.
- atjiu/pybbs#210: the language switch redirected to the Referer header.
- mdjnelson/moodle-mod_customcert#325 and bpampuch/pdfmake#517: an Arabic name and course title
  came out of the certificate PDF with their letters reversed and detached.
"""

from __future__ import annotations

import datetime as dt
from urllib.parse import urljoin, urlsplit

import pytest
from django.test import Client
from django.urls import reverse

from courses.tests.factories import AssignmentFactory, CompletionFactory, make_course
from lms.tests.factories import UserFactory
from lms.tests.recipient_language import assert_from_start_edge, assert_in_pdf, pdf_text

pytestmark = pytest.mark.django_db

HOSTILE_NEXT = [
    "https://evil.example/phish",
    "//evil.example/phish",
    "/\\evil.example/phish",
    "\\\\evil.example",
    "https:evil.example",
    "javascript:alert(1)",
    "%2F%2Fevil.example",
    " //evil.example",
]


@pytest.mark.parametrize("signed_in", [False, True])
@pytest.mark.parametrize("target", HOSTILE_NEXT)
def test_the_language_switch_never_leaves_the_site(target, signed_in):
    client = Client()
    if signed_in:
        client.force_login(UserFactory())
    response = client.post(
        reverse("set_language"),
        {"language": "fr", "next": target},
        HTTP_REFERER="https://evil.example/from-referer",
    )
    assert response.status_code in (302, 204)
    landed = urlsplit(urljoin("http://testserver/language/", response.get("Location", "/")))
    assert landed.scheme == "http" and landed.netloc == "testserver", landed


def test_the_language_switch_does_not_follow_a_foreign_referer():
    client = Client()
    response = client.post(reverse("set_language"), {"language": "de"}, HTTP_REFERER="https://evil.example/x")
    assert urlsplit(urljoin("http://testserver/language/", response.get("Location", "/"))).netloc == "testserver"


def test_an_arabic_name_and_course_title_read_in_order_on_the_certificate(client, settings):
    settings.ORGANISATION_NAME = "Zephyrwood Trust"
    learner = UserFactory(locale="ar", timezone="Asia/Dubai", first_name="الكونت", last_name="كريستو")
    course = make_course(title="حماية البيانات")
    assignment = AssignmentFactory(course=course, learner=learner)
    completion = CompletionFactory(
        assignment=assignment, learner=learner, course=course, completed_at=dt.datetime(2026, 11, 13, 9, tzinfo=dt.UTC)
    )
    client.force_login(learner)
    response = client.get(reverse("certificate_download", args=[completion.pk]))
    pdf = b"".join(response.streaming_content) if response.streaming else response.content
    text = pdf_text(pdf)
    # each word whole (a reversed or detached word would not be found), the lines set from the right
    assert_in_pdf("الكونت كريستو", text, "ar")
    assert_in_pdf("حماية البيانات", text, "ar")
    assert "ةيامح" not in text and "تنوكلا" not in text  # the words spelt backwards
    assert_from_start_edge(pdf, "Zephyrwood", "ar")
