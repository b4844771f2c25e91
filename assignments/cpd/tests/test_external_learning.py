"""External learning: logging with evidence (type by content, size limit, storage), who may see
and decide (404 outside the scope), the state machine (returned -> resubmitted -> approved;
double approval, stale decisions), its audit trail and its messages through the outbox."""

from __future__ import annotations

import datetime as dt
import io
from decimal import Decimal

import pytest
import time_machine
from django.core import mail
from django.core.exceptions import ValidationError
from django.core.files.uploadedfile import SimpleUploadedFile
from django.db import IntegrityError, transaction
from django.urls import reverse
from PIL import Image

from assignments.cpd import selectors, services
from assignments.cpd.evidence import evidence_read
from assignments.cpd.models import ExternalLearning
from assignments.cpd.years import CpdYear
from escalation.dispatch import run_dispatch
from escalation.models import Notification
from lms.models import AuditEntry
from lms.tests.factories import AdminFactory, UserFactory

pytestmark = pytest.mark.django_db

NOW = dt.datetime(2026, 6, 15, 9, 0, tzinfo=dt.UTC)
PDF = b"%PDF-1.4\n1 0 obj << /Type /Catalog >> endobj\ntrailer << /Root 1 0 R >>\n%%EOF\n"


def png_bytes() -> bytes:
    buffer = io.BytesIO()
    Image.new("RGB", (4, 4), "red").save(buffer, format="PNG")
    return buffer.getvalue()


@pytest.fixture(autouse=True)
def _media(settings, tmp_path):
    settings.MEDIA_ROOT = tmp_path
    settings.SITE_URL = "http://lms.example.test"


@pytest.fixture
def team():
    director = UserFactory(first_name="Dana", email="dana@example.com")
    manager = UserFactory(first_name="Morgan", manager=director, email="morgan@example.com")
    learner = UserFactory(first_name="Nia", last_name="Nurse", manager=manager, email="nia@example.com")
    colleague = UserFactory(first_name="Cole", manager=manager, email="cole@example.com")
    other_manager = UserFactory(first_name="Otto", email="otto@example.com")
    UserFactory(manager=other_manager)
    admin = AdminFactory(first_name="Ada", email="ada@example.com")
    return {
        "director": director,
        "manager": manager,
        "learner": learner,
        "colleague": colleague,
        "other_manager": other_manager,
        "admin": admin,
    }


def post_entry(client, **overrides):
    data = {
        "title": "Wound care conference",
        "provider": "Royal College",
        "completed_on": "2026-06-01",
        "hours": "6",
        "points": "4",
        **overrides,
    }
    return client.post(reverse("cpd:entry_create"), data)


# --- logging and evidence ---------------------------------------------------------------------


def test_a_learner_logs_external_learning_with_a_pdf_and_the_manager_is_told(
    team, client, django_capture_on_commit_callbacks
):
    client.force_login(team["learner"])
    with time_machine.travel(NOW, tick=False), django_capture_on_commit_callbacks(execute=True):
        response = post_entry(client, evidence=SimpleUploadedFile("../../etc/cert.png", PDF, content_type="image/png"))
    entry = ExternalLearning.objects.get()
    assert response.status_code == 302 and response.url == reverse("cpd:entry", args=[entry.pk])
    assert (entry.status, entry.submission, entry.points, entry.hours) == ("pending", 1, Decimal("4"), Decimal("6"))
    # Stored under a random name with the extension of what it IS; the learner's name for display only.
    assert entry.evidence.name.startswith("cpd/evidence/") and entry.evidence.name.endswith(".pdf")
    assert (entry.evidence_name, entry.evidence_type) == ("cert.png", "application/pdf")
    assert entry.evidence.storage.open(entry.evidence.name).read() == PDF
    [row] = Notification.objects.filter(kind="cpd_submitted")
    assert row.recipient == team["manager"] and row.context["entry_id"] == entry.pk
    assert AuditEntry.objects.filter(object_type="cpd.externallearning", object_id=str(entry.pk), action="create")


