"""A real Celery worker and beat against the Redis broker: beat schedules the dispatch task from
the database schedule, the worker runs it, and the pending message is sent."""

from __future__ import annotations

import os
import socket
import subprocess
import sys
import time
from pathlib import Path

import pytest
from django.db import connection
from django_celery_beat.models import IntervalSchedule, PeriodicTask

from escalation.models import Notification
from escalation.outbox import Outgoing, enqueue
from lms.tests.factories import UserFactory

ROOT = Path(__file__).resolve().parents[2]
BROKER = os.environ.get("CELERY_TEST_BROKER_URL", "redis://127.0.0.1:6379/15")


def redis_up() -> bool:
    try:
        with socket.create_connection(("127.0.0.1", 6379), timeout=1):
            return True
    except OSError:
        return False


@pytest.mark.postgres
@pytest.mark.django_db(transaction=True)
def test_worker_and_beat_send_a_pending_message_through_redis(tmp_path):
    if not redis_up():
        if os.environ.get("CI"):
            pytest.fail("Redis is not running on 127.0.0.1:6379 (CI must test the real broker).")
        pytest.skip("Redis is not running on 127.0.0.1:6379")
    manager = UserFactory(email="celery-manager@example.com")
    enqueue([Outgoing(manager.pk, Notification.Kind.ESCALATION, "celery:1", {"learner": "Robin", "course": "Fire"})])
    every_second, _ = IntervalSchedule.objects.get_or_create(every=1, period=IntervalSchedule.SECONDS)
    PeriodicTask.objects.filter(task="escalation.dispatch_notifications").update(enabled=False)
    PeriodicTask.objects.create(name="test dispatch", task="escalation.dispatch_notifications", interval=every_second)

    db = connection.settings_dict
    env = {
        **{k: v for k, v in os.environ.items() if k not in {"CELERY_TASK_ALWAYS_EAGER", "DJANGO_ALLOW_ASYNC_UNSAFE"}},
        "DJANGO_SETTINGS_MODULE": "lms.settings",
        "DATABASE_URL": f"postgres://{db['USER']}@{db['HOST'] or '127.0.0.1'}:{db['PORT'] or 5432}/{db['NAME']}",
        "CELERY_BROKER_URL": BROKER,
        "EMAIL_BACKEND": "django.core.mail.backends.filebased.EmailBackend",
        "EMAIL_FILE_PATH": str(tmp_path / "mail"),
    }
    celery = [sys.executable, "-m", "celery", "-A", "lms"]
    subprocess.run([*celery, "purge", "-f"], cwd=ROOT, env=env, capture_output=True, timeout=60)
    worker = subprocess.Popen(
        [
            *celery,
            "worker",
            "--pool=solo",
            "--without-gossip",
            "--without-mingle",
            "--without-heartbeat",
            "--loglevel=INFO",
        ],
        cwd=ROOT,
        env=env,
        stdout=subprocess.PIPE,
        stderr=subprocess.STDOUT,
    )
    beat = subprocess.Popen(
        [*celery, "beat", "--loglevel=INFO", "-s", str(tmp_path / "beat-schedule")],
        cwd=ROOT,
        env=env,
        stdout=subprocess.PIPE,
        stderr=subprocess.STDOUT,
    )
    try:
        deadline = time.monotonic() + 90
        row = Notification.objects.get(dedupe_key="celery:1")
        while time.monotonic() < deadline and row.status != Notification.Status.SENT:
            time.sleep(1)
            row.refresh_from_db()
    finally:
        for process in (beat, worker):
            process.terminate()
        logs = b"".join(p.communicate(timeout=30)[0] or b"" for p in (beat, worker)).decode(errors="replace")
    assert row.status == Notification.Status.SENT, logs[-3000:]
    sent = list((tmp_path / "mail").glob("*.log"))
    assert len(sent) == 1 and "celery-manager@example.com" in sent[0].read_text()
    assert "escalation.dispatch_notifications" in logs
