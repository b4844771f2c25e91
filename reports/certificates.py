"""Certificates: who may fetch one, its PDF (WeasyPrint, from templates/reports/certificate.html,
with the verification link and its QR code) and what the public verification page says about a
certificate number or verification code."""

from __future__ import annotations

import copy
import datetime as dt
import re
from dataclasses import dataclass

import segno
from django.conf import settings
from django.db.models import Q
from django.template.loader import render_to_string
from django.urls import reverse
from django.utils import timezone

from assignments.evidence import normalise_code, number_carries_code
from assignments.models import Completion
from courses.translations.selectors import overlay_courses
from lms.recipients import as_person
from lms.selectors import user_ids_below_sql


def completion_get_for_viewer(*, viewer, pk: int) -> Completion | None:
    """A completion as ``viewer`` may see it: their own, anyone's below them in the reporting chain,
    or any for admins (one query). None otherwise, which views answer with 404."""
    qs = Completion.objects.select_related("learner", "course", "attempt")
    if not viewer.is_admin:
        qs = qs.filter(Q(learner_id=viewer.pk) | Q(learner_id__in=user_ids_below_sql(viewer.pk)))
    return qs.filter(pk=pk).first()


def certificate_qr_data_uri(url: str) -> str:
    """A QR code of ``url`` as a PNG data URI for the PDF (segno; medium error correction so a
    creased or smudged print still scans; 4 modules of quiet zone as the standard asks)."""
    qr = segno.make(url, error="m")
    return qr.png_data_uri(scale=8, border=4)


def certificate_context(completion: Completion, *, base_url: str | None = None) -> dict:
    # The printed link and its QR code always name the site's own address (SITE_URL), never the
    # Host header of the request that asked for the PDF.
    base_url = settings.SITE_URL if base_url is None else base_url
    learner = completion.learner
    tz = learner.tzinfo
    verification_url = base_url + reverse("certificate_verify", args=[completion.verification_code])
    # The course is named in the language its attempt was taken in (a Spanish learner who took it in
    # Spanish passed "Seguridad contra incendios"); a copy, so the caller's course is left as it is.
    course = copy.copy(completion.course)
    overlay_courses([(course, completion.attempt.language if completion.attempt_id else "")])
    return {
        "completion": completion,
        "learner_name": learner.get_full_name() or learner.email,
        "course": course,
        "completed_on": completion.completed_on,
        "attested_at": timezone.localtime(completion.attested_at, timezone=tz) if completion.attested_at else None,
        "organisation_name": settings.ORGANISATION_NAME,
        "verification_url": verification_url,
        "verification_qr": certificate_qr_data_uri(verification_url),
        "lookup_url": base_url + reverse("certificate_verify_lookup"),
    }


def certificate_html(completion: Completion, *, base_url: str | None = None) -> str:
    # The learner's certificate, in the learner's language and time zone whoever downloads it
    # (their manager, an admin abroad): the same document wherever it is printed.
    with as_person(completion.learner):
        return render_to_string("reports/certificate.html", certificate_context(completion, base_url=base_url))


def certificate_pdf(completion: Completion, *, base_url: str | None = None) -> bytes:
    """The certificate of ``completion`` as PDF bytes, rendered now. ``base_url`` (scheme and host,
    by default ``SITE_URL``) makes the printed verification link absolute; the PDF's own assets load
    from the project directory."""
    from weasyprint import HTML

    html = certificate_html(completion, base_url=base_url)
    return HTML(string=html, base_url=str(settings.BASE_DIR)).write_pdf()


