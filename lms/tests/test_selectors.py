from __future__ import annotations

import pytest

from lms import selectors
from lms.tests.factories import UserFactory, make_chain

pytestmark = pytest.mark.django_db


def test_users_below_walks_the_whole_chain_at_depth_four():
    top, middle, lower, bottom = make_chain(4)
    sibling = UserFactory(manager=middle)
    outsider = UserFactory()

    below_top = set(selectors.users_below(top).values_list("pk", flat=True))

    assert below_top == {middle.pk, lower.pk, bottom.pk, sibling.pk}
    assert outsider.pk not in below_top
    assert set(selectors.users_below(top, direct_only=True).values_list("pk", flat=True)) == {middle.pk}
    assert set(selectors.users_below(lower).values_list("pk", flat=True)) == {bottom.pk}


def test_users_below_is_one_query_whatever_the_depth(django_assert_num_queries):
    shallow_top = make_chain(2)[0]
    deep_top = make_chain(8)[0]
    with django_assert_num_queries(1):
        assert len(list(selectors.users_below(shallow_top))) == 1
    with django_assert_num_queries(1):
        assert len(list(selectors.users_below(deep_top))) == 7


def test_managers_above_lists_the_chain_nearest_first():
    top, middle, lower, bottom = make_chain(4)
    assert selectors.managers_above(bottom) == [lower, middle, top]
    assert selectors.managers_above(top) == []


def test_is_in_chain_of_is_true_only_below():
    top, middle, bottom = make_chain(3)
    assert selectors.is_in_chain_of(manager=top, user=bottom)
    assert not selectors.is_in_chain_of(manager=bottom, user=top)
    assert not selectors.is_in_chain_of(manager=top, user=top)


def test_user_get_visible_scopes_to_chain_for_managers():
    top, middle, bottom = make_chain(3)
    outsider = UserFactory()
    assert selectors.user_get_visible(viewer=top, pk=bottom.pk) == bottom
    assert selectors.user_get_visible(viewer=top, pk=outsider.pk) is None
    assert selectors.user_get_visible(viewer=bottom, pk=top.pk) is None
    assert selectors.user_get_visible(viewer=bottom, pk=bottom.pk) == bottom


def test_team_members_counts_reports_in_a_bounded_number_of_queries(django_assert_num_queries):
    top, middle = make_chain(2)
    for _ in range(3):
        UserFactory(manager=middle)
    UserFactory(manager=top)
    with django_assert_num_queries(1):
        rows = {m.pk: m.report_count for m in selectors.team_members(top)}
    assert rows[middle.pk] == 3
    assert len(rows) == 2
