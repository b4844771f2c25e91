from __future__ import annotations

import pytest
from django.core.exceptions import ValidationError

from lms import services
from lms.models import Department, User
from lms.tests.factories import DepartmentFactory, UserFactory, make_chain

pytestmark = pytest.mark.django_db


def test_setting_a_manager_that_closes_a_loop_is_refused_and_changes_nothing():
    top, middle, bottom = make_chain(3)

    with pytest.raises(ValidationError) as error:
        services.user_set_manager(user=top, manager=bottom)

    assert "reporting loop" in str(error.value.message_dict["manager"])
    top.refresh_from_db()
    assert top.manager_id is None


def test_a_person_cannot_manage_themselves():
    person = UserFactory()
    with pytest.raises(ValidationError) as error:
        services.user_set_manager(user=person, manager=person)
    assert "own manager" in str(error.value.message_dict["manager"])


def test_a_valid_manager_change_is_saved_and_signalled():
    from lms.signals import user_org_changed

    old_manager, new_manager = UserFactory(), UserFactory()
    person = UserFactory(manager=old_manager)
    seen = []
    user_org_changed.connect(lambda **kw: seen.append(kw["changed_fields"]), weak=False, dispatch_uid="t1")
    try:
        services.user_set_manager(user=person, manager=new_manager)
    finally:
        user_org_changed.disconnect(dispatch_uid="t1")
    person.refresh_from_db()
    assert person.manager == new_manager
    assert seen == [{"manager"}]


def test_duplicate_email_is_refused_case_insensitively_and_creates_nothing():
    UserFactory(email="sam@example.com")
    before = User.objects.count()
    with pytest.raises(ValidationError) as error:
        services.user_create(email="SAM@example.com", first_name="Sam", last_name="Again")
    assert "already exists" in str(error.value)
    assert User.objects.count() == before


def test_unknown_timezone_is_refused_with_a_clear_message():
    with pytest.raises(ValidationError) as error:
        services.user_create(email="new@example.com", first_name="N", last_name="E", timezone_name="Mars/Olympus")
    assert "Mars/Olympus" in str(error.value.message_dict["timezone"])
    assert not User.objects.filter(email="new@example.com").exists()


def test_user_create_lowercases_email_and_sets_no_usable_password():
    user = services.user_create(email="Mixed.Case@Example.com", first_name="M", last_name="C")
    assert user.email == "mixed.case@example.com"
    assert not user.has_usable_password()


def test_update_refuses_fields_that_are_not_editable():
    person = UserFactory()
    with pytest.raises(ValidationError):
        services.user_update(user=person, data={"is_superuser": True})
    person.refresh_from_db()
    assert not person.is_superuser


def test_deactivate_keeps_the_person_and_signals_listeners():
    from lms.signals import user_deactivated

    person = UserFactory()
    seen = []
    user_deactivated.connect(lambda **kw: seen.append(kw["reason"]), weak=False, dispatch_uid="t2")
    try:
        services.user_deactivate(user=person)
        services.user_deactivate(user=person)  # a second call is a no-op
    finally:
        user_deactivated.disconnect(dispatch_uid="t2")
    person.refresh_from_db()
    assert not person.is_active and person.deactivated_at is not None
    assert seen == ["left"]


def test_department_cannot_be_moved_inside_its_own_subtree():
    parent = DepartmentFactory(name="Ops")
    child = services.department_create(name="Warehouse", parent=parent)
    with pytest.raises(ValidationError):
        services.department_update(department=parent, name="Ops", parent=child)
    parent.refresh_from_db()
    assert parent.parent is None


def test_duplicate_department_name_is_refused():
    DepartmentFactory(name="Finance")
    with pytest.raises(ValidationError) as error:
        services.department_create(name="finance")
    assert "already exists" in str(error.value)
    assert Department.objects.filter(name__iexact="finance").count() == 1


def test_database_refuses_self_management_even_without_the_service():
    from django.db import IntegrityError, transaction

    person = UserFactory()
    person.manager_id = person.pk
    with pytest.raises(IntegrityError), transaction.atomic():
        person.save()