def certificate_pdf_stored(completion: Completion) -> bytes:
    """The certificate of ``completion`` as PDF bytes, rendered once and kept in the default storage
    (MEDIA_ROOT, or the private bucket in production: every app server sees the same files) under
    ``certificates/<completion id>/<SHA-256 of the certificate's HTML>.pdf``. Rendering a PDF takes
    about a second of CPU in a fresh process and 60 ms after (WeasyPrint), the HTML a few
    milliseconds: the HTML names the file, so a change of what the certificate says (the learner's
    name or language, the course's title, the template) renders a new one and removes the old ones
    (a former name is not kept), and a download of an unchanged certificate reads the stored file
    (issue 18). A stored file that is not a whole PDF (a write cut short) is rendered again. Two
    first downloads at once may both render; the second's copy is removed, one file stays."""
    import hashlib

    from django.core.files.base import ContentFile
    from django.core.files.storage import default_storage
    from weasyprint import HTML

    html = certificate_html(completion)
    folder = f"certificates/{completion.pk}"
    name = f"{folder}/{hashlib.sha256(html.encode()).hexdigest()}.pdf"
    if default_storage.exists(name):
        with default_storage.open(name, "rb") as stored:
            pdf = stored.read()
        if _is_whole_pdf(pdf):
            return pdf
        default_storage.delete(name)
    pdf = HTML(string=html, base_url=str(settings.BASE_DIR)).write_pdf()
    saved = default_storage.save(name, ContentFile(pdf))
    if saved != name:  # another request stored it first: keep theirs, drop this copy
        default_storage.delete(saved)
    _, files = default_storage.listdir(folder)
    for other in files:
        if f"{folder}/{other}" != name:
            default_storage.delete(f"{folder}/{other}")
    return pdf


def _is_whole_pdf(data: bytes) -> bool:
    # A PDF starts with its header and ends with the end-of-file marker (ISO 32000-1, 7.5.2 and 7.5.5).
    return data.startswith(b"%PDF-") and b"%%EOF" in data[-1024:]


def certificate_filename(completion: Completion) -> str:
    return f"certificate-{completion.certificate_number}.pdf"


@dataclass(frozen=True)
class Verification:
    status: str  # "valid", "expired" or "unknown"
    completion: Completion | None = None
    today: dt.date | None = None

    @property
    def is_genuine(self) -> bool:
        return self.completion is not None


# What a certificate number or verification code can be: letters, digits, hyphens and underscores
# (old codes are ``secrets.token_urlsafe``). Anything else is unknown without asking the database
# (a NUL byte, for one, is an error to PostgreSQL). Whitespace is taken out before the check.
VERIFICATION_CODE_PATTERN = r"[A-Za-z0-9_-]{1,64}"


def verification_text(typed: str) -> str:
    """What someone typed or scanned, each run of spaces or hyphens between its groups read as the
    hyphen printed there: "abc 201 20261109 qm7g v6ff 84an rg7m" is the number
    abc-201-20261109-qm7g-v6ff-84an-rg7m (a code's hyphens are dropped by ``normalise_code``).
    Hyphens typed are kept as they are: codes from before Crockford codes may hold "--"."""
    return re.sub(r"\s*-\s*|\s+", "-", (typed or "").strip())


def certificate_verify(*, code: str, today: dt.date | None = None) -> Verification:
    """What the public verification page says about a certificate number or verification code
    however it is typed (letter case, spaces or hyphens between groups): genuine and valid,
    genuine but expired, or unknown.

    Certificates stay unguessable: the lookup needs the verification code (130 random bits), or a
    certificate number that carries its first 16 characters (``number_carries_code``). A number
    that does not (imported history, old numbers, a sequential guess) is unknown here, exactly as a
    number that does not exist, so the page tells a guesser nothing. The course is named as the
    certificate names it, in the language its attempt was taken in (``certificate_context``), so
    the verifier reads the title printed on the paper in front of them. One query; two when that
    language is a translation."""
    text = verification_text(code)
    today = today or timezone.localdate()
    if not re.fullmatch(VERIFICATION_CODE_PATTERN, text):
        return Verification(status="unknown", today=today)
    codes = {text, normalise_code(text)}
    numbers = {text.upper()}
    candidates = Completion.objects.select_related("learner", "course", "attempt").filter(
        Q(verification_code__in=codes) | Q(certificate_number__in=numbers)
    )[:3]
    completion = next(
        (
            candidate
            for candidate in candidates
            if candidate.verification_code in codes
            or number_carries_code(
                certificate_number=candidate.certificate_number, verification_code=candidate.verification_code
            )
        ),
        None,
    )
    if completion is None:
        return Verification(status="unknown", today=today)
    overlay_courses([(completion.course, completion.attempt.language if completion.attempt_id else "")])
    if completion.expires_on is not None and completion.expires_on < today:
        return Verification(status="expired", completion=completion, today=today)
    return Verification(status="valid", completion=completion, today=today)
