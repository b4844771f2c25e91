"""The reminder and ladder rows are written with INSERT ... SELECT ... ON CONFLICT DO NOTHING: the
same rows, contexts that render, idempotent, and a number of queries that does not grow with data."""

from __future__ import annotations

import datetime as dt

import pytest
from django.conf import settings
from django.core import mail
from django.db import connection, transaction
from django.db.models import CharField, F, Q, Value
from django.db.models.functions import Cast, Concat, JSONObject
from django.test.utils import CaptureQueriesContext
from django.urls import reverse
from django.utils import timezone

from assignments.models import Assignment
from courses.tests.factories import make_course
from escalation.dispatch import run_dispatch
from escalation.models import EscalationEvent, EscalationPolicy, EscalationStep, Notification, WarningLetter
from escalation.tests.conftest import assign, at
from escalation.workflows.overdue import NOTIFICATION_COLUMNS, run_overdue_ladder
from escalation.workflows.reminders import run_due_reminders
from escalation.workflows.sql import _compiled
from lms.tests.factories import UserFactory

pytestmark = pytest.mark.django_db
ORDINAL = {1: "first", 2: "second", 3: "third"}
DUE = dt.date(2026, 3, 20)
TAG = "20260320"  # the deadline in keys and references: progress belongs to a deadline


@pytest.fixture
def org(db):
    director = UserFactory(first_name="Dana", last_name="Director", email="director@example.com")
    lead = UserFactory(first_name="Taylor", last_name="Lead", manager=director, email="lead@example.com")
    sam = UserFactory(first_name="Sam", last_name="Stone", manager=lead, email="sam@example.com")
    loner = UserFactory(first_name="Lee", last_name="Alone", email="lee@example.com")
    officer = UserFactory(first_name="Olu", last_name="Officer", email="officer@example.com")
    EscalationPolicy.objects.filter(course_code="").update(compliance_officer=officer)
    # The default ladder tells no officer (a fresh install names none): naming one, the last step tells them.
    EscalationStep.objects.filter(policy__course_code="", days_overdue=14).update(notify_compliance_officer=True)
    course = make_course(questions=2, title="Data protection", compliance_critical=True)
    return {
        "director": director,
        "lead": lead,
        "sam": sam,
        "loner": loner,
        "officer": officer,
        "course": course,
        "a": assign(sam, course, due=DUE),
        "b": assign(loner, course, due=DUE),
    }


def outbox() -> dict[str, tuple[int, str, dict]]:
    return {n.dedupe_key: (n.recipient_id, n.kind, n.context) for n in Notification.objects.all()}


