"""Concurrent commits on PostgreSQL: real row locks, real threads, each with its own connection."""

from __future__ import annotations

import threading
from concurrent.futures import ThreadPoolExecutor

import pytest
from django.db import connection, connections

from assignments.models import Assignment, Attempt, Completion
from assignments.scorm_runtime.models import ScormState
from assignments.scorm_runtime.tests.helpers import assign, commit, first_sco, import_package

pytestmark = [pytest.mark.postgres, pytest.mark.django_db(transaction=True)]

THREADS = 6


def run_together(func, count: int = THREADS) -> list:
    barrier = threading.Barrier(count)

    def worker(index):
        try:
            barrier.wait(timeout=10)
            return func(index)
        except Exception as error:  # the test inspects what each thread got
            return error
        finally:
            connections.close_all()

    with ThreadPoolExecutor(max_workers=count) as pool:
        return [future.result() for future in [pool.submit(worker, i) for i in range(count)]]


def test_concurrent_finishing_commits_record_one_state_one_attempt_one_completion(scorm_storage):
    assert connection.vendor == "postgresql"
    # given a learner at the start of a single-SCO package
    package = import_package(mastery_score=80, rules={"max_attempts": 3})
    assignment = assign(package)
    item = first_sco(package)

    # when six tabs commit a finished lesson at the same moment (different sessions)
    def finish(index):
        data = {
            "cmi.core.lesson_status": "completed",
            "cmi.core.score.raw": "90",
            "cmi.interactions.0.id": "q1",
            "cmi.interactions.0.result": "correct",
        }
        return commit(Assignment.objects.get(pk=assignment.pk), item, data)

    results = run_together(finish)

    # then none failed, one state row, one attempt and one completion exist
    assert not [r for r in results if isinstance(r, Exception)], results
    assert ScormState.objects.filter(assignment=assignment).count() == 1
    assert Attempt.objects.filter(assignment=assignment).count() == 1
    assert Completion.objects.filter(assignment=assignment).count() == 1
    assert sum(1 for r in results if r.attempt is not None) == 1
    assert sum(1 for r in results if r.recorded) == 1  # the others found the run closed or the course done
