"""A SCIM body or a list of PATCH operations read into one change of a person, and that change
written through ``lms.services`` (the same functions the person form and the Django admin call).

Clients differ in what they send, and both are read here:

- Microsoft Entra ID: ``"op": "Replace"`` / ``"Add"`` (capitalised), booleans as the strings
  ``"True"`` and ``"False"``, paths such as ``name.givenName``, ``emails[type eq "work"].value``
  and ``urn:ietf:params:scim:schemas:extension:enterprise:2.0:User:manager`` with the manager's id
  as a bare string;
- Okta: ``"op": "replace"`` with no path and a value object (``{"active": false}``), and full
  bodies on PUT.

Attribute names are matched case-insensitively (RFC 7643 section 2.1). Attributes that the site
does not keep (phone numbers, addresses, ``externalId``, ``displayName``...) are accepted and
ignored, so that a client's default mapping does not fail; a path that names no attribute at all is
refused with ``invalidPath``. A path with a filter is read only in the one form both clients send,
``attribute[type eq "word"].subAttribute`` (Entra ID's ``roles[primary eq "True"].value`` too):
any other filter (``or``, ``and``, ``not``, ``pr``, another operator) is ``invalidPath``, never
read as the bare attribute and quietly ignored.

Admins are not SCIM's to manage: a person who is an admin (staff) or superuser is refused with 403
on PUT, PATCH and DELETE, so that a provisioning token can neither take over an admin (a new
``userName``, then a password reset to it) nor switch one off. Admins are managed in the product.
"""

from __future__ import annotations

import re
from dataclasses import dataclass, field
from typing import Any

from django.core.exceptions import ValidationError
from django.core.validators import validate_email
from django.db import IntegrityError, transaction
from django.utils.translation import gettext as _

from lms import services
from lms.audit import audit_via
from lms.fields import parse_id
from lms.languages import language_code
from lms.models import Department, ScimToken, User
from lms.scim.resources import CORE, ENTERPRISE, ScimError

WORK_EMAIL = re.compile(r'^emails\[\s*type\s+eq\s+"work"\s*\]\.value$', re.IGNORECASE)
# The only filtered paths accepted: one comparison of ``type`` (or ``primary``) with a plain word,
# then at most one sub-attribute, e.g. ``addresses[type eq "work"].postalCode``.
FILTERED_PATH = re.compile(
    r'^[A-Za-z][\w$-]*\[\s*(?:type|primary)\s+eq\s+"[A-Za-z0-9_ -]{0,40}"\s*\](?:\.[A-Za-z][\w$-]*)?$', re.IGNORECASE
)
# A path without a filter: attribute, optionally one sub-attribute (RFC 7644 attrPath).
PLAIN_PATH = re.compile(r"^[A-Za-z][\w$-]*(?:\.[A-Za-z][\w$-]*)?$")
# Attributes of the core and enterprise schemas that are accepted and not kept (by their root name).
IGNORED = {
    "externalid",
    "displayname",
    "nickname",
    "profileurl",
    "usertype",
    "timezone",
    "password",
    "phonenumbers",
    "addresses",
    "ims",
    "photos",
    "groups",
    "entitlements",
    "roles",
    "x509certificates",
    "emails",  # other than the work address (handled above)
    "costcenter",
    "organization",
    "division",
    "schemas",
    "meta",
    "id",
}
IGNORED_NAME_PARTS = {"formatted", "middlename", "honorificprefix", "honorificsuffix"}
MISSING = object()


@dataclass
class Change:
    """What a request asks of a person: model fields (``department`` as a name and ``manager`` as
    an id until resolved) and whether they are active (None: unchanged)."""

    fields: dict[str, Any] = field(default_factory=dict)
    active: bool | None = None
    user_name: str = ""
    work_email: str = ""
    # ``preferredLanguage`` and ``locale`` as sent (lowercased names); ``settle_language`` reads them.
    languages: dict[str, Any] = field(default_factory=dict)

    def settle_email(self) -> None:
        """The sign-in email: ``userName`` when it is an email address (as it is when the client
        maps it from the mail or a UPN that is one), else the work email."""
        candidate = self.user_name or self.work_email
        if self.user_name and not _is_email(self.user_name):
            candidate = self.work_email
            if not candidate:
                raise ScimError(
                    400, _("userName must be an email address, or a work email must be given."), "invalidValue"
                )
        if candidate:
            self.fields["email"] = _email(candidate, "userName")

    def settle_language(self) -> None:
        """The person's language from ``preferredLanguage`` (RFC 7643: the language they prefer
        to read), else ``locale`` (their region's conventions, whose language part is the next
        best guess): a BCP 47 tag read by ``lms.languages.language_code``. A language the site
        does not have, or none, keeps the person's language as it is: a directory may hold any
        language for anyone, and refusing it would leave the person without their training."""
        for name in ("preferredlanguage", "locale"):
            code = language_code(self.languages.get(name))
            if code:
                self.fields["locale"] = code
                return


