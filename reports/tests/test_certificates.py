from __future__ import annotations

import datetime as dt
import subprocess
from decimal import Decimal

import pytest
from django.urls import reverse
from django.utils import timezone

from assignments.services.attempts import attempt_start, attempt_submit
from courses.tests.factories import AssignmentFactory, CompletionFactory, answers_for, make_course
from lms.tests.factories import AdminFactory, UserFactory, make_chain
from reports.certificates import certificate_verify

pytestmark = pytest.mark.django_db


def pdf_text(data: bytes) -> str:
    result = subprocess.run(["pdftotext", "-layout", "-", "-"], input=data, capture_output=True, check=True)
    return result.stdout.decode()


@pytest.fixture
def chain():
    """director > team lead > learner."""
    return make_chain(3)


@pytest.fixture
def completion(chain):
    learner = chain[2]
    course = make_course(title="Data protection essentials", recertification_months=12, cpd_points=Decimal("2.5"))
    assignment = AssignmentFactory(course=course, learner=learner)
    attempt = attempt_start(assignment=assignment, quiz=course.final_quiz)
    return attempt_submit(attempt=attempt, answers=answers_for(attempt)).completion


def test_learner_downloads_a_pdf_with_everything_on_it(client, completion, settings):
    settings.ORGANISATION_NAME = "Acme Logistics"
    client.force_login(completion.learner)
    response = client.get(reverse("certificate_download", args=[completion.pk]))
    assert response.status_code == 200
    assert response["Content-Type"] == "application/pdf"
    assert f'filename="certificate-{completion.certificate_number}.pdf"' in response["Content-Disposition"]
    text = " ".join(pdf_text(response.content).split())
    assert completion.learner.get_full_name() in text
    assert completion.certificate_number in text
    assert "Data protection essentials" in text
    assert "Acme Logistics" in text
    assert "100%" in text
    assert "2.5" in text
    assert completion.expires_on.strftime("%-d %b %Y") in text
    assert timezone.localdate(completion.completed_at).strftime("%-d %b %Y") in text
    assert completion.verification_code in text


def test_the_certificate_names_the_course_in_the_language_its_attempt_was_taken_in(client, chain):
    from courses.translations.tests.factories import translate_all

    learner = chain[2]
    learner.locale = "es"
    learner.save(update_fields=["locale"])
    course = make_course(title="Fire safety")
    translate_all(course, "es", prefix="ES ")
    assignment = AssignmentFactory(course=course, learner=learner)
    attempt = attempt_start(assignment=assignment, quiz=course.final_quiz, language="es")
    completion = attempt_submit(attempt=attempt, answers=answers_for(attempt)).completion
    client.force_login(chain[1])  # the manager downloads it: still the learner's document

    text = " ".join(pdf_text(client.get(reverse("certificate_download", args=[completion.pk])).content).split())

    assert "ES Fire safety" in text


def test_the_verification_page_names_the_course_as_the_certificate_does(client, chain, django_assert_num_queries):
    """The public page names the course in the language its attempt was taken in, as the printed
    certificate does (issue 16's leftover: it named it in the course's main language)."""
    from courses.translations.tests.factories import translate_all

    learner = chain[2]
    course = make_course(title="Fire safety")
    translate_all(course, "es", prefix="ES ")
    assignment = AssignmentFactory(course=course, learner=learner)
    attempt = attempt_start(assignment=assignment, quiz=course.final_quiz, language="es")
    completion = attempt_submit(attempt=attempt, answers=answers_for(attempt)).completion

    with django_assert_num_queries(2):  # the certificate, and the course's Spanish title
        assert certificate_verify(code=completion.verification_code).completion.course.title == "ES Fire safety"
    page = client.get(reverse("certificate_verify", args=[completion.verification_code]))
    assert "ES Fire safety" in page.content.decode()
    english = CompletionFactory(learner=learner)
    with django_assert_num_queries(1):
        certificate_verify(code=english.verification_code)


@pytest.mark.parametrize("who", ["manager", "director", "admin"])
def test_managers_up_the_chain_and_admins_can_download(client, chain, completion, who):
    viewer = {"director": chain[0], "manager": chain[1], "admin": AdminFactory()}[who]
    client.force_login(viewer)
    assert client.get(reverse("certificate_download", args=[completion.pk])).status_code == 200


@pytest.mark.parametrize("who", ["colleague", "learners_own_report", "outsider", "anonymous"])
def test_anyone_else_gets_404_or_login(client, chain, completion, who):
    url = reverse("certificate_download", args=[completion.pk])
    if who == "anonymous":
        response = client.get(url)
        assert response.status_code == 302 and response.url.startswith(reverse("login"))
        return
    viewer = {
        "colleague": lambda: UserFactory(manager=chain[1]),
        "learners_own_report": lambda: UserFactory(manager=chain[2]),
        "outsider": lambda: UserFactory(manager=UserFactory()),
    }[who]()
    client.force_login(viewer)
    assert client.get(url).status_code == 404


def test_retraining_gives_a_new_certificate_and_keeps_the_old_one(client):
    learner = UserFactory()
    course = make_course()
    old = CompletionFactory(learner=learner, course=course, completed_at=timezone.now() - dt.timedelta(days=400))
    new = CompletionFactory(learner=learner, course=course)
    client.force_login(learner)
    old_text = pdf_text(client.get(reverse("certificate_download", args=[old.pk])).content)
    new_text = pdf_text(client.get(reverse("certificate_download", args=[new.pk])).content)
    assert old.certificate_number in old_text and new.certificate_number not in old_text
    assert new.certificate_number in new_text
    assert timezone.localdate(old.completed_at).strftime("%-d %b %Y") in " ".join(old_text.split())


