"""No database constraint's name ever reaches a person: every CheckConstraint and
UniqueConstraint of every model carries a translated, human violation message, which is what
Django's model validation (model forms, ``full_clean`` in the services) shows."""

from __future__ import annotations

import pytest
from django.apps import apps
from django.db.models import BaseConstraint
from django.utils.functional import Promise
from django.utils.translation import override


def every_constraint():
    for model in apps.get_models():
        for constraint in model._meta.constraints:
            yield pytest.param(model, constraint, id=f"{model._meta.label}.{constraint.name}")


def test_the_walk_finds_the_project_constraints():
    names = {param.values[1].name for param in every_constraint()}
    assert {"review_session_capacity_positive", "assignment_one_active_per_learner_course"} <= names


@pytest.mark.parametrize(("model", "constraint"), list(every_constraint()))
def test_every_constraint_has_a_human_translated_violation_message(model, constraint):
    message = constraint.violation_error_message
    assert message and message != BaseConstraint.default_violation_error_message, (
        f"{model._meta.label}: constraint {constraint.name} needs violation_error_message=_('...')"
    )
    assert isinstance(message, Promise), f"{constraint.name}: wrap the message in gettext_lazy"
    with override("en"):
        shown = str(constraint.get_violation_error_message())
    assert constraint.name not in shown and "%(" not in shown and "onstraint" not in shown, shown
    assert shown[0].isupper() and shown.endswith("."), shown