@pytest.mark.parametrize(
    ("name", "content", "message"),
    [
        ("notes.pdf", b"<html><script>alert(1)</script></html>", "not a PDF or an image"),
        ("photo.png", b"MZ\x90\x00 a Windows program", "not a PDF or an image"),
        ("photo.png", b"\x89PNG\r\n\x1a\n" + b"garbage" * 10, "cannot be read as one"),
        ("cert.pdf", b"%PDF-1.4 no end of file marker", "cannot be read as one"),
        ("empty.pdf", b"", "empty"),
    ],
)
def test_evidence_that_is_not_what_it_claims_is_refused_by_content_and_nothing_is_saved(
    team, client, settings, name, content, message
):
    client.force_login(team["learner"])
    response = post_entry(client, evidence=SimpleUploadedFile(name, content, content_type="application/pdf"))
    assert response.status_code == 200
    assert message in str(response.context["form"].errors["evidence"])
    assert not ExternalLearning.objects.exists()
    assert list(settings.MEDIA_ROOT.iterdir()) == []


def test_images_are_checked_by_opening_them_and_large_files_are_refused(settings):
    assert evidence_read(SimpleUploadedFile("x.bin", png_bytes())).kind.content_type == "image/png"
    settings.CPD_EVIDENCE_MAX_BYTES = 100
    with pytest.raises(ValidationError, match="too large"):
        evidence_read(SimpleUploadedFile("big.pdf", PDF + b" " * 200))
    upload = SimpleUploadedFile("liar.pdf", PDF + b" " * 200)
    upload.size = 10  # a client that lies about the size is still read no further than the limit
    with pytest.raises(ValidationError, match="too large"):
        evidence_read(upload)


@pytest.mark.parametrize(
    ("overrides", "field", "message"),
    [
        ({"hours": "", "points": ""}, "hours", "Give the hours or the CPD points"),
        ({"hours": "0", "points": "0"}, "hours", "Give the hours or the CPD points"),
        ({"points": "-1"}, "points", "greater than or equal to 0"),
        ({"completed_on": "2026-07-01"}, "completed_on", "cannot be in the future"),
        ({"title": ""}, "title", "required"),
    ],
)
def test_bad_input_names_the_field_and_saves_nothing(team, client, overrides, field, message):
    client.force_login(team["learner"])
    with time_machine.travel(NOW, tick=False):
        response = post_entry(client, **overrides)
    assert response.status_code == 200
    assert message in str(response.context["form"].errors[field])
    assert not ExternalLearning.objects.exists()


# --- scope ------------------------------------------------------------------------------------


@pytest.fixture
def entry(team):
    with time_machine.travel(NOW, tick=False):
        return services.external_learning_submit(
            learner=team["learner"],
            title="Wound care conference",
            provider="Royal College",
            completed_on=dt.date(2026, 6, 1),
            points=Decimal("4"),
            evidence=evidence_read(SimpleUploadedFile("certificate.pdf", PDF)),
        )


@pytest.mark.parametrize(
    ("who", "page_status", "evidence"),
    [
        ("learner", 200, 200),
        ("manager", 200, 200),
        ("director", 200, 200),
        ("admin", 200, 200),
        ("colleague", 404, 404),
        ("other_manager", 404, 404),
    ],
)
def test_the_entry_and_its_evidence_open_for_the_learner_their_chain_and_admins_only(
    team, entry, client, who, page_status, evidence
):
    client.force_login(team[who])
    assert client.get(reverse("cpd:entry", args=[entry.pk])).status_code == page_status
    response = client.get(reverse("cpd:entry_evidence", args=[entry.pk]))
    assert response.status_code == evidence
    if evidence == 200:
        assert response["Content-Type"] == "application/pdf"
        assert response["Content-Disposition"].startswith("attachment;")
        assert response["X-Content-Type-Options"] == "nosniff"
        assert b"".join(response.streaming_content) == PDF


def test_a_colleague_cannot_decide_or_edit_and_the_learner_cannot_approve_their_own(team, entry, client):
    for who in ("colleague", "other_manager", "learner"):
        client.force_login(team[who])
        response = client.post(reverse("cpd:entry_decide", args=[entry.pk]), {"submission": 1, "decision": "approve"})
        assert response.status_code == 404, who
    client.force_login(team["manager"])
    assert client.get(reverse("cpd:entry_edit", args=[entry.pk])).status_code == 404
    entry.refresh_from_db()
    assert entry.status == "pending"
    with pytest.raises(ValidationError):
        services.external_learning_approve(entry=entry, actor=team["learner"], submission=1)