def test_ladder_writes_the_same_rows_as_before(org):
    a, b, course = org["a"], org["b"], org["course"]
    sam, loner, lead, director, officer = (org[k] for k in ("sam", "loner", "lead", "director", "officer"))

    # Fifteen days late on the first run: every step fires at once (a missed night is caught up).
    summary = run_overdue_ladder(as_of=at(DUE + dt.timedelta(days=15)))

    def context(learner, level, days, **extra):
        return {
            "learner": learner,
            "first_name": learner.split()[0],
            "course": "Data protection",
            "course_code": course.code,
            "compliance_critical": True,
            "due_date": "2026-03-20",
            "days_overdue": 15,
            "level": level,
            "step_day": days,
            "reason": f"15 days overdue ({ORDINAL[level]} escalation step, the one for day {days})",
            **extra,
        }

    def letter(learner, pk, **extra):
        reference = f"WL-{pk}-14-{TAG}"
        return (
            context(
                learner,
                3,
                14,
                reference=reference,
                new_deadline="2026-04-11",
                reason=f"formal warning letter {reference}",
            )
            | extra
        )

    expected = {}
    for level, days in ((1, 1), (2, 7), (3, 14)):
        expected[f"overdue:{a.pk}:{TAG}:{days}:learner"] = (sam.pk, "overdue", context("Sam Stone", level, days))
        expected[f"overdue:{b.pk}:{TAG}:{days}:learner"] = (loner.pk, "overdue", context("Lee Alone", level, days))
        expected[f"overdue:{a.pk}:{TAG}:{days}:manager"] = (
            lead.pk,
            "escalation",
            context("Sam Stone", level, days, role="manager"),
        )
    for days, level in ((7, 2), (14, 3)):
        expected[f"overdue:{a.pk}:{TAG}:{days}:managers_manager"] = (
            director.pk,
            "escalation",
            context("Sam Stone", level, days, role="managers_manager"),
        )
    for pk, name in ((a.pk, "Sam Stone"), (b.pk, "Lee Alone")):
        expected[f"overdue:{pk}:{TAG}:14:compliance_officer"] = (
            officer.pk,
            "escalation",
            context(name, 3, 14, role="compliance_officer"),
        )
    expected[f"letter:WL-{a.pk}-14-{TAG}:learner"] = (sam.pk, "warning_letter", letter("Sam Stone", a.pk))
    expected[f"letter:WL-{a.pk}-14-{TAG}:manager"] = (
        lead.pk,
        "warning_letter",
        letter("Sam Stone", a.pk, is_copy=True),
    )
    expected[f"letter:WL-{b.pk}-14-{TAG}:learner"] = (loner.pk, "warning_letter", letter("Lee Alone", b.pk))
    assert outbox() == expected
    assert set(Notification.objects.values_list("status", "tries", "last_error", "claim_token")) == {
        ("pending", 0, "", "")
    }
    assert not Notification.objects.filter(send_after__gt=timezone.now()).exists()

    events = {
        e.dedupe_key: (e.assignment_id, e.kind, e.level, e.reason, e.detail)
        for e in EscalationEvent.objects.filter(assignment__in=[a, b])
    }
    past = "15 days past the deadline of 20 Mar 2026"
    assert events == {
        f"escalated:{a.pk}:{TAG}:1": (
            a.pk,
            "escalated",
            1,
            f"{past}: the first escalation step told the manager",
            {"told": ["manager"], "step_days": 1},
        ),
        f"escalated:{a.pk}:{TAG}:7": (
            a.pk,
            "escalated",
            2,
            f"{past}: the second escalation step told the manager and the manager's manager",
            {"told": ["manager", "managers_manager"], "step_days": 7},
        ),
        f"escalated:{a.pk}:{TAG}:14": (
            a.pk,
            "escalated",
            3,
            f"{past}: the third escalation step told the manager, the manager's manager and the compliance officer",
            {"told": ["manager", "managers_manager", "compliance_officer"], "step_days": 14},
        ),
        f"escalated:{b.pk}:{TAG}:1": (
            b.pk,
            "escalated",
            1,
            f"{past}: the first escalation step told nobody else",
            {"told": [], "step_days": 1},
        ),
        f"escalated:{b.pk}:{TAG}:7": (
            b.pk,
            "escalated",
            2,
            f"{past}: the second escalation step told nobody else",
            {"told": [], "step_days": 7},
        ),
        f"escalated:{b.pk}:{TAG}:14": (
            b.pk,
            "escalated",
            3,
            f"{past}: the third escalation step told the compliance officer",
            {"told": ["compliance_officer"], "step_days": 14},
        ),
        f"letter:WL-{a.pk}-14-{TAG}": (
            a.pk,
            "warning_letter",
            3,
            f"Formal warning letter WL-{a.pk}-14-{TAG} issued; new deadline 11 Apr 2026.",
            {"reference": f"WL-{a.pk}-14-{TAG}"},
        ),
        f"letter:WL-{b.pk}-14-{TAG}": (
            b.pk,
            "warning_letter",
            3,
            f"Formal warning letter WL-{b.pk}-14-{TAG} issued; new deadline 11 Apr 2026.",
            {"reference": f"WL-{b.pk}-14-{TAG}"},
        ),
    }
    assert Assignment.objects.get(pk=a.pk).ladder_days == Assignment.objects.get(pk=b.pk).ladder_days == 14
    assert set(EscalationEvent.objects.filter(kind="escalated").values_list("occurred_at", flat=True)) == {
        at(DUE + dt.timedelta(days=15))
    }
    letters = set(
        WarningLetter.objects.values_list(
            "assignment_id", "step_days_overdue", "reference", "deadline_missed", "new_deadline", "manager_id"
        )
    )
    assert letters == {
        (a.pk, 14, f"WL-{a.pk}-14-{TAG}", DUE, dt.date(2026, 4, 11), lead.pk),
        (b.pk, 14, f"WL-{b.pk}-14-{TAG}", DUE, dt.date(2026, 4, 11), None),
    }
    assert (summary["notifications"], summary["escalated"], summary["letters"], summary["events"]) == (16, 6, 2, 8)
    assert len(summary["samples"]) == 16
    assert {"recipient_id": director.pk, "kind": "escalation", "reason": "15 days overdue (third escalation step, the one for day 14)",
            "learner": "Sam Stone", "course": "Data protection"} in summary["samples"]  # fmt: skip


