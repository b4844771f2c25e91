"""The assignment notice e-mail ("you have been assigned ..., due ...").

One function, ``assignment_notice_send``, that the notification outbox (escalation app) will take
over: until then it sends Django e-mail directly, after the assigning transaction commits.
Delivery is at-most-once per call: ``notified_at`` is stamped only for the messages the backend
accepted, so a failed send can be retried with "re-notify".
"""

from __future__ import annotations

import logging
from collections.abc import Iterable

from django.conf import settings
from django.core.mail import EmailMultiAlternatives, get_connection
from django.db import transaction
from django.template.loader import render_to_string
from django.utils import timezone, translation

from assignments.models import Assignment

logger = logging.getLogger(__name__)


def _message(assignment: Assignment) -> EmailMultiAlternatives:
    learner = assignment.learner
    context = {
        "assignment": assignment,
        "learner": learner,
        "course": assignment.course,
        "organisation_name": settings.ORGANISATION_NAME,
    }
    with translation.override(learner.locale or settings.LANGUAGE_CODE):
        subject = " ".join(render_to_string("assignments/email/assignment_notice_subject.txt", context).split())
        text = render_to_string("assignments/email/assignment_notice.txt", context)
        html = render_to_string("assignments/email/assignment_notice.html", context)
    message = EmailMultiAlternatives(subject=subject, body=text, to=[learner.email])
    message.attach_alternative(html, "text/html")
    return message


def _deliver(ids: list[int]) -> None:
    assignments = list(
        Assignment.objects.filter(pk__in=ids, archived_at=None, learner__is_active=True).select_related(
            "learner", "course"
        )
    )
    sent: list[int] = []
    connection = get_connection()
    for assignment in assignments:
        try:
            connection.send_messages([_message(assignment)])
        except Exception:  # one bad address must not stop the others; logged and left un-stamped
            logger.exception("Assignment notice %s could not be sent", assignment.pk)
        else:
            sent.append(assignment.pk)
    if sent:
        Assignment.objects.filter(pk__in=sent).update(notified_at=timezone.now())


def assignment_notice_send(*, assignments: Iterable[Assignment]) -> int:
    """Queue the notice for each active assignment; sent when the current transaction commits."""
    ids = [assignment.pk for assignment in assignments if assignment.pk is not None]
    if ids:
        transaction.on_commit(lambda: _deliver(ids))
    return len(ids)
