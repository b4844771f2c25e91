"""Writes over people and the org chart. Every change to a user goes through here so that the
reporting chain can never form a cycle and bad input changes nothing."""

from __future__ import annotations

import datetime as dt
from typing import Any

from django.core.exceptions import ValidationError
from django.db import transaction
from django.utils import timezone
from django.utils.translation import gettext as _

from lms.audit import audit_record, diff, label_of, snapshot
from lms.invitations import invitation_send
from lms.languages import language_code, validate_language_message
from lms.models import AuditEntry, Department, User
from lms.selectors import managers_above
from lms.signals import user_deactivated, user_org_changed, user_reactivated

USER_EDITABLE_FIELDS = {
    "email",
    "first_name",
    "last_name",
    "employee_id",
    "manager",
    "department",
    "job_title",
    "hire_date",
    "timezone",
    "locale",
    "is_staff",
}


# What the audit trail records of a person, at creation and at every change, whichever way it
# comes (person form, CSV import, SCIM, the API, single sign-on just in time, the Django admin).
USER_AUDITED_FIELDS = (
    "first_name",
    "last_name",
    "email",
    "employee_id",
    "department",
    "job_title",
    "manager",
    "is_active",
    "is_staff",
)


def user_audit_created(user: User) -> dict[str, list[Any]]:
    """{field: [None, value]} for a new person: every audited field that holds something."""
    values = snapshot(user, USER_AUDITED_FIELDS)
    return diff(dict.fromkeys(values), {name: value for name, value in values.items() if value not in (None, "")})


def user_audit_changed(before: dict[str, Any], user: User) -> dict[str, list[Any]]:
    """{field: [old, new]} for the audited fields of ``before`` (a snapshot) that ``user`` changed."""
    fields = [name for name in USER_AUDITED_FIELDS if name in before]
    return diff(before, snapshot(user, fields))


def check_manager_chain(*, user: User, manager: User | None) -> None:
    """Refuse a manager that would make the reporting chain loop back to ``user``."""
    if manager is None or user.pk is None:
        return
    if manager.pk == user.pk:
        raise ValidationError({"manager": _("A person cannot be their own manager.")})
    chain = [manager, *managers_above(manager)]
    if any(person.pk == user.pk for person in chain):
        loop = " → ".join(str(person) for person in [user, *chain[: [p.pk for p in chain].index(user.pk) + 1]])
        raise ValidationError(
            {
                "manager": _("%(manager)s cannot be %(user)s's manager: that would make a reporting loop (%(loop)s).")
                % {"manager": manager, "user": user, "loop": loop}
            }
        )


def check_not_last_admin(*, user: User, lock: bool = False) -> None:
    """Refuse to take the last active admin away (deactivated or no longer an admin): nobody would
    be left to run the site or give the role back. ``lock`` (inside a transaction) locks every
    active admin's row in primary-key order first, so that two admins switched off at once cannot
    both see the other one still there."""
    admins = User.objects.filter(is_active=True, is_staff=True).order_by("pk")
    if lock:
        admins = admins.select_for_update()
    pks = list(admins.values_list("pk", flat=True))
    if pks == [user.pk]:
        raise ValidationError(
            _("%(name)s is the last active admin: make someone else an admin first.") % {"name": user}
        )


def _validate_and_save(user: User) -> User:
    user.full_clean(exclude=["password"])
    user.save()
    return user


@transaction.atomic
def user_create(
    *,
    email: str,
    first_name: str,
    last_name: str,
    password: str | None = None,
    employee_id: str | None = None,
    manager: User | None = None,
    department: Department | None = None,
    job_title: str = "",
    hire_date: dt.date | None = None,
    timezone_name: str = "Europe/London",
    locale: str = "en-gb",
    is_staff: bool = False,
    actor: User | None = None,
) -> User:
    user = User(
        email=email,
        first_name=first_name,
        last_name=last_name,
        employee_id=employee_id or None,
        manager=manager,
        department=department,
        job_title=job_title,
        hire_date=hire_date,
        timezone=timezone_name,
        locale=locale,
        is_staff=is_staff,
    )
    if password:
        user.set_password(password)
    else:
        user.set_unusable_password()
    _validate_and_save(user)
    audit_record(
        actor=actor,
        action=AuditEntry.Action.CREATE,
        obj_label=label_of(User),
        obj_id=user.pk,
        changes=user_audit_created(user),
    )
    user_org_changed.send(sender=User, user=user, created=True, changed_fields=set())
    if not password:
        invitation_send(user_ids=[user.pk])
    return user