def test_ladder_contexts_render_into_the_emails(org):
    run_overdue_ladder(as_of=at(DUE + dt.timedelta(days=15)))

    run_dispatch(as_of=timezone.now() + dt.timedelta(minutes=1))

    sent = {(m.to[0], m.subject): m.body for m in mail.outbox}
    # Three steps caught up in one night are one item per message: the course once to the
    # learner, the learner once to each manager, at the latest step (issue 12 item 22).
    assert sent[("sam@example.com", "Overdue: Data protection")] == (
        "Hello Sam,\n\n"
        + "- Data protection was due on 20 Mar 2026 and is 15 days overdue.\n"
        + f"  Complete it: {settings.SITE_URL}{reverse('player_course', args=[org['a'].pk])}\n"
        + "\nPlease complete it now. Your manager is being kept informed.\n"
    )
    for manager in ("lead", "director"):
        body = sent[(f"{manager}@example.com", "Overdue training: Sam Stone (Data protection)")]
        assert body.count("Sam Stone") == 1
        assert (
            "- Sam Stone: Data protection (compliance-critical), due 20 Mar 2026, 15 days overdue "
            "(escalation step 3).\n"
        ) in body
    assert "A copy of formal warning letter" in sent[("lead@example.com", "Copy: formal warning letter for Sam Stone")]
    learner_letter = sent[("sam@example.com", "Formal warning: Data protection overdue")]
    assert "Deadline missed: 20 Mar 2026. New deadline: 11 Apr 2026." in learner_letter
    officer_body = sent[("officer@example.com", "Overdue training: 2 people in your reporting line")]
    assert "- Lee Alone: Data protection (compliance-critical), due 20 Mar 2026, 15 days overdue" in officer_body


def test_reminders_write_the_same_rows_and_render(org):
    a, b, course = org["a"], org["b"], org["course"]

    summary = run_due_reminders(as_of=at(DUE - dt.timedelta(days=5)))

    def context(learner):
        return {
            "learner": learner,
            "first_name": learner.split()[0],
            "course": "Data protection",
            "course_code": course.code,
            "due_date": "2026-03-20",
            "days_left": 5,
            "reason": "due in 5 days",
        }

    assert outbox() == {
        f"reminder:{a.pk}:{TAG}:7": (org["sam"].pk, "reminder", context("Sam Stone")),
        f"reminder:{b.pk}:{TAG}:7": (org["loner"].pk, "reminder", context("Lee Alone")),
    }
    rows = EscalationEvent.objects.order_by("dedupe_key").values_list("dedupe_key", "kind", "level", "reason", "detail")
    assert list(rows) == [
        (f"reminded:{pk}:{TAG}:7", "reminded", 0, "Reminder: due on 20 Mar 2026 (5 days left).", {})
        for pk in sorted((a.pk, b.pk), key=str)
    ]
    assert (summary["notifications"], summary["events"], len(summary["samples"])) == (2, 2, 2)

    run_dispatch(as_of=timezone.now() + dt.timedelta(minutes=1))
    sent = {m.to[0]: (m.subject, m.body) for m in mail.outbox}
    assert sent["sam@example.com"] == (
        "Reminder: Data protection is due on 20 Mar 2026",
        "Hello Sam,\n\n- Data protection: due on 20 Mar 2026 (5 days left).\n"
        f"  Open it: {settings.SITE_URL}{reverse('player_course', args=[a.pk])}\n\n"
        "Finish it before the deadline.\n",
    )


