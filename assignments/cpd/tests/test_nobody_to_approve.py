"""External learning that nobody could approve (no active manager, and no other active admin: the
only admin logging their own) is refused when it is sent, and again when a returned entry is sent
back, with a message saying why and what to do; it would otherwise wait unseen for ever (nobody
decides their own entry, and nobody is told of it)."""

from __future__ import annotations

import datetime as dt
from decimal import Decimal

import pytest
from django.core.exceptions import ValidationError
from django.urls import reverse

from assignments.cpd import selectors, services
from assignments.cpd.models import ExternalLearning
from escalation.models import Notification
from lms.models import AuditEntry
from lms.tests.factories import AdminFactory, UserFactory

pytestmark = pytest.mark.django_db

NOBODY = (
    "Nobody can approve this: you have no active manager and there is no other active administrator. "
    "Ask for a manager to be set on your profile, then send it again."
)
ENTRY = {"title": "Leadership course", "provider": "College", "completed_on": "2026-01-05", "hours": "3"}


def submit(learner):
    return services.external_learning_submit(
        learner=learner, title="Course", provider="College", completed_on=dt.date(2026, 1, 5), hours=Decimal("3")
    )


def test_the_only_admin_without_a_manager_is_told_nobody_can_approve_and_nothing_is_saved(client):
    admin = AdminFactory(first_name="Ada")
    client.force_login(admin)
    assert NOBODY in client.get(reverse("cpd:entry_create")).content.decode()  # said before typing
    response = client.post(reverse("cpd:entry_create"), ENTRY)
    assert response.status_code == 200
    assert NOBODY in response.content.decode()
    assert not ExternalLearning.objects.exists()
    assert not Notification.objects.filter(kind="cpd_submitted").exists()
    assert not AuditEntry.objects.filter(object_type="cpd.externallearning").exists()


@pytest.mark.parametrize(
    "situation",
    ["manager_left", "no_admin_at_all", "only_other_admin_left"],
)
def test_a_learner_nobody_could_approve_is_refused(situation):
    if situation == "manager_left":
        learner = AdminFactory(manager=UserFactory(is_active=False))
    elif situation == "no_admin_at_all":
        learner = UserFactory()
    else:
        AdminFactory(is_active=False)
        learner = AdminFactory()
    with pytest.raises(ValidationError) as caught:
        submit(learner)
    assert caught.value.messages == [NOBODY]
    assert not ExternalLearning.objects.exists()


@pytest.mark.parametrize("approver", ["active_manager", "other_admin"])
def test_a_learner_with_someone_to_approve_can_send(approver):
    if approver == "active_manager":
        learner = AdminFactory(manager=UserFactory())
    else:
        AdminFactory()
        learner = AdminFactory()
    assert selectors.approver_exists(learner)
    assert submit(learner).status == ExternalLearning.Status.PENDING


def test_a_returned_entry_cannot_be_sent_back_once_nobody_could_approve_it(client):
    learner = AdminFactory(first_name="Ada")
    other_admin = AdminFactory(first_name="Abe")
    entry = submit(learner)
    services.external_learning_return(entry=entry, actor=other_admin, submission=1, comment="Add the certificate.")
    other_admin.is_active = False
    other_admin.save()
    client.force_login(learner)
    response = client.post(reverse("cpd:entry_edit", args=[entry.pk]), {**ENTRY, "submission": 1})
    assert response.status_code == 200
    assert NOBODY in response.content.decode()
    entry.refresh_from_db()
    assert (entry.status, entry.submission) == (ExternalLearning.Status.RETURNED, 1)


def test_with_the_direct_manager_gone_every_other_active_admin_who_can_approve_is_told(
    django_capture_on_commit_callbacks,
):
    # Fix 17 item 6: the learner's manager left, with nobody above them; the admins (who may decide
    # on anyone's entry) are told. (With an active manager above, that manager is: the test below.)
    gone = UserFactory(first_name="Gone", is_active=False)
    learner = UserFactory(first_name="Nia", manager=gone)
    admin, other_admin = AdminFactory(first_name="Ada"), AdminFactory(first_name="Abe")
    AdminFactory(first_name="Left", is_active=False)
    with django_capture_on_commit_callbacks(execute=True):
        entry = submit(learner)
    told = set(Notification.objects.filter(kind="cpd_submitted").values_list("recipient_id", flat=True))
    assert {admin.pk, other_admin.pk} <= told
    assert gone.pk not in told
    for approver in (admin, other_admin):
        assert selectors.can_decide(viewer=approver, entry=entry)
        assert entry in selectors.approvals_for(approver)


def test_with_the_direct_manager_gone_the_active_manager_above_who_can_approve_is_told(
    django_capture_on_commit_callbacks,
):
    director = UserFactory(first_name="Dana")
    gone = UserFactory(first_name="Gone", manager=director, is_active=False)
    learner = UserFactory(first_name="Nia", manager=gone)
    AdminFactory(first_name="Ada")
    with django_capture_on_commit_callbacks(execute=True):
        entry = submit(learner)
    assert selectors.can_decide(viewer=director, entry=entry)
    assert entry in selectors.approvals_for(director)
    told = set(Notification.objects.filter(kind="cpd_submitted").values_list("recipient_id", flat=True))
    assert director.pk in told


def test_with_the_direct_manager_gone_and_no_admin_the_manager_above_is_enough():
    director = UserFactory(first_name="Dana")
    gone = UserFactory(first_name="Gone", manager=director, is_active=False)
    learner = UserFactory(first_name="Nia", manager=gone)
    assert selectors.approver_ids(learner) == [director.pk]
    assert selectors.approver_exists(learner)
