"""Bugs other LMSs' certificate verification shipped, replayed on ours (issue 13 item 9).

Each test names the public report it replays."""

from __future__ import annotations

import re

import pytest
from django.test import Client
from django.urls import reverse

from reports.tests.test_certificate_verification import _earn, _pdf, _pdf_text

pytestmark = pytest.mark.django_db


def _printed_link(text: str) -> str:
    """The link after "open", which the PDF's line may wrap after ``/verify/``."""
    found = re.search(r"open (https?://\S+/verify/)\s*([0-9A-Z]+/)", text)
    return found.group(1) + found.group(2)


def test_customcert_545_the_link_on_the_pdf_opens_the_verification_without_signing_in():
    """mdjnelson/moodle-mod_customcert#545: scanning a certificate's QR code sent people to the login
    page. The link printed on ours (the QR code encodes the same link) opens for anyone signed out."""
    completion = _earn()
    link = _printed_link(_pdf_text(_pdf(completion)))
    path = "/" + link.split("://", 1)[1].split("/", 1)[1]
    response = Client().get(path)
    assert response.status_code == 200
    assert 'data-status="valid"' in response.content.decode()


def test_customcert_430_verification_names_what_was_certified_so_an_edited_pdf_shows():
    """mdjnelson/moodle-mod_customcert#430: the verification page said only "valid", so a PDF whose
    course or level had been edited still verified. Ours shows the person, the course and the date
    on record, which a reader compares with the paper."""
    completion = _earn(title="Anti-bribery for managers", first_name="Ana", last_name="Silva")
    html = " ".join(
        Client().get(reverse("certificate_verify", args=[completion.verification_code])).content.decode().split()
    )
    assert "Ana Silva" in html
    assert "Anti-bribery for managers" in html
    assert str(completion.completed_at.year) in html
