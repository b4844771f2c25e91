"""Certificates verifiable the way people try (issue 13 item 9): the number printed on the PDF and
the verification code both work, however typed; the PDF carries the link and a QR code; and a
guessed or sequential number reveals nothing."""

from __future__ import annotations

import re
import secrets
import subprocess
import zlib

import pytest
import segno
from django.test import Client
from django.urls import reverse
from playwright.sync_api import Page, expect

from assignments.evidence import CODE_ALPHABET, new_certificate_number, number_carries_code
from assignments.models import Completion
from assignments.services.attempts import attempt_start, attempt_submit
from assignments.services.completions import completion_record
from courses.tests.factories import AssignmentFactory, CompletionFactory, answers_for, make_course
from lms.tests.factories import UserFactory
from reports.certificates import certificate_context, certificate_verify

pytestmark = pytest.mark.django_db


def _earn(title: str = "Data protection essentials", **learner) -> Completion:
    course = make_course(title=title, code="GDPR-101", recertification_months=12)
    assignment = AssignmentFactory(course=course, learner=UserFactory(**learner))
    attempt = attempt_start(assignment=assignment, quiz=course.final_quiz)
    return attempt_submit(attempt=attempt, answers=answers_for(attempt)).completion


def _pdf(completion: Completion, **headers) -> bytes:
    client = Client()
    client.force_login(completion.learner)
    response = client.get(reverse("certificate_download", args=[completion.pk]), **headers)
    assert response.status_code == 200
    return response.content


def _pdf_text(data: bytes) -> str:
    result = subprocess.run(["pdftotext", "-layout", "-", "-"], input=data, capture_output=True, check=True)
    return " ".join(result.stdout.decode().split())


def _printed_number(text: str) -> str:
    return re.search(r"Certificate number (\S+)", text).group(1)


def test_the_number_printed_on_the_pdf_verifies_the_certificate_however_it_is_typed():
    completion = _earn()
    printed = _printed_number(_pdf_text(_pdf(completion)))
    assert printed == completion.certificate_number
    assert re.fullmatch(r"GDPR-101-\d{8}(-[0-9A-Z]{4}){4}", printed)
    for typed in (printed, printed.lower(), f"  {printed} ", printed.replace("-", " - ", 2)):
        result = certificate_verify(code=typed)
        assert (result.status, result.completion) == ("valid", completion), typed


def test_the_verification_code_verifies_it_in_any_case_with_spaces_or_hyphens_between_groups():
    completion = _earn()
    code = completion.verification_code
    assert len(code) == 26 and set(code) <= set(CODE_ALPHABET)
    grouped = " ".join(code[index : index + 4] for index in range(0, 26, 4))
    for typed in (code, code.lower(), grouped, grouped.replace(" ", "-")):
        assert certificate_verify(code=typed).completion == completion, typed


def test_the_lookup_form_takes_the_number_or_the_code_and_shows_the_certificate():
    completion = _earn(first_name="Robin", last_name="Ashworth")
    client = Client()
    for typed in (f" {completion.certificate_number.lower()} ", completion.verification_code.lower()):
        response = client.get(reverse("certificate_verify_lookup"), {"code": typed}, follow=True)
        html = response.content.decode()
        assert response.status_code == 200, typed
        assert 'data-status="valid"' in html and "Robin Ashworth" in html and "Data protection essentials" in html


def test_the_printed_number_typed_with_spaces_instead_of_hyphens_verifies_the_certificate():
    # given the number as read off the paper: groups separated by spaces (the course code's too)
    completion = _earn(first_name="Robin", last_name="Ashworth")
    number = completion.certificate_number
    for typed in (number.replace("-", " "), number.replace("-", "  ").lower(), number.replace("-", " - ")):
        assert certificate_verify(code=typed).completion == completion, typed
        # when it is typed into the public form, logged out
        response = Client().get(reverse("certificate_verify_lookup"), {"code": typed}, follow=True)
        # then the certificate is recognised, not "Not recognised"
        html = response.content.decode()
        assert response.status_code == 200, typed
        assert 'data-status="valid"' in html and "Robin Ashworth" in html, typed


def _same_page(content: bytes) -> bytes:
    # The language switcher's form carries a CSRF token, masked anew for every response.
    return re.sub(rb'name="csrfmiddlewaretoken" value="[^"]+"', b"", content)


def test_a_guessed_or_sequential_number_reveals_nothing():
    # given certificates with numbers a stranger could guess: imported history numbered in
    # sequence, a number in the old format (8 random hex digits), and an earned one
    earned = _earn()
    imported = completion_record(
        learner=UserFactory(first_name="Imported", last_name="Person"),
        course=make_course(code="FIRE-1"),
        completed_at=earned.completed_at,
        score=90,
        source=Completion.Source.IMPORTED,
        certificate_number="CERT-0001",
    )
    old_format = CompletionFactory(
        certificate_number="GDPR-101-20250115-1A2B3C4D",
        verification_code="-" + secrets.token_urlsafe(15),  # as codes were: case-sensitive, may start with "-"
        learner=UserFactory(first_name="Old", last_name="Format"),
    )
    one_off = earned.certificate_number[:-1] + ("0" if earned.certificate_number[-1] != "0" else "1")
    client = Client()
    nobody = client.get(reverse("certificate_verify", args=["CERT-9999"]))

    # when each number (and a near miss of the earned one) is looked up alone
    for guess, holder in (
        ("CERT-0001", "Imported Person"),
        ("cert-0001", "Imported Person"),
        (old_format.certificate_number, "Old Format"),
        (one_off, earned.learner.get_full_name()),
    ):
        assert certificate_verify(code=guess).status == "unknown", guess
        response = client.get(reverse("certificate_verify", args=[guess]))
        # then the page is the page of a number that does not exist: nothing tells a guesser more
        assert response.status_code == 404
        assert holder not in response.content.decode()
        assert _same_page(response.content.replace(guess.encode(), b"")) == _same_page(
            nobody.content.replace(b"CERT-9999", b"")
        )

    # while their verification codes still work, and the imported number carries no code
    assert certificate_verify(code=imported.verification_code).completion == imported
    assert certificate_verify(code=old_format.verification_code).completion == old_format
    assert not number_carries_code(
        certificate_number=imported.certificate_number, verification_code=imported.verification_code
    )


