"""Demo assignments for `seed_demo`: the demo courses assigned to the demo learners in every state
(due, overdue, completed, archived and re-assigned with two completions, exempt), with the final
assessment attempts behind them: passes, fails and retakes over the last months (each with its
answers, so item analysis has first attempts to read), and a few learners who failed every attempt.

Idempotent: a learner who already has any assignment of a course is left alone. Courses that
courses/demo.py did not import are skipped. Rows are written directly (no notices are sent, no
password is checked for the attestation); the simulated nights of escalation/demo.py follow up
the recent failures as the nightly run would.
"""

from __future__ import annotations

import datetime as dt

from django.db import transaction
from django.utils import timezone

from assignments.boosters import demo as boosters_demo
from assignments.course_reviews import demo as course_reviews_demo
from assignments.cpd import demo as cpd_demo
from assignments.evidence import new_certificate_number, new_verification_code
from assignments.models import Assignment, Attempt, AttemptAnswer, Completion, Exemption
from assignments.scorm_runtime import demo as scorm_runtime_demo
from courses.models import Choice, Course, Question, Quiz
from courses.rules import compute_expiry
from lms.scores import score_cut

CODES = ["GDPR-101", "ABC-201", "HS-101", "INFOSEC-101"]


def _moment(day: dt.date) -> dt.datetime:
    return timezone.make_aware(dt.datetime.combine(day, dt.time(10, 0)), dt.UTC)


def _assignment(learner, course, *, assigned_on, due_date, status=Assignment.Status.ASSIGNED, admin=None, **extra):
    return Assignment.objects.create(
        learner=learner,
        course=course,
        course_code=course.code,
        source=Assignment.Source.MANUAL,
        assigned_by=admin,
        assigned_at=_moment(assigned_on),
        assigned_on=assigned_on,
        due_date=due_date,
        status=status,
        **extra,
    )