def parse_bool(value: Any, path: str) -> bool:
    if isinstance(value, bool):
        return value
    if isinstance(value, str) and value.strip().lower() in {"true", "false"}:
        return value.strip().lower() == "true"
    raise ScimError(400, _("“%(path)s” must be true or false.") % {"path": path}, "invalidValue")


def _text(value: Any, path: str, *, max_length: int = 150) -> str:
    if value is None:
        return ""
    if not isinstance(value, str | int) or isinstance(value, bool):
        raise ScimError(400, _("“%(path)s” must be text.") % {"path": path}, "invalidValue")
    value = str(value).strip()
    if len(value) > max_length or "\x00" in value:
        raise ScimError(
            400, _("“%(path)s” is too long or holds a character that is not allowed.") % {"path": path}, "invalidValue"
        )
    return value


def _is_email(value: str) -> bool:
    try:
        validate_email(value)
    except ValidationError:
        return False
    return True


def _email(value: Any, path: str) -> str:
    email = _text(value, path, max_length=254).lower()
    try:
        validate_email(email)
    except ValidationError:
        raise ScimError(400, _("“%(path)s” must be an email address.") % {"path": path}, "invalidValue") from None
    return email


def _manager_id(value: Any) -> str | None:
    if isinstance(value, dict):
        value = value.get("value")
    if value in (None, ""):
        return None
    return _text(value, "manager", max_length=64)


def _work_email(emails: Any) -> Any:
    if not isinstance(emails, list):
        raise ScimError(400, _("“emails” must be a list."), "invalidValue")
    chosen = [e for e in emails if isinstance(e, dict) and (e.get("primary") in (True, "True", "true"))]
    chosen += [e for e in emails if isinstance(e, dict) and str(e.get("type", "")).lower() == "work"]
    return chosen[0].get("value") if chosen else MISSING


def set_attribute(change: Change, path: str, value: Any, *, remove: bool = False) -> None:
    """Put one attribute (a PATCH path or a key of a value object) into ``change``."""
    if not isinstance(path, str) or not path.strip():
        raise ScimError(400, _("An operation's path is empty."), "invalidPath")
    path = path.strip()
    lowered = path.lower()
    if "[" in path and not FILTERED_PATH.match(path.rsplit(":", 1)[-1]):
        raise ScimError(
            400,
            _('“%(path)s”: only a filter of the form [type eq "work"] is supported in a path.') % {"path": path[:200]},
            "invalidPath",
        )
    if lowered == ENTERPRISE.lower():
        if not isinstance(value, dict):
            raise ScimError(400, _("The enterprise extension must be an object."), "invalidValue")
        for key, item in value.items():
            set_attribute(change, f"{ENTERPRISE}:{key}", item, remove=remove)
        return
    if lowered.startswith(ENTERPRISE.lower() + ":"):
        _set_enterprise(change, path[len(ENTERPRISE) + 1 :], value, remove=remove)
        return
    if lowered.startswith(CORE.lower() + ":"):
        path, lowered = path[len(CORE) + 1 :], lowered[len(CORE) + 1 :]
    if remove:
        value = None
    if lowered == "username":
        if remove:
            raise ScimError(400, _("userName cannot be removed."), "mutability")
        change.user_name = _text(value, path, max_length=254)
    elif WORK_EMAIL.match(path):
        if not remove:
            change.work_email = _email(value, path)
    elif lowered.startswith("emails[") and not re.match(r'^emails\[\s*type\s+eq\s+"(?!work")[^"]*"\s*\]', lowered):
        # The work address is the sign-in email: only ``emails[type eq "work"].value`` sets it.
        raise ScimError(
            400,
            _('“%(path)s”: the work email is set with emails[type eq "work"].value.') % {"path": path},
            "invalidPath",
        )
    elif lowered == "emails" and not remove:
        email = _work_email(value)
        if email is not MISSING:
            change.work_email = _email(email, "emails")
    elif lowered == "name":
        if not isinstance(value, dict) and not remove:
            raise ScimError(400, _("“name” must be an object."), "invalidValue")
        for key, item in (value or {}).items():
            set_attribute(change, f"name.{key}", item)
    elif lowered == "name.givenname":
        change.fields["first_name"] = _text(value, path)
    elif lowered == "name.familyname":
        change.fields["last_name"] = _text(value, path)
    elif lowered.startswith("name.") and lowered[5:] in IGNORED_NAME_PARTS:
        return
    elif lowered == "title":
        change.fields["job_title"] = _text(value, path)
    elif lowered in {"preferredlanguage", "locale"}:
        change.languages[lowered] = None if remove else value
    elif lowered == "active":
        if remove:
            raise ScimError(400, _("active cannot be removed."), "mutability")
        change.active = parse_bool(value, path)
    elif re.split(r"[.\[]", lowered, maxsplit=1)[0] in IGNORED and (
        FILTERED_PATH.match(path) or PLAIN_PATH.match(path)
    ):
        return
    else:
        raise ScimError(400, _("“%(path)s” is not an attribute of a User here.") % {"path": path[:200]}, "invalidPath")


