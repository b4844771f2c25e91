"""The dispatcher: sends pending outbox rows as email (the same rows are the in-app list).

Delivery choice, written down (STYLE 9): claim before the side effect. A batch of pending rows is
claimed under ``select_for_update(skip_locked=True)`` (two dispatchers never claim the same row),
marked ``sending`` with a claim token and committed; the email is sent outside any transaction;
then the rows are marked ``sent``. A dispatcher killed after claiming leaves rows in ``sending``;
after LEASE they return to ``pending`` and are sent by the next run. The only window for a
duplicate is a kill between the mail server accepting a message and the ``sent`` update, for that
one message. Failures are retried with back-off up to MAX_TRIES, with the last error recorded.
The claimed batches of one run are sent over ONE mail connection (``get_connection``, opened once;
each email goes through its ``send_messages`` on its own, so each email's outcome is known): one
SMTP session for thousands of emails instead of one per email. A failed send closes it and the
next email opens a new one.

A recipient's pending rows of one kind are sent as one email listing every item: a manager with
five late people gets one message. It lists each thing once (``message_items``): rows about the
same assignment (one person told in two roles, two ladder steps caught up in one night) are one
item, so each learner appears once per course whatever roles the recipient holds. Its subject
covers what it holds (escalation.subjects). Each item links to the page it is about, on the
site's own address (escalation.links).

Subjects and text parts are plain text, rendered without HTML autoescaping (an apostrophe in a
course title stays an apostrophe); the HTML part escapes them exactly once.
"""

from __future__ import annotations

import datetime as dt
import logging
import secrets
from collections import Counter
from itertools import groupby

from django.conf import settings
from django.core.mail import EmailMultiAlternatives, get_connection
from django.db import transaction
from django.db.models import Count, F, Q
from django.template import Context, TemplateDoesNotExist
from django.template.loader import get_template, render_to_string
from django.utils import timezone

from escalation.links import absolute, certificate_url, notification_path
from escalation.models import Notification
from escalation.subjects import Held, subject_for
from lms.recipients import as_person

logger = logging.getLogger(__name__)

LEASE = dt.timedelta(minutes=15)
MAX_TRIES = 5
BATCH_SIZE = 500

# Attachments by kind: a function (notification rows) -> list[(filename, bytes, mimetype)].
ATTACHMENTS: dict[str, callable] = {}


def attachment_builder(kind: str):
    def decorator(func):
        ATTACHMENTS[kind] = func
        return func

    return decorator


def _claim(now: dt.datetime, batch_size: int) -> str | None:
    token = secrets.token_hex(8)
    with transaction.atomic():
        due = Notification.objects.select_for_update(skip_locked=True).filter(
            status=Notification.Status.PENDING, send_after__lte=now
        )
        rows = list(due.order_by("recipient_id", "pk").values_list("pk", "recipient_id")[:batch_size])
        if not rows:
            return None
        ids = [pk for pk, _ in rows]
        # Take the rest of these recipients' rows too, so that nobody gets a message split at the
        # batch boundary (rows another dispatcher holds are skipped, never waited for).
        recipients = {recipient for _, recipient in rows}
        ids += list(due.filter(recipient_id__in=recipients).exclude(pk__in=ids).values_list("pk", flat=True))
        Notification.objects.filter(pk__in=ids, status=Notification.Status.PENDING).update(
            status=Notification.Status.SENDING, claimed_at=now, claim_token=token, tries=F("tries") + 1
        )
    return token


# The item of a row, beyond its assignment: kinds whose rows about one assignment are each their
# own event (two failed attempts, two letters, two bookings). For every other kind the rows about
# one assignment are one item: the latest, e.g. the manager's manager who is also the
# compliance officer, or two ladder steps of one learner caught up in the same night.
ITEM_IDENTITY = {
    Notification.Kind.ATTEMPT_FAILED: "attempt",
    Notification.Kind.MANAGER_ATTEMPT_FAILED: "attempt",
    Notification.Kind.WARNING_LETTER: "reference",
    Notification.Kind.REVIEW_BOOKED: "booking",
    # Each booster step is its own question (assignments.boosters).
    Notification.Kind.BOOSTER: "delivery_id",
}