class _FinalQuizzes:
    """Each demo course's final assessment, its questions and their right and wrong choices, read
    once; ``attempt`` writes one submitted attempt with answers that give the score asked for."""

    def __init__(self, courses: dict[str, Course], rng):
        self.rng = rng
        self.quizzes = {
            q.course_id: q
            for q in Quiz.objects.filter(course__in=courses.values(), kind=Quiz.Kind.FINAL).select_related("course")
        }
        self.questions: dict[int, list[tuple[int, str, list[int], list[int]]]] = {}
        choices: dict[int, tuple[list[int], list[int]]] = {}
        for question_id, choice_id, right in (
            Choice.objects.filter(question__quiz__in=self.quizzes.values())
            .order_by("question_id", "order", "pk")
            .values_list("question_id", "pk", "is_correct")
        ):
            choices.setdefault(question_id, ([], []))[0 if right else 1].append(choice_id)
        for question in Question.objects.filter(quiz__in=self.quizzes.values()).order_by("order", "pk"):
            right, wrong = choices.get(question.pk, ([], []))
            self.questions.setdefault(question.quiz_id, []).append((question.pk, question.kind, right, wrong))

    def attempt(self, assignment, *, number: int, on: dt.date, passed: bool) -> Attempt | None:
        quiz = self.quizzes.get(assignment.course_id)
        questions = self.questions.get(quiz.pk, []) if quiz else []
        if not questions:
            return None
        total = len(questions)
        pass_mark = quiz.effective_pass_mark
        # How many to get wrong: a pass misses at most what the pass mark allows, a fail misses more.
        allowed_wrong = max(int(total - total * pass_mark / 100), 0)
        wrong_n = self.rng.randint(0, allowed_wrong) if passed else self.rng.randint(allowed_wrong + 1, total // 2 + 1)
        # Later questions are missed more often, so item analysis has harder and easier questions.
        order = sorted(range(total), key=lambda i: self.rng.random() / (i + 1))
        missed = {questions[i][0] for i in order[:wrong_n] if questions[i][3]}
        started = _moment(on) - dt.timedelta(minutes=self.rng.randint(12, 40))
        score = score_cut((total - len(missed)) * 100 / total) if total else 0
        attempt = Attempt.objects.create(
            assignment=assignment,
            quiz=quiz,
            number=number,
            status=Attempt.Status.SUBMITTED,
            started_at=started,
            submitted_at=_moment(on),
            score=score,
            passed=passed,
            layout=[{"q": pk, "c": right + wrong} for pk, _kind, right, wrong in questions],
            attested_at=_moment(on) if assignment.course.compliance_critical else None,
            language=assignment.course.language,
        )
        answers = AttemptAnswer.objects.bulk_create(
            [AttemptAnswer(attempt=attempt, question_id=pk, is_correct=pk not in missed) for pk, *_ in questions]
        )
        through = AttemptAnswer.selected.through
        picks = []
        for answer, (pk, kind, right, wrong) in zip(answers, questions, strict=True):
            chosen = (
                [self.rng.choice(wrong)] if pk in missed else (right if kind == Question.Kind.MULTIPLE else right[:1])
            )
            picks += [through(attemptanswer_id=answer.pk, choice_id=choice_id) for choice_id in chosen]
        through.objects.bulk_create(picks)
        return attempt


def _complete(
    assignment, *, on: dt.date, score: int, previous_expiry=None, attempt: Attempt | None = None
) -> Completion:
    course = assignment.course
    when = _moment(on)
    if attempt is not None:
        score = attempt.score
    Assignment.objects.filter(pk=assignment.pk).update(
        status=Assignment.Status.COMPLETED, started_at=when, completed_at=when
    )
    code = new_verification_code()  # the number carries it, so the printed number verifies alone
    return Completion.objects.create(
        learner=assignment.learner,
        course=course,
        course_code=course.code,
        course_version=course.version,
        assignment=assignment,
        attempt=attempt,
        completed_at=when,
        score=score,
        certificate_number=new_certificate_number(course_code=course.code, completed_at=when, verification_code=code),
        verification_code=code,
        expires_on=compute_expiry(course=course, completed_on=on, previous_expiry=previous_expiry),
        source=Completion.Source.EARNED,
        cpd_points=course.cpd_points,
    )


@transaction.atomic
def seed(org) -> None:
    courses = {}
    for code in CODES:
        course = Course.objects.filter(code=code, status=Course.Status.PUBLISHED).order_by("-version").first()
        if course is not None:
            courses[code] = course
    if not courses or not org.learners:
        return
    today = org.today
    admin = org.admin
    learners = org.learners
    taken = set(
        Assignment.objects.filter(learner__in=learners, course_code__in=list(courses)).values_list(
            "learner_id", "course_code"
        )
    )

    def free(learner, code: str) -> bool:
        return code in courses and (learner.pk, code) not in taken

    finals = _FinalQuizzes(courses, org.rng)

    def fail(assignment, *, number: int, on: dt.date) -> None:
        finals.attempt(assignment, number=number, on=on, passed=False)

    def passed(assignment, *, number: int, on: dt.date) -> Attempt | None:
        return finals.attempt(assignment, number=number, on=on, passed=True)

    for index, learner in enumerate(learners):
        bucket = index % 6
        if free(learner, "GDPR-101"):
            # Most learners have GDPR due soon; every sixth is overdue.
            if bucket == 5:
                _assignment(
                    learner,
                    courses["GDPR-101"],
                    assigned_on=today - dt.timedelta(days=45),
                    due_date=today - dt.timedelta(days=15),
                    admin=admin,
                )
            else:
                gdpr = _assignment(
                    learner,
                    courses["GDPR-101"],
                    assigned_on=today - dt.timedelta(days=5),
                    due_date=today + dt.timedelta(days=10 + index % 20),
                    admin=admin,
                )
                if index % 5 == 1:
                    # Failed a first try this week; attempts left, back to it before the due date.
                    fail(gdpr, number=1, on=today - dt.timedelta(days=1 + index % 4))
                    Assignment.objects.filter(pk=gdpr.pk).update(
                        status=Assignment.Status.IN_PROGRESS, started_at=_moment(today - dt.timedelta(days=4))
                    )
                elif index % 5 == 3 and bucket != 4:
                    # Passed already, ahead of the due date.
                    attempt = passed(gdpr, number=1, on=today - dt.timedelta(days=1 + index % 4))
                    _complete(gdpr, on=today - dt.timedelta(days=1 + index % 4), score=100, attempt=attempt)
        if free(learner, "ABC-201") and bucket in (0, 1, 2):
            done = _assignment(
                learner,
                courses["ABC-201"],
                assigned_on=today - dt.timedelta(days=90),
                due_date=today - dt.timedelta(days=60),
                admin=admin,
            )
            # Completions spread over the last three months; every third needed a retake.
            on = today - dt.timedelta(days=20 + (index * 7) % 70)
            if bucket == 1:
                fail(done, number=1, on=on - dt.timedelta(days=2))
            attempt = passed(done, number=2 if bucket == 1 else 1, on=on)
            _complete(done, on=on, score=80 + bucket * 5, attempt=attempt)
        elif free(learner, "ABC-201") and bucket == 5 and index % 12 == 5 and index > 5:
            # Used every attempt and failed: waiting for the manager's next step.
            out = _assignment(
                learner,
                courses["ABC-201"],
                assigned_on=today - dt.timedelta(days=30),
                due_date=today + dt.timedelta(days=5),
                admin=admin,
            )
            allowed = courses["ABC-201"].max_attempts or 3
            for number in range(1, allowed + 1):
                fail(out, number=number, on=today - dt.timedelta(days=2 + 2 * (allowed - number)))
            Assignment.objects.filter(pk=out.pk).update(
                status=Assignment.Status.FAILED,
                started_at=_moment(today - dt.timedelta(days=2 + 2 * allowed)),
                failed_at=_moment(today - dt.timedelta(days=2)),
            )
        if free(learner, "HS-101") and bucket == 3:
            late = _assignment(
                learner,
                courses["HS-101"],
                assigned_on=today - dt.timedelta(days=40),
                due_date=today - dt.timedelta(days=3),
                admin=admin,
                status=Assignment.Status.IN_PROGRESS,
                started_at=_moment(today - dt.timedelta(days=20)),
            )
            if index % 12 == 3:
                fail(late, number=1, on=today - dt.timedelta(days=6))
        if free(learner, "INFOSEC-101") and bucket == 4 and index < 30:
            # Archived after last year's pass (annual clean slate), re-assigned and passed again.
            first = _assignment(
                learner,
                courses["INFOSEC-101"],
                assigned_on=today - dt.timedelta(days=420),
                due_date=today - dt.timedelta(days=390),
                admin=admin,
            )
            old = _complete(
                first,
                on=today - dt.timedelta(days=400),
                score=85,
                attempt=passed(first, number=1, on=today - dt.timedelta(days=400)),
            )
            Assignment.objects.filter(pk=first.pk).update(
                archived_at=_moment(today - dt.timedelta(days=40)),
                archived_reason=Assignment.ArchiveReason.CLEAN_SLATE,
                archive_note="Annual refresh",
                archived_by=admin,
            )
            second = _assignment(
                learner,
                courses["INFOSEC-101"],
                assigned_on=today - dt.timedelta(days=40),
                due_date=today - dt.timedelta(days=10),
                admin=admin,
            )
            _complete(
                second,
                on=today - dt.timedelta(days=20),
                score=95,
                previous_expiry=old.expires_on,
                attempt=passed(second, number=1, on=today - dt.timedelta(days=20)),
            )

    # Two learners on leave: exempt from everything, not overdue.
    for learner in learners[5:12:6]:
        if not Exemption.objects.filter(learner=learner).exists():
            Exemption.objects.create(
                learner=learner,
                starts_on=today - dt.timedelta(days=30),
                ends_on=today + dt.timedelta(days=60),
                reason=Exemption.Reason.PARENTAL_LEAVE,
                note="Demo: parental leave",
                approved_by=admin,
            )

    # Issue 17's features with history: a booster programme (answered by escalation/demo.py's
    # nights), CPD targets and external learning, course reviews.
    boosters_demo.seed(org)
    cpd_demo.seed(org)
    course_reviews_demo.seed(org)
    scorm_runtime_demo.seed(org)
