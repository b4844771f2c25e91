"""Concurrency on PostgreSQL: real row locks, real threads, each with its own connection."""

from __future__ import annotations

import threading
from concurrent.futures import ThreadPoolExecutor

import pytest
from django.core.exceptions import ValidationError
from django.db import connection, connections

from assignments.models import Assignment, Attempt, AttemptAnswer, Completion
from assignments.services.attempts import attempt_start, attempt_submit
from courses.tests.factories import AssignmentFactory, answers_for, make_course

pytestmark = [pytest.mark.postgres, pytest.mark.django_db(transaction=True)]

THREADS = 6


def run_together(func, count: int = THREADS) -> list:
    """Run ``func`` in ``count`` threads released at the same moment; return results or exceptions."""
    barrier = threading.Barrier(count)

    def worker():
        try:
            barrier.wait(timeout=10)
            return func()
        except Exception as error:  # the test inspects what each thread got
            return error
        finally:
            connections.close_all()

    with ThreadPoolExecutor(max_workers=count) as pool:
        return [future.result() for future in [pool.submit(worker) for _ in range(count)]]


def test_concurrent_starts_never_exceed_the_attempt_limit():
    assert connection.vendor == "postgresql"
    # given a learner with one attempt left of two
    assignment = AssignmentFactory(course=make_course(questions=2, max_attempts=2))
    quiz = assignment.course.final_quiz
    first = attempt_start(assignment=assignment, quiz=quiz)
    attempt_submit(attempt=first, answers=answers_for(first, wrong={first.layout[0]["q"]}))

    # when six requests start an attempt at the same moment, and each submits what it got
    def start_and_submit():
        attempt = attempt_start(assignment=Assignment.objects.get(pk=assignment.pk), quiz=quiz)
        attempt_submit(attempt=attempt, answers=answers_for(attempt, wrong={attempt.layout[0]["q"]}))
        return attempt.pk

    results = run_together(start_and_submit)
    # then exactly one more attempt exists, scored once, and the rest were refused or saw it
    attempts = Attempt.objects.filter(assignment=assignment)
    assert attempts.count() == 2
    second = attempts.get(number=2)
    assert AttemptAnswer.objects.filter(attempt=second).count() == 2
    assert all(r == second.pk or isinstance(r, ValidationError) for r in results), results
    assert any(r == second.pk for r in results)
    assert Assignment.objects.get(pk=assignment.pk).status == Assignment.Status.FAILED


def test_concurrent_submits_of_one_attempt_record_one_result():
    assignment = AssignmentFactory(course=make_course(questions=3, max_attempts=3))
    attempt = attempt_start(assignment=assignment, quiz=assignment.course.final_quiz)
    answers = answers_for(attempt)

    def submit():
        return attempt_submit(attempt=Attempt.objects.get(pk=attempt.pk), answers=answers)

    results = run_together(submit)
    assert not [r for r in results if isinstance(r, Exception)], results
    assert sum(1 for r in results if not r.already_submitted) == 1
    assert AttemptAnswer.objects.filter(attempt=attempt).count() == 3
    assert Completion.objects.filter(assignment=assignment).count() == 1
    assert Assignment.objects.get(pk=assignment.pk).status == Assignment.Status.COMPLETED


def test_concurrent_starts_with_unlimited_attempts_open_one_attempt_at_a_time():
    assignment = AssignmentFactory(course=make_course(questions=2, max_attempts=None))
    quiz = assignment.course.final_quiz

    def start():
        return attempt_start(assignment=Assignment.objects.get(pk=assignment.pk), quiz=quiz).pk

    results = run_together(start)
    assert len(set(results)) == 1
    assert Attempt.objects.filter(assignment=assignment).count() == 1