def test_a_second_run_inserts_nothing(org):
    moment = at(DUE + dt.timedelta(days=15))
    run_overdue_ladder(as_of=moment)
    run_due_reminders(as_of=at(DUE - dt.timedelta(days=1)))
    counts = (Notification.objects.count(), EscalationEvent.objects.count(), WarningLetter.objects.count())

    with CaptureQueriesContext(connection) as quiet:
        ladder = run_overdue_ladder(as_of=moment)
        reminders = run_due_reminders(as_of=at(DUE - dt.timedelta(days=1)))

    # A quiet night reads each step's candidates once and writes nothing.
    assert not [q for q in quiet.captured_queries if q["sql"].startswith("INSERT")]

    assert (ladder["notifications"], ladder["events"], ladder["samples"]) == (0, 0, [])
    assert (reminders["notifications"], reminders["events"]) == (0, 0)
    assert (Notification.objects.count(), EscalationEvent.objects.count(), WarningLetter.objects.count()) == counts


def test_dry_run_counts_what_a_run_would_insert_and_inserts_nothing(org):
    moment = at(DUE + dt.timedelta(days=15))

    preview = run_overdue_ladder(as_of=moment, dry_run=True)
    reminder_preview = run_due_reminders(as_of=at(DUE - dt.timedelta(days=3)), dry_run=True)

    assert not Notification.objects.exists() and not EscalationEvent.objects.exists()
    assert not WarningLetter.objects.exists()
    real = run_overdue_ladder(as_of=moment)
    assert {k: preview[k] for k in ("notifications", "events", "escalated", "letters")} == {
        k: real[k] for k in ("notifications", "events", "escalated", "letters")
    }
    assert preview["samples"] == real["samples"] and len(preview["samples"]) == 16
    assert (reminder_preview["notifications"], len(reminder_preview["samples"])) == (2, 2)


def test_dry_run_does_not_count_messages_already_in_the_outbox(org):
    a = org["a"]
    run_overdue_ladder(as_of=at(DUE + dt.timedelta(days=1)))
    # The step's marker is gone (say, the table restored from an older backup) but its messages
    # and events are there: the step is a candidate again, and nothing is written twice.
    Assignment.objects.filter(pk=a.pk).update(ladder_days=None)
    messages, events = Notification.objects.count(), EscalationEvent.objects.count()

    preview = run_overdue_ladder(as_of=at(DUE + dt.timedelta(days=1)), dry_run=True)
    real = run_overdue_ladder(as_of=at(DUE + dt.timedelta(days=1)))

    assert (preview["notifications"], preview["escalated"]) == (0, 0)
    assert (real["notifications"], real["escalated"]) == (0, 0)
    assert (Notification.objects.count(), EscalationEvent.objects.count()) == (messages, events)
    assert Assignment.objects.get(pk=a.pk).ladder_days == 1


@pytest.mark.parametrize("workflow", ["ladder", "reminders"])
def test_query_count_is_the_same_for_2_and_30_assignments(org, workflow):
    course = make_course(questions=1, title="Fire safety")
    lead = org["lead"]

    def run(due: dt.date, size: int) -> tuple[int, int]:
        for _ in range(size):
            assign(UserFactory(manager=lead), course, due=due)
        moment = at(due + dt.timedelta(days=20)) if workflow == "ladder" else at(due - dt.timedelta(days=1))
        func = run_overdue_ladder if workflow == "ladder" else run_due_reminders
        with CaptureQueriesContext(connection) as queries:
            summary = func(as_of=moment)
        return len(queries.captured_queries), summary["notifications"]

    Assignment.objects.filter(course=org["course"]).delete()
    small, small_new = run(DUE, 2)
    large, large_new = run(DUE + dt.timedelta(days=200), 30)

    assert small == large
    assert large_new == 15 * small_new