def test_a_generated_number_carries_80_bits_of_its_code_and_only_its_own():
    first, second = "0123456789ABCDEFGHJKMNPQRS", "ZZZZ456789ABCDEFGHJKMNPQRS"
    number = new_certificate_number(course_code="gdpr-101", completed_at=None, verification_code=first)
    assert number.endswith("-0123-4567-89AB-CDEF") and number.startswith("GDPR-101-")
    assert number_carries_code(certificate_number=number, verification_code=first)
    assert not number_carries_code(certificate_number=number, verification_code=second)
    long_code = new_certificate_number(course_code="X" * 40, verification_code=first)
    assert len(long_code) <= 64 and number_carries_code(certificate_number=long_code, verification_code=first)


def test_the_pdf_carries_the_verification_link_and_a_qr_code_of_it(settings):
    settings.SITE_URL = "https://lms.test"
    settings.ALLOWED_HOSTS = ["testserver", "localhost"]
    completion = _earn()
    # The request's Host header (an allowed host on another port) never reaches the printed link.
    data = _pdf(completion, HTTP_HOST="localhost:6666")
    text = _pdf_text(data)
    assert "localhost" not in text
    link = f"https://lms.test/reports/verify/{completion.verification_code}/"
    assert link in text
    assert "https://lms.test/reports/verify/ " in text + " "  # where to type the number or code
    assert f"Verification code: {completion.verification_code}" in text
    # the link is a link in the PDF (a URI action), not only text
    assert f"/URI ({link})".encode() in _pdf_objects(data)
    # the QR code is an image in the PDF, and it encodes the link
    images = subprocess.run(["pdfimages", "-list", "-"], input=data, capture_output=True, check=False).stdout
    if not images:  # older poppler reads no stdin: use a file
        images = _pdfimages_list(data)
    rows = [line for line in images.decode().splitlines()[2:] if line.strip()]
    assert len(rows) == 1, images.decode()
    qr = certificate_context(completion)["verification_qr"]
    assert qr == segno.make(link, error="m").png_data_uri(scale=8, border=4)


def _pdf_objects(data: bytes) -> bytes:
    """The PDF with its compressed streams (object streams included) inflated."""
    inflated = [data]
    for stream in re.findall(rb"stream\r?\n(.*?)endstream", data, flags=re.S):
        try:
            inflated.append(zlib.decompress(stream))
        except zlib.error:
            continue
    return b"\n".join(inflated)


def _pdfimages_list(data: bytes) -> bytes:
    import tempfile

    with tempfile.NamedTemporaryFile(suffix=".pdf") as handle:
        handle.write(data)
        handle.flush()
        return subprocess.run(["pdfimages", "-list", handle.name], capture_output=True, check=True).stdout


def test_the_verification_page_shows_only_name_course_dates_and_status():
    completion = _earn(first_name="Robin", last_name="Ashworth", email="robin.ashworth@example.com")
    completion.learner.job_title = "Night shift supervisor"
    completion.learner.save()
    html = Client().get(reverse("certificate_verify", args=[completion.certificate_number])).content.decode()
    assert "Robin Ashworth" in html and "Data protection essentials" in html and 'data-status="valid"' in html
    for private in ("robin.ashworth@example.com", "Night shift supervisor", "Score", "100%"):
        assert private not in html, private


@pytest.mark.browser
@pytest.mark.django_db(transaction=True)
def test_someone_types_the_printed_number_into_the_verification_page(page: Page, live_server):
    # given a certificate earned and downloaded
    completion = _earn(first_name="Robin", last_name="Ashworth")
    printed = _printed_number(_pdf_text(_pdf(completion)))

    # when a stranger types the number printed on it, in lower case, into the verification page
    page.goto(f"{live_server.url}/reports/verify/")
    page.get_by_label("Certificate number or verification code").fill(f" {printed.lower()} ")
    page.get_by_role("button", name="Check").click()

    # then the page confirms it, with the holder's name and the course
    status = page.get_by_test_id("verification-status")
    expect(status).to_have_attribute("data-status", "valid")
    expect(status).to_contain_text("Genuine and valid")
    expect(page.get_by_text("Robin Ashworth")).to_be_visible()
    expect(page.get_by_text("Data protection essentials", exact=False)).to_be_visible()

    # and a sequential guess is not recognised
    page.goto(f"{live_server.url}/reports/verify/")
    page.get_by_label("Certificate number or verification code").fill("GDPR-101-00000001")
    page.get_by_role("button", name="Check").click()
    expect(page.get_by_test_id("verification-status")).to_have_attribute("data-status", "unknown")


def test_a_demo_certificate_verifies_by_its_printed_number():
    """The demo's certificates (seed_demo) were the ones found 'not recognised' by their number."""
    import datetime as dt

    from assignments.demo import _complete

    assignment = AssignmentFactory(course=make_course(code="GDPR-101"))
    completion = _complete(assignment, on=dt.date(2026, 11, 2), score=90)
    assert certificate_verify(code=completion.certificate_number.lower()).completion == completion
