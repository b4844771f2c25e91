"""Other projects' rating bugs (issue 17), replayed on the course reviews' figures and kept.

- e-valuation/EvaP#689 ("weigh grades for exported averages based on how many votes went into
  it"): an overall average was the mean of the per-group averages, so a group of one vote weighed
  as much as a group of ten. Ours: a course's average over its versions is over its reviews.
- mozilla/addons-server#2906 ("Addon Review Average does not update properly"): a stored average
  kept a rating that had changed. Ours: an author's change to a review awaiting moderation shows in
  the figures at once, in the average and the distribution, with the count unchanged.
"""

from __future__ import annotations

import pytest

from assignments.course_reviews import selectors
from assignments.course_reviews.services import course_review_update
from assignments.course_reviews.tests.factories import course_versions, reviewed

pytestmark = pytest.mark.django_db


def _summary(figures) -> tuple:
    return figures.count, figures.average, [count for _rating, count, _share in figures.distribution]


def test_evap_689_the_course_average_is_over_its_reviews_not_the_mean_of_version_averages():
    v1, v2 = course_versions()
    for _ in range(10):
        reviewed(v1, 5)
    reviewed(v2, 1)

    whole, versions = selectors.ratings_for_course(course_code="FIRE-1")

    # 51 / 11 = 4.636..., where the mean of the versions' averages, (5 + 1) / 2, would be 3.00.
    assert _summary(whole) == (11, 4.64, [10, 0, 0, 0, 1])
    assert [(f.version, f.count, f.average) for f in versions] == [(2, 1, 1.0), (1, 10, 5.0)]
    [row] = selectors.ratings_by_course()
    assert _summary(row) == _summary(whole)


def test_addons_server_2906_a_changed_rating_shows_in_the_figures_at_once():
    v1, _v2 = course_versions()
    reviewed(v1, 5)
    changing = reviewed(v1, 1, useful="The extinguisher colours.")
    assert _summary(selectors.ratings_for_course(course_code="FIRE-1")[0]) == (2, 3.0, [1, 0, 0, 0, 1])

    course_review_update(review=changing, learner=changing.learner, rating=4, useful="The extinguisher colours.")

    whole, [version] = selectors.ratings_for_course(course_code="FIRE-1")
    assert _summary(whole) == (2, 4.5, [1, 1, 0, 0, 0])
    assert _summary(version) == _summary(whole)
    assert _summary(selectors.ratings_by_course()[0]) == _summary(whole)