def test_insert_columns_follow_the_compiled_select_list(org):
    """The INSERT column list is matched against the compiled SELECT, not assumed."""
    qs = Assignment.objects.annotate(n_kind=Value("reminder"), n_recipient=F("learner_id")).order_by()
    _compiled(qs.values_list("n_recipient", "n_kind"), ["n_recipient", "n_kind"])
    with pytest.raises(ValueError, match="does not match"):
        _compiled(qs.values_list("n_kind", "n_recipient"), ["n_recipient", "n_kind"])
    required = {f.name for f in Notification._meta.concrete_fields if not f.null and not f.primary_key}
    assert set(NOTIFICATION_COLUMNS.values()) == required | {"assignment"}


@pytest.mark.parametrize("workflow", ["ladder", "reminders"])
def test_candidates_claimed_in_several_batches_are_each_written_once(org, workflow, monkeypatch):
    from escalation.workflows import common

    course = make_course(questions=1, title="Fire safety")
    for _ in range(5):
        assign(UserFactory(manager=org["lead"]), course, due=DUE + dt.timedelta(days=100))
    monkeypatch.setattr(common, "claim_batch_size", lambda: 2)
    moment = at(DUE + dt.timedelta(days=101)) if workflow == "ladder" else at(DUE + dt.timedelta(days=99))
    func = run_overdue_ladder if workflow == "ladder" else run_due_reminders

    first = func(as_of=moment)
    second = func(as_of=moment)

    marker = "ladder_days" if workflow == "ladder" else "reminded_days"
    expected = 1  # the ladder's first step is day 1; the nearest reminder band is 1
    assert list(Assignment.objects.filter(course=course).values_list(marker, flat=True)) == [expected] * 5
    kind = Notification.Kind.OVERDUE if workflow == "ladder" else Notification.Kind.REMINDER
    assert Notification.objects.filter(kind=kind, assignment__course=course).count() == 5
    assert first["notifications"] > 0 and second["notifications"] == 0


def test_a_step_telling_every_role_writes_its_outbox_rows_in_one_insert_role_after_role(org):
    """One INSERT per step for every recipient (issue 19): the rows come in the order one INSERT
    per role wrote them (ids role after role, each role's in assignment order), which is the
    order the dispatcher lists a recipient's items in."""
    a, b = org["a"], org["b"]
    with CaptureQueriesContext(connection) as queries:
        run_overdue_ladder(as_of=at(DUE + dt.timedelta(days=15)))

    inserts = [
        q["sql"] for q in queries.captured_queries if q["sql"].startswith('INSERT INTO "escalation_notification"')
    ]
    assert len(inserts) == 3  # one per step (days 1, 7 and 14), whatever the roles
    first, second = sorted((a.pk, b.pk))
    step = Notification.objects.filter(dedupe_key__contains=":14:") | Notification.objects.filter(
        dedupe_key__startswith="letter:"
    )
    in_id_order = list(step.order_by("pk").values_list("dedupe_key", flat=True))
    role_then_assignment = [
        f"overdue:{pk}:{TAG}:14:{role}"
        for role in ("learner", "manager", "managers_manager", "compliance_officer")
        for pk in (first, second)
    ] + [f"letter:WL-{pk}-14-{TAG}:{who}" for who in ("learner", "manager") for pk in (first, second)]
    told = set(in_id_order)
    assert in_id_order == [key for key in role_then_assignment if key in told]
    assert len(in_id_order) == 9  # the loner has no manager, manager's manager or letter copy


