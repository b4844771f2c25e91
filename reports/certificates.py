"""Certificates: who may fetch one, its PDF (WeasyPrint, from templates/reports/certificate.html)
and what the public verification page says about a code."""

from __future__ import annotations

import datetime as dt
import re
from dataclasses import dataclass

from django.conf import settings
from django.db.models import Q
from django.template.loader import render_to_string
from django.urls import reverse
from django.utils import timezone

from assignments.models import Completion
from lms.selectors import user_ids_below_sql


def completion_get_for_viewer(*, viewer, pk: int) -> Completion | None:
    """A completion as ``viewer`` may see it: their own, anyone's below them in the reporting chain,
    or any for admins (one query). None otherwise, which views answer with 404."""
    qs = Completion.objects.select_related("learner", "course")
    if not viewer.is_admin:
        qs = qs.filter(Q(learner_id=viewer.pk) | Q(learner_id__in=user_ids_below_sql(viewer.pk)))
    return qs.filter(pk=pk).first()


def certificate_context(completion: Completion, *, base_url: str = "") -> dict:
    learner = completion.learner
    tz = learner.tzinfo
    return {
        "completion": completion,
        "learner_name": learner.get_full_name() or learner.email,
        "course": completion.course,
        "completed_on": completion.completed_on,
        "attested_at": timezone.localtime(completion.attested_at, timezone=tz) if completion.attested_at else None,
        "organisation_name": settings.ORGANISATION_NAME,
        "verification_url": base_url + reverse("certificate_verify", args=[completion.verification_code]),
    }


def certificate_pdf(completion: Completion, *, base_url: str = "") -> bytes:
    """The certificate of ``completion`` as PDF bytes. ``base_url`` (scheme and host) makes the
    printed verification link absolute."""
    from weasyprint import HTML

    html = render_to_string("reports/certificate.html", certificate_context(completion, base_url=base_url))
    return HTML(string=html, base_url=str(settings.BASE_DIR)).write_pdf()


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


# Verification codes are ``secrets.token_urlsafe`` (assignments.evidence): anything else is unknown
# without asking the database (a NUL byte, for one, is an error to PostgreSQL).
VERIFICATION_CODE_PATTERN = r"[A-Za-z0-9_-]{1,64}"


def certificate_verify(*, code: str, today: dt.date | None = None) -> Verification:
    """What the public verification page says about ``code``: genuine and valid, genuine but
    expired, or unknown."""
    code = (code or "").strip()
    today = today or timezone.localdate()
    completion = (
        Completion.objects.select_related("learner", "course").filter(verification_code=code).first()
        if re.fullmatch(VERIFICATION_CODE_PATTERN, code)
        else None
    )
    if completion is None:
        return Verification(status="unknown", today=today)
    if completion.expires_on is not None and completion.expires_on < today:
        return Verification(status="expired", completion=completion, today=today)
    return Verification(status="valid", completion=completion, today=today)