def test_the_approvals_list_and_its_menu_count_show_what_waits_for_each_person(
    team, entry, client, django_assert_num_queries
):
    assert [e.pk for e in selectors.approvals_for(team["manager"])] == [entry.pk]
    assert [e.pk for e in selectors.approvals_for(team["director"])] == [entry.pk]
    assert list(selectors.approvals_for(team["other_manager"])) == []
    assert list(selectors.approvals_for(team["learner"])) == []
    assert selectors.approvals_badge(team["manager"]) == (1, "1 waiting")
    client.force_login(team["manager"])
    body = client.get(reverse("cpd:approvals")).content.decode()
    assert "Wound care conference" in body and "1 waiting" in body
    for _ in range(5):
        services.external_learning_submit(
            learner=team["colleague"], title="T", provider="P", completed_on=dt.date(2026, 1, 1), hours=Decimal("1")
        )
    with django_assert_num_queries(1):
        assert len(list(selectors.approvals_for(team["manager"]))) == 6


# --- the state machine ------------------------------------------------------------------------


def test_returned_then_resubmitted_then_approved_with_its_audit_trail_and_messages(
    team, entry, client, django_capture_on_commit_callbacks
):
    manager, learner = team["manager"], team["learner"]
    client.force_login(manager)
    with django_capture_on_commit_callbacks(execute=True):
        response = client.post(
            reverse("cpd:entry_decide", args=[entry.pk]),
            {"submission": 1, "decision": "return", "comment": "Add the date on the certificate."},
        )
    assert response.status_code == 302
    entry.refresh_from_db()
    assert (entry.status, entry.decided_by, entry.decision_comment) == (
        "returned",
        manager,
        "Add the date on the certificate.",
    )
    assert selectors.cpd_record(person=learner, year=CpdYear(2026)).points == Decimal("0")

    client.force_login(learner)
    with django_capture_on_commit_callbacks(execute=True):
        response = client.post(
            reverse("cpd:entry_edit", args=[entry.pk]),
            {
                "submission": "1",
                "title": "Wound care conference 2026",
                "provider": "Royal College",
                "completed_on": "2026-06-01",
                "points": "4",
                "evidence": SimpleUploadedFile("dated.png", png_bytes()),
            },
        )
    assert response.status_code == 302
    old_file = entry.evidence.name
    entry.refresh_from_db()
    assert (entry.status, entry.submission, entry.decided_by, entry.title) == (
        "pending",
        2,
        None,
        "Wound care conference 2026",
    )
    assert entry.evidence_type == "image/png" and not entry.evidence.storage.exists(old_file)

    client.force_login(manager)
    # A decision on the first submission (a stale tab) is refused: they did not see the change.
    stale = client.post(reverse("cpd:entry_decide", args=[entry.pk]), {"submission": 1, "decision": "approve"})
    assert stale.status_code == 409
    assert "changed it since you opened it" in stale.content.decode()
    with django_capture_on_commit_callbacks(execute=True):
        client.post(reverse("cpd:entry_decide", args=[entry.pk]), {"submission": 2, "decision": "approve"})
    entry.refresh_from_db()
    assert entry.status == "approved"
    assert selectors.cpd_record(person=learner, year=CpdYear(2026)).points == Decimal("4.00")

    history = AuditEntry.objects.filter(object_type="cpd.externallearning", object_id=str(entry.pk)).order_by("pk")
    assert [(h.action, h.changes.get("status"), h.actor_id) for h in history] == [
        ("create", None, learner.pk),
        ("change", ["pending", "returned"], manager.pk),
        ("change", ["returned", "pending"], learner.pk),
        ("change", ["pending", "approved"], manager.pk),
    ]
    assert history[1].reason == "Add the date on the certificate."
    kinds = list(Notification.objects.order_by("pk").values_list("kind", "recipient__first_name"))
    assert kinds == [
        ("cpd_submitted", "Morgan"),
        ("cpd_decided", "Nia"),
        ("cpd_submitted", "Morgan"),
        ("cpd_decided", "Nia"),
    ]
    page = client.get(reverse("cpd:entry", args=[entry.pk])).content.decode()
    assert "Add the date on the certificate." in page  # the history shows the return's comment