def test_insert_variants_writes_what_one_insert_per_variant_wrote(org):
    """insert_variants_from_select against insert_from_select run variant by variant on the same
    candidates: the same rows in the same order; the keys of the new rows returned; nothing
    twice; a dry run lists what would be new and writes nothing."""
    from escalation.workflows.sql import insert_from_select, insert_variants_from_select

    candidates = Assignment.objects.filter(pk__in=[org["a"].pk, org["b"].pk]).order_by()
    now = timezone.now()

    def message(kind: str, recipient, suffix: str) -> dict:
        return {
            "n_recipient": recipient,
            "n_kind": Value(kind),
            "n_assignment": F("pk"),
            "n_dedupe_key": Concat(Value(f"{suffix}:"), Cast("pk", CharField())),
            "n_context": JSONObject(course=F("course__title"), manager=F("learner__manager__first_name")),
            "n_status": Value("pending"),
            "n_send_after": Value(now),
            "n_tries": Value(0),
            "n_last_error": Value(""),
            "n_claim_token": Value(""),
            "n_created_at": Value(now),
            "n_updated_at": Value(now),
        }

    variants = [
        (None, message("overdue", F("learner_id"), "learner")),
        (Q(learner__manager__isnull=False), message("escalation", F("learner__manager_id"), "manager")),
        (Q(learner__manager__manager__isnull=False), message("escalation", F("learner__manager__manager_id"), "top")),
    ]
    unique = ("dedupe_key", "n_dedupe_key")

    def written() -> list[tuple]:
        return list(
            Notification.objects.order_by("pk").values_list(
                "recipient_id", "kind", "assignment_id", "dedupe_key", "context"
            )
        )

    with transaction.atomic():
        for condition, values in variants:
            rows = candidates.filter(condition) if condition is not None else candidates
            insert_from_select(Notification, rows.annotate(**values), NOTIFICATION_COLUMNS, unique=unique)
        one_per_variant = written()
        transaction.set_rollback(True)

    preview = insert_variants_from_select(
        Notification, candidates, NOTIFICATION_COLUMNS, variants, unique=unique, dry_run=True
    )
    assert not Notification.objects.exists()
    new = insert_variants_from_select(Notification, candidates, NOTIFICATION_COLUMNS, variants, unique=unique)

    assert written() == one_per_variant and len(one_per_variant) == 4  # Sam: learner, lead, director; Lee
    assert sorted(new) == sorted(preview) == sorted(key for *_, key, _ in one_per_variant)
    assert insert_variants_from_select(Notification, candidates, NOTIFICATION_COLUMNS, variants, unique=unique) == []
    assert insert_variants_from_select(Notification, candidates, NOTIFICATION_COLUMNS, [], unique=unique) == []


def test_the_ladders_queries_are_exactly_these(org):
    """A first run 15 days late, every step at once, one local date: the policy, the time zones
    and exemptions once; then one transaction: the claim of every step's candidates (a locking
    SELECT, the markers' UPDATE), and per step the preview's sample, one outbox INSERT for every
    recipient, the letters and their case-file events on day 14, the step's events. The same for
    any number of assignments (test_query_count_is_the_same_for_2_and_30_assignments)."""
    with CaptureQueriesContext(connection) as queries:
        run_overdue_ladder(as_of=at(DUE + dt.timedelta(days=15)))

    def kind(sql: str) -> str:
        words = sql.replace('"', "").split()
        if words[0] != "SELECT":
            return " ".join(words[:3]) if words[0] in ("INSERT", "UPDATE") else words[0]
        return f"SELECT {words[words.index('FROM') + 1]}"

    claim = ["SAVEPOINT", "SELECT assignments_assignment", "UPDATE assignments_assignment SET"]
    sample, outbox = "SELECT assignments_assignment", "INSERT INTO escalation_notification"
    events, letters = "INSERT INTO escalation_escalationevent", "INSERT INTO escalation_warningletter"
    assert [kind(q["sql"]) for q in queries.captured_queries] == [
        "SELECT escalation_escalationpolicy",
        "SELECT escalation_escalationstep",
        "SELECT lms_user",
        "SELECT assignments_exemption",
        *claim,
        sample, outbox, events,  # day 1
        sample, outbox, events,  # day 7
        sample, outbox, letters, events, events,  # day 14: the letters, their events, the step's
        "RELEASE",
    ]  # fmt: skip
    if connection.features.has_select_for_update_skip_locked:
        claims = [q["sql"] for q in queries.captured_queries if "FOR UPDATE" in q["sql"]]
        assert len(claims) == 1 and "SKIP LOCKED" in claims[0]