def message_items(kind: str, rows: list[Notification]) -> list[Notification]:
    """The rows one message lists: one per thing it is about, in the order first written, each
    the latest row about that thing (rows come in primary-key order)."""
    identity = ITEM_IDENTITY.get(kind)
    chosen: dict[tuple, Notification] = {}
    for row in rows:
        if row.assignment_id is None:
            key = ("row", row.pk)
        else:
            key = (row.assignment_id, row.context.get(identity) if identity else None)
        chosen[key] = row  # a later row about the same thing replaces the earlier, in its place
    return list(chosen.values())


def _learners(rows: list[Notification]) -> list[object]:
    """The learner each row is about (None for a row about no learner, such as a digest): the
    assignment's learner, read with the rows when they come from ``_deliver``; for a row without
    an assignment, the learner it names."""
    missing = [row.assignment_id for row in rows if row.assignment_id and not hasattr(row, "learner_of")]
    if missing:
        from assignments.models import Assignment

        known = dict(Assignment.objects.filter(pk__in=missing).values_list("pk", "learner_id"))
        for row in rows:
            if row.assignment_id and not hasattr(row, "learner_of"):
                row.learner_of = known.get(row.assignment_id)
    return [
        getattr(row, "learner_of", None) if row.assignment_id else (row.context.get("learner") or None) for row in rows
    ]


def render_text(template_name: str, context: dict) -> str:
    """A plain-text template (an email's text part) rendered without HTML autoescaping.

    Returned as a plain ``str``, not the SafeString a template renders: the text is not safe HTML,
    and the HTML part (``{{ text|linebreaks }}``) must escape it."""
    rendered = get_template(template_name).template.render(Context(context, autoescape=False))
    return str.__str__(rendered)


def _linked_items(recipient, kind: str, rows: list[Notification], learners: list[object]) -> list[dict]:
    """Each row's context with the absolute address of the page it is about (escalation.links),
    and for a pass, of the certificate."""
    items = []
    for row, learner_id in zip(rows, learners, strict=True):
        path = notification_path(
            kind=kind, recipient=recipient, assignment_id=row.assignment_id, learner_id=learner_id, context=row.context
        )
        item = {**row.context, "url": absolute(path), "linked": path is not None}
        if kind == Notification.Kind.COURSE_PASSED:
            item["certificate_url"] = certificate_url(row.context)
        items.append(item)
    return items


def render_message(recipient, kind: str, rows: list[Notification]) -> EmailMultiAlternatives:
    rows = message_items(kind, rows)
    learners = _learners(rows)
    items = _linked_items(recipient, kind, rows, learners)
    context = {
        "recipient": recipient,
        "items": items,
        "count": len(items),
        "organisation_name": settings.ORGANISATION_NAME,
        "site_url": settings.SITE_URL,
    }
    # Everything the recipient reads (subject, text, HTML, attachments such as an ICS invitation)
    # in their language and time zone (lms.recipients); a document that belongs to someone else
    # (a learner's warning letter attached to their manager's copy) switches to its owner inside.
    with as_person(recipient):
        subject = subject_for(kind, Held(items, learners))
        text = render_text(f"escalation/email/{kind}.txt", context)
        try:
            html = render_to_string(f"escalation/email/{kind}.html", {**context, "subject": subject})
        except TemplateDoesNotExist:
            html = render_to_string("escalation/email/base.html", {**context, "subject": subject, "text": text})
        message = EmailMultiAlternatives(subject, text, settings.DEFAULT_FROM_EMAIL, [recipient.email])
        message.attach_alternative(html, "text/html")
        builder = ATTACHMENTS.get(kind)
        if builder:
            for filename, content, mimetype in builder(rows):
                message.attach(filename, content, mimetype)
    return message