def _set_enterprise(change: Change, name: str, value: Any, *, remove: bool) -> None:
    lowered = name.lower()
    if remove:
        value = None
    if lowered == "employeenumber":
        change.fields["employee_id"] = _text(value, name, max_length=64) or None
    elif lowered == "department":
        change.fields["department"] = _text(value, name, max_length=120) or None
    elif lowered in {"manager", "manager.value"}:
        change.fields["manager"] = _manager_id(value)
    elif lowered.split(".", 1)[0] in IGNORED and PLAIN_PATH.match(name):
        return
    else:
        raise ScimError(400, _("“%(path)s” is not an attribute of a User here.") % {"path": name[:200]}, "invalidPath")


def change_from_resource(body: Any) -> Change:
    """A whole User (POST, PUT): what it leaves out is cleared, as RFC 7644 section 3.5.1 says."""
    if not isinstance(body, dict):
        raise ScimError(400, _("The body must be a JSON object."), "invalidSyntax")
    change = Change(
        fields={"job_title": "", "employee_id": None, "department": None, "manager": None},
        active=True,
    )
    for key, value in body.items():
        if key in {"schemas", "id", "meta"}:
            continue
        set_attribute(change, key, value)
    change.settle_email()
    change.settle_language()
    if "email" not in change.fields:
        raise ScimError(400, _("userName is required (the person's email address)."), "invalidValue")
    name = body.get("name") if isinstance(body.get("name"), dict) else {}
    if not change.fields.get("first_name") or not change.fields.get("last_name"):
        # A name that is one word (a service account) or missing: the display name, then the address.
        words = _text(body.get("displayName") or name.get("formatted") or "", "displayName").split()
        change.fields.setdefault("first_name", "")
        change.fields["first_name"] = change.fields["first_name"] or (words[0] if words else "")
        change.fields["last_name"] = change.fields.get("last_name") or (" ".join(words[1:]) if len(words) > 1 else "")
    if not change.fields["first_name"] or not change.fields["last_name"]:
        raise ScimError(400, _("name.givenName and name.familyName are required."), "invalidValue")
    return change


def change_from_patch(body: Any) -> Change:
    """PATCH ``Operations`` (RFC 7644 section 3.5.2): add, replace and remove."""
    operations = body.get("Operations") if isinstance(body, dict) else None
    if not isinstance(operations, list) or not operations:
        raise ScimError(400, _("A PATCH body needs a list of Operations."), "invalidSyntax")
    change = Change()
    for operation in operations:
        if not isinstance(operation, dict):
            raise ScimError(400, _("Each operation must be an object."), "invalidSyntax")
        op = str(operation.get("op", "")).lower()
        path = operation.get("path")
        value = operation.get("value")
        if op not in {"add", "replace", "remove"}:
            raise ScimError(400, _("Unknown operation “%(op)s”.") % {"op": operation.get("op")}, "invalidSyntax")
        if path in (None, ""):
            if op == "remove":
                raise ScimError(400, _("A remove operation needs a path."), "noTarget")
            if not isinstance(value, dict):
                raise ScimError(400, _("An operation without a path needs an object value."), "invalidValue")
            for key, item in value.items():
                set_attribute(change, key, item)
        else:
            set_attribute(change, path, value, remove=op == "remove")
    change.settle_email()
    change.settle_language()
    return change


# --- writing ------------------------------------------------------------------------------