# --- public verification --------------------------------------------------------------------


def test_verification_page_confirms_a_genuine_valid_certificate_without_login(client, completion):
    response = client.get(reverse("certificate_verify", args=[completion.verification_code]))
    html = response.content.decode()
    assert response.status_code == 200
    assert 'data-status="valid"' in html and "Genuine and valid" in html
    assert completion.learner.get_full_name() in html and completion.certificate_number in html
    assert response["X-Robots-Tag"] == "noindex"


def test_verification_page_says_an_expired_certificate_has_expired(client):
    completion = CompletionFactory(expires_on=timezone.localdate() - dt.timedelta(days=1))
    response = client.get(reverse("certificate_verify", args=[completion.verification_code]))
    html = response.content.decode()
    assert response.status_code == 200
    assert 'data-status="expired"' in html and "expired on" in html
    assert "Genuine and valid" not in html


def test_verification_page_says_an_unknown_code_is_not_recognised(client):
    CompletionFactory()
    response = client.get(reverse("certificate_verify", args=["not-a-real-code"]))
    html = response.content.decode()
    assert response.status_code == 404
    assert 'data-status="unknown"' in html and "We have no certificate with this number or verification code" in html


def test_lookup_form_goes_to_the_verification_page(client, completion):
    response = client.get(reverse("certificate_verify_lookup"), {"code": f"  {completion.verification_code} "})
    assert response.url == reverse("certificate_verify", args=[completion.verification_code])
    empty = client.get(reverse("certificate_verify_lookup"), {"code": ""})
    assert (
        empty.status_code == 200 and "Enter the certificate number or the verification code" in empty.content.decode()
    )


def test_certificate_verify_statuses():
    today = dt.date(2026, 6, 1)
    valid = CompletionFactory(expires_on=today)
    expired = CompletionFactory(expires_on=today - dt.timedelta(days=1))
    forever = CompletionFactory(expires_on=None)
    assert certificate_verify(code=valid.verification_code, today=today).status == "valid"
    assert certificate_verify(code=expired.verification_code, today=today).status == "expired"
    assert certificate_verify(code=forever.verification_code, today=today).status == "valid"
    assert certificate_verify(code="", today=today).status == "unknown"
    assert certificate_verify(code="x" * 200, today=today).status == "unknown"


@pytest.mark.parametrize("code", ["a/b", "../x", "x;y", "\x00", "é" * 3, "a" * 65])
def test_a_code_that_cannot_be_a_verification_code_is_a_form_message_not_a_500(client, code):
    """Outside eyes: ?code=a/b answered 500 (NoReverseMatch) and a NUL byte 500 (PostgreSQL)."""
    CompletionFactory()
    response = client.get(reverse("certificate_verify_lookup"), {"code": code})
    if code == "\x00":
        # Refused before any page reads it (lms.middleware.RefuseNulInQueryMiddleware).
        assert response.status_code == 400
        return
    assert response.status_code == 200
    assert "letters, digits, hyphens and underscores" in response.content.decode() or len(code) > 64


def test_a_nul_byte_in_the_verification_path_is_not_recognised(client):
    CompletionFactory()
    response = client.get("/reports/verify/%00/")
    assert response.status_code == 400


def test_a_certificate_is_rendered_once_and_again_only_when_what_it_says_changes(client, completion, monkeypatch):
    """Issue 18: WeasyPrint takes about a second of CPU a certificate; downloads read the stored file."""
    import weasyprint

    renders = []
    real_write_pdf = weasyprint.HTML.write_pdf

    def counting_write_pdf(self, *args, **kwargs):
        renders.append(1)
        return real_write_pdf(self, *args, **kwargs)

    monkeypatch.setattr(weasyprint.HTML, "write_pdf", counting_write_pdf)
    client.force_login(completion.learner)
    url = reverse("certificate_download", args=[completion.pk])

    first = client.get(url)
    second = client.get(url)
    assert first.status_code == second.status_code == 200
    assert first.content == second.content
    assert len(renders) == 1

    learner = completion.learner
    learner.last_name = "Renamed-Afterwards"
    learner.save()
    third = client.get(url)
    assert len(renders) == 2
    assert "Renamed-Afterwards" in pdf_text(third.content)
    assert client.get(url).content == third.content
    assert len(renders) == 2


def test_a_stored_certificate_cut_short_is_rendered_again_and_a_former_name_is_not_kept(client, completion, settings):
    from pathlib import Path

    client.force_login(completion.learner)
    url = reverse("certificate_download", args=[completion.pk])
    client.get(url)
    folder = Path(settings.MEDIA_ROOT) / "certificates" / str(completion.pk)
    (stored,) = folder.iterdir()
    stored.write_bytes(b"%PDF-1.7 cut short")

    again = client.get(url)
    assert again.content.startswith(b"%PDF-") and b"%%EOF" in again.content[-1024:]
    assert [p.name for p in folder.iterdir()] == [stored.name]
    assert stored.read_bytes() == again.content

    learner = completion.learner
    learner.first_name = "Former-Name-Gone"
    learner.save()
    client.get(url)
    learner.first_name = "Present"
    learner.save()
    client.get(url)
    files = list(folder.iterdir())
    assert len(files) == 1
    assert "Former-Name-Gone" not in pdf_text(files[0].read_bytes())