def _deliver(token: str, now: dt.datetime, connection) -> Counter:
    """Send the claimed rows, one email per recipient and kind; the figures of ``run_dispatch``."""
    rows = list(
        Notification.objects.filter(claim_token=token, status=Notification.Status.SENDING)
        .select_related("recipient")
        .annotate(learner_of=F("assignment__learner_id"))
        .order_by("recipient_id", "kind", "pk")
    )
    totals = Counter()
    for (recipient_id, kind), group in groupby(rows, key=lambda r: (r.recipient_id, r.kind)):
        group = list(group)
        ids = [row.pk for row in group]
        recipient = group[0].recipient
        if not recipient.is_active or not recipient.email:
            Notification.objects.filter(pk__in=ids, claim_token=token).update(
                status=Notification.Status.CANCELLED, last_error="recipient inactive"
            )
            totals["notifications_cancelled"] += len(ids)
            continue
        try:
            connection.open()  # once per run: a no-op while the session is open
            message = render_message(recipient, kind, group)
            message.connection = connection  # send() goes through connection.send_messages
            message.send()
        except Exception as error:  # noqa: BLE001 - any delivery error is recorded and retried
            connection.close()  # a session the server dropped is not reused: the next email opens one
            logger.warning("notification delivery failed for %s (%s): %s", recipient_id, kind, error)
            tries = group[0].tries
            give_up = tries >= MAX_TRIES
            Notification.objects.filter(pk__in=ids, claim_token=token).update(
                status=Notification.Status.FAILED if give_up else Notification.Status.PENDING,
                last_error=f"{type(error).__name__}: {error}"[:2000],
                send_after=now + dt.timedelta(minutes=5 * 2**tries),
                claim_token="",
            )
            totals["emails_failed"] += 1
            continue
        Notification.objects.filter(pk__in=ids, claim_token=token).update(
            status=Notification.Status.SENT, sent_at=timezone.now(), last_error=""
        )
        totals["emails_sent"] += 1
        totals["notifications_sent"] += len(ids)
    return totals


def _due(now: dt.datetime) -> Q:
    """The rows a run at ``now`` would claim: due, or back from a lapsed lease."""
    lapsed = Q(status=Notification.Status.SENDING, claimed_at__lt=now - LEASE)
    return Q(status=Notification.Status.PENDING, send_after__lte=now) | lapsed


def queued_split(*, as_of: dt.datetime, after: int) -> dict:
    """Of the rows a run at ``as_of`` would send (due, to an active recipient with an address):
    how many were written after row ``after`` (queued tonight), how many were already waiting, and
    to how many people. The preview's dispatch line, so that it adds up with what it listed."""
    sendable = Notification.objects.filter(_due(as_of), recipient__is_active=True).exclude(recipient__email="")
    return sendable.aggregate(
        notifications_tonight=Count("pk", filter=Q(pk__gt=after)),
        notifications_waiting=Count("pk", filter=Q(pk__lte=after)),
        people=Count("recipient_id", distinct=True),
    )


def _predict(now: dt.datetime) -> Counter:
    """The figures a run at ``now`` would report, sending nothing: one email per recipient and kind
    among the rows it would claim (due, or back from a lapsed lease), none to an inactive recipient
    or one without an address (those rows are cancelled). A failure cannot be foreseen."""
    lapsed = Q(status=Notification.Status.SENDING, claimed_at__lt=now - LEASE)
    due = _due(now)
    totals = Counter(notifications_recovered=Notification.objects.filter(lapsed).count())
    groups = (
        Notification.objects.filter(due)
        .values("recipient_id", "kind", "recipient__is_active", "recipient__email")
        .annotate(rows=Count("pk"))
        .order_by()
    )
    for group in groups:
        if group["recipient__is_active"] and group["recipient__email"]:
            totals["emails_sent"] += 1
            totals["notifications_sent"] += group["rows"]
        else:
            totals["notifications_cancelled"] += group["rows"]
    return totals


FIGURES = ("emails_sent", "notifications_sent", "emails_failed", "notifications_cancelled", "notifications_recovered")


def run_dispatch(*, as_of: dt.datetime | None = None, dry_run: bool = False, batch_size: int = BATCH_SIZE) -> dict:
    """Send what is due. The figures say what they count: ``emails_sent`` and ``emails_failed`` are
    emails (one per recipient and kind), ``notifications_*`` are outbox rows (those the sent emails
    listed, those cancelled for an inactive recipient, those back from a lapsed lease). A dry run
    reports the same figures for what a run would do, and sends and changes nothing."""
    now = as_of or timezone.now()
    if dry_run:
        totals = _predict(now)
    else:
        totals = Counter(
            notifications_recovered=Notification.objects.filter(
                status=Notification.Status.SENDING, claimed_at__lt=now - LEASE
            ).update(status=Notification.Status.PENDING, claim_token="")
        )
        # One mail connection for the whole run (one SMTP session, not one per email).
        connection = get_connection()
        try:
            while (token := _claim(now, batch_size)) is not None:
                totals.update(_deliver(token, now, connection))
        finally:
            connection.close()
    return {figure: totals[figure] for figure in FIGURES}