@transaction.atomic
def user_update(*, user: User, data: dict[str, Any], actor: User | None = None) -> User:
    """Apply ``data`` (field name -> value) to ``user``; refuse unknown fields and reporting loops."""
    unknown = set(data) - USER_EDITABLE_FIELDS
    if unknown:
        raise ValidationError(_("These fields cannot be changed here: %s") % ", ".join(sorted(unknown)))
    if "is_staff" in data and not data["is_staff"]:
        check_not_last_admin(user=user, lock=True)
    if "manager" in data:
        check_manager_chain(user=user, manager=data["manager"])
    # Read from the database: a bound ModelForm has already put the new values on ``user``.
    attnames = {name: User._meta.get_field(name).attname for name in data}
    stored = User.objects.filter(pk=user.pk).values(*attnames.values()).get()
    before = {name: stored[attnames[name]] for name in data if name in USER_AUDITED_FIELDS}
    for name, value in data.items():
        if name == "employee_id":
            value = value or None
        setattr(user, name, value)
    _validate_and_save(user)
    changed = {name for name, attname in attnames.items() if stored[attname] != getattr(user, attname)}
    audited = user_audit_changed(before, user)
    if audited:
        audit_record(
            actor=actor,
            action=AuditEntry.Action.CHANGE,
            obj_label=label_of(User),
            obj_id=user.pk,
            changes=audited,
        )
    if changed:
        user_org_changed.send(sender=User, user=user, created=False, changed_fields=changed)
    return user


def user_set_manager(*, user: User, manager: User | None, actor: User | None = None) -> User:
    return user_update(user=user, data={"manager": manager}, actor=actor)


def user_language_set(*, user: User, language: str, actor: User | None = None) -> User:
    """The language ``user`` reads pages and messages in (the switcher, the profile, the person
    form): a tag is read by ``lms.languages.language_code`` and one the site has not is refused.
    Not in the audit trail, as the time zone is not: neither decides who must train."""
    code = language_code(language)
    if code is None:
        raise ValidationError({"locale": ValidationError(validate_language_message(language), code="invalid_language")})
    if user.locale == code:
        return user
    return user_update(user=user, data={"locale": code}, actor=actor)


def _set_active(*, user: User, active: bool, actor: User | None, reason: str) -> tuple[bool, dt.datetime | None]:
    """Lock the row and set ``is_active``, recording the change. Reads the stored state: the Django
    admin's form has already ticked the box on ``user``. Returns (changed, the deactivation time
    it replaced)."""
    stored = User.objects.select_for_update().filter(pk=user.pk).values("is_active", "deactivated_at").get()
    if stored["is_active"] == active:
        user.is_active, user.deactivated_at = stored["is_active"], stored["deactivated_at"]
        return False, stored["deactivated_at"]
    user.is_active = active
    user.deactivated_at = None if active else timezone.now()
    user.save(update_fields=["is_active", "deactivated_at"])
    audit_record(
        actor=actor,
        action=AuditEntry.Action.CHANGE,
        obj_label=label_of(User),
        obj_id=user.pk,
        changes={
            "is_active": [stored["is_active"], active],
            "deactivated_at": [stored["deactivated_at"], user.deactivated_at],
        },
        reason=reason,
    )
    return True, stored["deactivated_at"]


@transaction.atomic
def user_deactivate(*, user: User, actor: User | None = None, reason: str = "left") -> User:
    """Deactivate a leaver: they can no longer log in (their session ends on the next request)
    and their records stay. Listeners archive their active assignments. Never the last active
    admin."""
    check_not_last_admin(user=user, lock=True)
    changed, _since = _set_active(user=user, active=False, actor=actor, reason=f"Deactivated ({reason})")
    if changed:
        user_deactivated.send(sender=User, user=user, actor=actor, reason=reason)
    return user


@transaction.atomic
def user_reactivate(*, user: User, actor: User | None = None) -> User:
    """A leaver comes back: they can log in again, and listeners give back the training their
    assignment rules require (the assignment archived when they left, or a new one)."""
    changed, away_since = _set_active(user=user, active=True, actor=actor, reason="Re-activated")
    if changed:
        user_reactivated.send(sender=User, user=user, actor=actor, away_since=away_since)
    return user


def check_department_parent(*, department: Department, parent: Department | None) -> None:
    node = parent
    seen: set[int] = set()
    while node is not None and node.pk not in seen:
        if department.pk is not None and node.pk == department.pk:
            raise ValidationError(
                {"parent": _("A department cannot sit inside itself or one of its own sub-departments.")}
            )
        seen.add(node.pk)
        node = node.parent


@transaction.atomic
def department_create(*, name: str, parent: Department | None = None) -> Department:
    department = Department(name=name.strip(), parent=parent)
    department.full_clean()
    department.save()
    return department


@transaction.atomic
def department_update(*, department: Department, name: str, parent: Department | None) -> Department:
    check_department_parent(department=department, parent=parent)
    department.name = name.strip()
    department.parent = parent
    department.full_clean()
    department.save()
    return department