def test_the_audit_says_evidence_was_added_when_there_was_none_and_replaced_when_there_was(team):
    learner, manager = team["learner"], team["manager"]
    bare = services.external_learning_submit(
        learner=learner, title="Webinar", provider="NHS", completed_on=dt.date(2026, 6, 1), hours=Decimal("1")
    )
    with_file = services.external_learning_submit(
        learner=learner,
        title="Course",
        provider="RCN",
        completed_on=dt.date(2026, 6, 2),
        hours=Decimal("1"),
        evidence=evidence_read(SimpleUploadedFile("certificate.pdf", PDF)),
    )
    for entry in (bare, with_file):
        services.external_learning_return(entry=entry, actor=manager, submission=1, comment="Add the certificate.")
        entry.refresh_from_db()
        services.external_learning_resubmit(
            entry=entry,
            learner=learner,
            submission=1,
            title=entry.title,
            provider=entry.provider,
            completed_on=entry.completed_on,
            hours=entry.hours,
            evidence=evidence_read(SimpleUploadedFile("dated.png", png_bytes())),
        )

    def evidence_changes(entry):
        rows = AuditEntry.objects.filter(object_type="cpd.externallearning", object_id=str(entry.pk)).order_by("pk")
        return [row.changes.get("evidence") for row in rows]

    # No file before: the first upload is "added", as on a first submission with a file.
    assert evidence_changes(bare) == [None, None, [None, "added"]]
    assert evidence_changes(with_file) == [[None, "added"], None, ["replaced", "new file"]]


def test_the_entry_history_says_who_returned_and_who_approved_it(team, entry, client):
    manager, admin, learner = team["manager"], team["admin"], team["learner"]
    services.external_learning_return(entry=entry, actor=manager, submission=1, comment="Which day?")
    entry.refresh_from_db()
    services.external_learning_resubmit(
        entry=entry,
        learner=learner,
        submission=1,
        title=entry.title,
        provider=entry.provider,
        completed_on=entry.completed_on,
        points=entry.points,
    )
    services.external_learning_approve(entry=entry, actor=admin, submission=2)
    client.force_login(learner)
    page = client.get(reverse("cpd:entry", args=[entry.pk])).content.decode()
    history = page.split('data-testid="cpd-history"', 1)[1].split("</ul>", 1)[0]
    assert f"Sent for approval by <bdi>{learner.get_full_name()}</bdi>" in history
    assert f"Returned by <bdi>{manager.get_full_name()}</bdi>: " in history
    assert '<span class="user-text" data-testid="cpd-history-comment">Which day?</span>' in history
    assert f"Changed and sent again by <bdi>{learner.get_full_name()}</bdi> (submission 2)" in history
    assert f"Approved by <bdi>{admin.get_full_name()}</bdi></li>" in history  # no comment, no "Approved" twice


def test_a_second_approval_changes_nothing_and_says_so(team, entry, client):
    services.external_learning_approve(entry=entry, actor=team["manager"], submission=1)
    with pytest.raises(ValidationError, match="already been decided"):
        services.external_learning_approve(entry=entry, actor=team["director"], submission=1)
    with pytest.raises(ValidationError, match="already been decided"):
        services.external_learning_return(entry=entry, actor=team["director"], submission=1, comment="No")
    client.force_login(team["manager"])
    again = client.post(reverse("cpd:entry_decide", args=[entry.pk]), {"submission": 1, "decision": "approve"})
    assert again.status_code == 409
    entry.refresh_from_db()
    assert (entry.status, entry.decided_by) == ("approved", team["manager"])
    assert AuditEntry.objects.filter(object_type="cpd.externallearning", action="change").count() == 1
    assert Notification.objects.filter(kind="cpd_decided").count() == 1


def test_an_approved_entry_cannot_be_resubmitted_and_a_return_needs_a_comment(team, entry, client):
    client.force_login(team["manager"])
    response = client.post(reverse("cpd:entry_decide", args=[entry.pk]), {"submission": 1, "decision": "return"})
    assert response.status_code == 400
    assert "Say what the learner should change" in response.content.decode()
    services.external_learning_approve(entry=entry, actor=team["manager"], submission=1)
    with pytest.raises(ValidationError, match="cannot be changed now"):
        services.external_learning_resubmit(
            entry=entry,
            learner=team["learner"],
            submission=1,
            title="x",
            provider="y",
            completed_on=dt.date(2026, 1, 1),
            points=Decimal("50"),
        )
    entry.refresh_from_db()
    assert (entry.status, entry.points) == ("approved", Decimal("4.00"))


