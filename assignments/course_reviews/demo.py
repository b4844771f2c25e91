"""Demo course reviews for `seed_demo` (called from assignments/demo.py): a dozen reviews of the
anti-bribery and information security courses by learners who completed them, written a few days
after the completion; the compliance administrator approved most, the newest wait for moderation.

Idempotent: a completion that has its review already is skipped, and no more than ``PER_COURSE`` reviews
are written for a course.
"""

from __future__ import annotations

import datetime as dt

import time_machine

from assignments.course_reviews.models import CourseReview
from assignments.course_reviews.services import course_review_moderate, course_review_submit
from assignments.models import Completion

PER_COURSE = {"ABC-201": 7, "INFOSEC-101": 5}
PENDING = 2  # the newest reviews of each course wait for moderation

# (rating, what was useful, what was unclear), per course: each review speaks of its own course.
COMMENTS = {
    "ABC-201": [
        (5, "The gifts and hospitality examples were exactly the situations we meet with suppliers.", ""),
        (4, "Short and to the point; the register walkthrough helped.", "The facilitation payments part went fast."),
        (5, "Good scenarios, and the final questions matched what the lessons covered.", ""),
        (3, "Useful reminder of who to tell.", "Not sure when a client dinner needs approval in advance."),
        (4, "Clear on what to report and how quickly.", ""),
        (2, "", "Too long for what it says; the same point is made three times."),
        (4, "The agent due-diligence checklist is one I will use.", ""),
    ],
    "INFOSEC-101": [
        (5, "Phishing examples looked like the emails we really get.", ""),
        (4, "The password manager advice was practical.", "Which USB sticks are allowed is still unclear to me."),
        (3, "Useful reminder of who to tell.", "Not sure whether a lost phone counts as an incident."),
        (4, "Clear on what to report and how quickly.", ""),
        (2, "", "Too long for what it says; the same point is made three times."),
    ],
}


def seed(org) -> int:
    written = 0
    for code in ("ABC-201", "INFOSEC-101"):
        have = CourseReview.objects.filter(course_code=code).count()
        completions = list(
            Completion.objects.filter(
                course_code=code,
                learner__in=org.learners,
                course_review__isnull=True,
                assignment__archived_at__isnull=True,
            )
            .select_related("learner")
            .order_by("completed_at", "pk")[: max(PER_COURSE[code] - have, 0)]
        )
        for index, completion in enumerate(completions):
            rating, useful, unclear = COMMENTS[code][index % len(COMMENTS[code])]
            when = completion.completed_at + dt.timedelta(days=1, hours=2)
            with time_machine.travel(when, tick=False):
                review = course_review_submit(
                    completion=completion, learner=completion.learner, rating=rating, useful=useful, unclear=unclear
                )
            if index < len(completions) - PENDING and (useful or unclear):
                with time_machine.travel(when + dt.timedelta(days=1), tick=False):
                    course_review_moderate(review=review, moderator=org.admin, status=CourseReview.Status.APPROVED)
            written += 1
    return written
