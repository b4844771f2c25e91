from __future__ import annotations

import datetime as dt
import threading

import pytest
import time_machine
from django.core import mail
from django.db import connection

from escalation.dispatch import LEASE, run_dispatch
from escalation.models import Notification
from escalation.outbox import Outgoing, enqueue
from lms.tests.factories import UserFactory

pytestmark = pytest.mark.django_db
NOW = dt.datetime(2026, 3, 1, 2, 0, tzinfo=dt.UTC)


def late_people(manager, n: int) -> list[Outgoing]:
    return [
        Outgoing(
            manager.pk,
            Notification.Kind.ESCALATION,
            f"overdue:{manager.pk}-{i}:0:manager",
            {
                "learner": f"Person {i}",
                "course": "Fire safety",
                "due_date": "2026-02-20",
                "days_overdue": 8,
                "level": 1,
            },
        )
        for i in range(n)
    ]


@time_machine.travel(NOW, tick=False)
def test_a_manager_with_several_late_people_gets_one_message_listing_them():
    manager = UserFactory(first_name="Morgan")
    enqueue(late_people(manager, 3))

    result = run_dispatch()

    # One email listing three outbox rows: the figures say which is which (issue 12 item 26).
    assert (result["emails_sent"], result["notifications_sent"]) == (1, 3)
    assert len(mail.outbox) == 1
    message = mail.outbox[0]
    assert message.to == [manager.email]
    # the subject counts the people it is about (issue 12 item 22: never "items" of one person)
    assert message.subject == "Overdue training: 3 people in your reporting line"
    for i in range(3):
        assert f"Person {i}" in message.body
    assert message.alternatives and "Person 2" in message.alternatives[0][0]
    assert set(Notification.objects.values_list("status", flat=True)) == {"sent"}


@time_machine.travel(NOW, tick=False)
def test_a_second_dispatch_sends_nothing():
    enqueue(late_people(UserFactory(), 2))
    run_dispatch()
    assert run_dispatch()["emails_sent"] == 0
    assert len(mail.outbox) == 1


@time_machine.travel(NOW, tick=False)
def test_failures_are_retried_with_the_last_error_recorded(monkeypatch):
    enqueue(late_people(UserFactory(), 1))
    monkeypatch.setattr(
        "django.core.mail.EmailMultiAlternatives.send", lambda self: (_ for _ in ()).throw(OSError("smtp down"))
    )

    result = run_dispatch()

    row = Notification.objects.get()
    assert result["emails_failed"] == 1 and row.status == "pending" and row.tries == 1
    assert "smtp down" in row.last_error and row.send_after > NOW
    monkeypatch.undo()
    with time_machine.travel(row.send_after + dt.timedelta(seconds=1), tick=False):
        assert run_dispatch()["emails_sent"] == 1
    row.refresh_from_db()
    assert row.status == "sent" and row.last_error == ""
    assert len(mail.outbox) == 1


@time_machine.travel(NOW, tick=False)
def test_inactive_recipients_are_cancelled_not_sent():
    person = UserFactory(is_active=False)
    enqueue(late_people(person, 1))
    assert run_dispatch()["notifications_cancelled"] == 1
    assert mail.outbox == []


def test_a_dispatcher_killed_mid_run_sends_every_message_exactly_once_after_restart(monkeypatch):
    managers = [UserFactory() for _ in range(4)]
    with time_machine.travel(NOW, tick=False):
        for manager in managers:
            enqueue(
                late_people(manager, 2)[:1] + [Outgoing(manager.pk, "escalation", f"x:{manager.pk}", {"learner": "X"})]
            )

    sent_to = []
    real_send = mail.EmailMultiAlternatives.send

    def send_then_die(self, *args, **kwargs):
        if len(sent_to) == 2:
            raise KeyboardInterrupt("worker killed")  # not an Exception: nothing catches it
        sent_to.append(self.to[0])
        return real_send(self, *args, **kwargs)

    monkeypatch.setattr(mail.EmailMultiAlternatives, "send", send_then_die)
    with time_machine.travel(NOW, tick=False), pytest.raises(KeyboardInterrupt):
        run_dispatch()
    monkeypatch.setattr(mail.EmailMultiAlternatives, "send", real_send)

    # Restarted at once: claimed-but-unsent rows wait for their lease, nothing is sent twice.
    with time_machine.travel(NOW + dt.timedelta(minutes=1), tick=False):
        run_dispatch()
    assert len(mail.outbox) == 2
    with time_machine.travel(NOW + LEASE + dt.timedelta(minutes=2), tick=False):
        result = run_dispatch()
    assert result["notifications_recovered"] == 4
    recipients = [m.to[0] for m in mail.outbox]
    assert sorted(recipients) == sorted(m.email for m in managers)
    assert Notification.objects.exclude(status="sent").count() == 0


@pytest.mark.postgres
@pytest.mark.django_db(transaction=True)
def test_two_dispatchers_at_once_never_send_the_same_row():
    managers = [UserFactory() for _ in range(40)]
    for manager in managers:
        enqueue(late_people(manager, 1) + [Outgoing(manager.pk, "escalation", f"y:{manager.pk}", {"learner": "Y"})])
    barrier = threading.Barrier(2)
    results = []

    def worker():
        try:
            barrier.wait()
            results.append(run_dispatch(batch_size=5))
        finally:
            connection.close()

    threads = [threading.Thread(target=worker) for _ in range(2)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()

    assert sum(r["notifications_sent"] for r in results) == 80
    assert Notification.objects.exclude(status="sent").count() == 0
    # Every row reached its manager exactly once (a manager may rarely get two messages when the
    # two dispatchers' batches meet at their rows, but never the same row twice).
    for manager in managers:
        bodies = "".join(m.body for m in mail.outbox if m.to == [manager.email])
        assert bodies.count("Person 0") == 1 and bodies.count("- Y:") == 1