def test_reminders_claim_every_band_at_once_and_write_band_after_band(org):
    """One claim for every band of a local date (issue 19): each assignment marked with its own
    band, the rows written band after band, each band's in assignment order."""
    EscalationPolicy.objects.filter(course_code="").update(reminder_days=[14, 7, 1])
    course = org["course"]
    later = [assign(UserFactory(), course, due=DUE + dt.timedelta(days=days)) for days in (12, 5, 13, 6)]
    with CaptureQueriesContext(connection) as queries:
        summary = run_due_reminders(as_of=at(DUE - dt.timedelta(days=1)))

    claims = [
        q["sql"] for q in queries.captured_queries if q["sql"].startswith("SELECT") and "reminded_days" in q["sql"]
    ]
    updates = [q["sql"] for q in queries.captured_queries if q["sql"].startswith("UPDATE")]
    assert (len(claims), len(updates)) == (1, 1)
    everyone = [org["a"], org["b"], *later]
    bands = {
        pk: band
        for pk, band in Assignment.objects.filter(pk__in=[x.pk for x in everyone]).values_list("pk", "reminded_days")
    }
    assert bands == {org["a"].pk: 1, org["b"].pk: 1, later[0].pk: 14, later[1].pk: 7, later[2].pk: 14, later[3].pk: 7}
    in_id_order = list(Notification.objects.order_by("pk").values_list("assignment_id", "dedupe_key"))
    expected = sorted(((band, pk) for pk, band in bands.items()))
    assert [(pk, key.rsplit(":", 1)[1]) for pk, key in in_id_order] == [(pk, str(band)) for band, pk in expected]
    assert summary["notifications"] == summary["events"] == 6
    assert [sample["reason"] for sample in summary["samples"]] == [
        "due in 1 day", "due in 1 day", "due in 6 days", "due in 7 days", "due in 13 days", "due in 14 days"
    ]  # fmt: skip


def test_the_ladder_claims_every_step_at_once_and_takes_each_for_the_assignments_it_is_due_for(org):
    """One claim for every step of a local date (issue 19): an assignment that took day 1 last
    week gets day 7 only, one a day late gets day 1 only, one whose retake deadline is ahead gets
    nothing; each is marked with the last step its deadline reached."""
    course = org["course"]
    night = DUE + dt.timedelta(days=7)
    Assignment.objects.filter(pk=org["a"].pk).update(ladder_days=1)  # day 1 taken a week ago
    Assignment.objects.filter(pk=org["b"].pk).update(due_date=night - dt.timedelta(days=1))
    retaking = assign(UserFactory(), course, due=DUE, retake_deadline=night + dt.timedelta(days=3))
    with CaptureQueriesContext(connection) as queries:
        summary = run_overdue_ladder(as_of=at(night))

    assert sum(q["sql"].startswith("UPDATE") for q in queries.captured_queries) == 1
    markers = dict(Assignment.objects.values_list("pk", "ladder_days"))
    assert (markers[org["a"].pk], markers[org["b"].pk], markers[retaking.pk]) == (7, 1, None)
    steps = set(EscalationEvent.objects.filter(kind="escalated").values_list("assignment_id", "level"))
    assert steps == {(org["a"].pk, 2), (org["b"].pk, 1)}
    assert summary["escalated"] == 2