def _check_unique(change: Change, user: User | None) -> None:
    """409 when the email or employee number is someone else's (before the database's
    constraints would refuse, and again after they did, to name which one)."""
    data = change.fields
    others = User.objects.exclude(pk=user.pk) if user else User.objects.all()
    if "email" in data and others.filter(email__iexact=data["email"]).exists():
        raise ScimError(
            409, _("Another person already has the userName %(email)s.") % {"email": data["email"]}, "uniqueness"
        )
    if data.get("employee_id") and others.filter(employee_id=data["employee_id"]).exists():
        raise ScimError(
            409, _("Another person already has employee number %(id)s.") % {"id": data["employee_id"]}, "uniqueness"
        )


def _department_named(name: str) -> Department:
    """The department of that name, made when new. Two requests naming a new department at once
    both get the one row: the loser's insert fails in its savepoint and it reads the winner's."""
    for _attempt in range(3):
        found = Department.objects.filter(name__iexact=name).first()
        if found is not None:
            return found
        try:
            with transaction.atomic():
                return services.department_create(name=name)
        except IntegrityError:
            continue
        except ValidationError:
            # full_clean saw the other request's committed row (or the name is refused).
            if not Department.objects.filter(name__iexact=name).exists():
                raise
    raise ScimError(409, _("The department %(name)s could not be made; try again.") % {"name": name}, "uniqueness")


def _resolve(change: Change, user: User | None) -> dict[str, Any]:
    """Department names and manager ids made into rows; uniqueness checked."""
    data = dict(change.fields)
    _check_unique(change, user)
    if "manager" in data and data["manager"] is not None:
        manager_id = data["manager"]
        pk = parse_id(manager_id)
        manager = User.objects.filter(pk=pk).first() if pk else None
        if manager is None:
            raise ScimError(
                400, _("No person has the id %(id)s given as manager.") % {"id": manager_id}, "invalidValue"
            )
        data["manager"] = manager
    if "department" in data and data["department"] is not None:
        data["department"] = _department_named(data["department"])
    return data


def _as_scim_error(error: ValidationError) -> ScimError:
    messages = [str(message) for message in error.messages]
    return ScimError(400, " ".join(messages), "invalidValue")


def scim_user_save(*, token: ScimToken, change: Change, user: User | None = None) -> User:
    """Create (``user`` None) or change a person as ``change`` says, in one transaction, through the
    services: a manager change is checked for loops and audited, a department or job title change
    applies the assignment rules, ``active`` false runs the leaver flow and true the returner flow,
    and a new person gets their welcome email. Audit rows name the token. Admins are refused (403).

    Two requests making the same person at once: the loser's insert waits for the winner and
    fails on the unique constraint; it answers 409 ``uniqueness`` as if it had come second."""
    try:
        with audit_via(token.audit_label), transaction.atomic():
            if user is not None:
                access = User.objects.select_for_update().filter(pk=user.pk).values("is_staff", "is_superuser").get()
                if access["is_staff"] or access["is_superuser"]:
                    raise ScimError(
                        403,
                        _(
                            "%(id)s is an admin: admins are managed in the product (People), not by SCIM, "
                            "so a provisioning token can neither change nor deactivate them."
                        )
                        % {"id": user.pk},
                        "mutability",
                    )
            data = _resolve(change, user)
            if user is None:
                user = services.user_create(
                    email=data.pop("email"),
                    first_name=data.pop("first_name"),
                    last_name=data.pop("last_name"),
                    **data,
                )
                if change.active is False:
                    services.user_deactivate(user=user)
                return user
            # Only what differs: a PUT repeats every attribute, and an unchanged manager or
            # department must not look like a move.
            attnames = {name: User._meta.get_field(name).attname for name in data}
            stored = User.objects.filter(pk=user.pk).values(*attnames.values()).get()
            changed = {
                name: value
                for name, value in data.items()
                if stored[attnames[name]] != (value.pk if isinstance(value, User | Department) else value)
            }
            if change.active is False:
                services.user_deactivate(user=user)
            if changed:
                services.user_update(user=user, data=changed)
            if change.active is True:
                # After the update, so that the training given back follows the new department.
                services.user_reactivate(user=user)
            return user
    except IntegrityError:
        _check_unique(change, user)
        raise ScimError(409, _("Another person already has this userName or employee number."), "uniqueness") from None
    except ValidationError as error:
        # full_clean may have met another request's row committed after the check above.
        _check_unique(change, user)
        raise _as_scim_error(error) from None