def test_the_database_refuses_half_decided_and_self_decided_rows(team, entry):
    rows = ExternalLearning.objects.filter(pk=entry.pk)
    for values in (
        {"status": "approved"},  # no decider, no time
        {"status": "returned", "decided_by": team["manager"], "decided_at": NOW},  # no comment
        {"status": "approved", "decided_by": team["learner"], "decided_at": NOW},  # their own
        {"status": "lost"},
        {"hours": None, "points": None},
    ):
        with pytest.raises(IntegrityError), transaction.atomic():
            rows.update(**values)


def test_a_person_without_a_manager_is_approved_by_admins(team, django_capture_on_commit_callbacks):
    loner = UserFactory(first_name="Lone")
    second_admin = AdminFactory(first_name="Abe")
    with django_capture_on_commit_callbacks(execute=True):
        entry = services.external_learning_submit(
            learner=loner, title="Course", provider="College", completed_on=dt.date(2026, 1, 5), hours=Decimal("3")
        )
    told = set(Notification.objects.filter(kind="cpd_submitted").values_list("recipient_id", flat=True))
    assert told == {team["admin"].pk, second_admin.pk}
    assert entry in selectors.approvals_for(team["admin"])
    services.external_learning_approve(entry=entry, actor=team["admin"], submission=1)
    assert selectors.cpd_record(person=loner, year=CpdYear(2026)).hours == Decimal("3.00")


def test_the_messages_say_what_happened_and_link_to_the_entry(team, entry, django_capture_on_commit_callbacks):
    with time_machine.travel(NOW, tick=False):
        with django_capture_on_commit_callbacks(execute=True):
            services.external_learning_submit(
                learner=team["learner"],
                title="Sepsis webinar",
                provider="NHS",
                completed_on=dt.date(2026, 6, 2),
                hours=Decimal("1.5"),
            )
        run_dispatch()
        mail.outbox.clear()
        services.external_learning_return(entry=entry, actor=team["manager"], submission=1, comment="Which day?")
        run_dispatch()
    [returned] = mail.outbox
    assert returned.to == ["nia@example.com"]
    assert returned.subject == "Returned to you: Wound care conference"
    assert "What to change: Which day?" in returned.body
    assert f"http://lms.example.test{reverse('cpd:entry', args=[entry.pk])}" in returned.body


def test_the_decision_email_is_a_list_in_html_and_readable_as_text(team, django_capture_on_commit_callbacks):
    learner, manager = team["learner"], team["manager"]
    with time_machine.travel(NOW, tick=False):
        first, second = (
            services.external_learning_submit(
                learner=learner, title=title, provider="NHS", completed_on=dt.date(2026, 6, 2), hours=Decimal("1")
            )
            for title in ("Sepsis <webinar>", "Falls audit")
        )
        run_dispatch()
        mail.outbox.clear()
        services.external_learning_approve(entry=first, actor=manager, submission=1, comment="Well done")
        services.external_learning_return(entry=second, actor=manager, submission=1, comment="Which day?")
        run_dispatch()
    [message] = mail.outbox
    html = message.alternatives[0][0]
    body = html.split("<body", 1)[1]
    assert body.count("<li") == 2 and "<ul" in body and "</ul>" in body
    assert "<br>- " not in body and "<p>- " not in body  # not the text's dashes
    assert "<p></p>" not in html.replace(" ", "").replace("\n", "")
    assert "Sepsis &lt;webinar&gt; (NHS, 2 Jun 2026) was approved by" in body
    assert "Their comment: Well done" in body and "What to change: Which day?" in body
    url = f"http://lms.example.test{reverse('cpd:entry', args=[second.pk])}"
    assert f'<a href="{url}">{url}</a>' in body
    # The text part: one "- " item per decision, a blank line between them, nothing escaped.
    text = message.body
    assert "Sepsis <webinar> (NHS, 2 Jun 2026) was approved by" in text
    assert text.count("\n- ") == 2
    assert "  Their comment: Well done\n  http://lms.example.test/cpd/external/" in text
    assert text.endswith(f"Change it and send it again from its page.\n  {url}\n")
    assert "\n\n- Falls audit" in text  # a blank line between the decisions
