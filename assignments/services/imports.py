"""CSV imports: people, assignments and historical completions.

Three steps per kind, each in its own function:

1. ``parse_*``: pure, no database. Decodes the bytes, checks the header and each line's own
   values (dates, emails, time zones, duplicates within the file).
2. ``plan_*``: reads what the lines refer to in a fixed number of queries (all emails, courses,
   managers, departments, existing assignments or certificates at once) and resolves everything
   in memory, adding the line errors that need the database (unknown course, manager cycle, ...).
3. ``apply_*``: writes the plan with bulk operations in one transaction.

A file with any bad line imports nothing; every bad line is reported with its line number,
column and reason. ``import_run`` ties the steps together for commands, jobs and tests.
"""

from __future__ import annotations

import csv
import datetime as dt
import io
import re
import unicodedata
import zoneinfo
from collections import defaultdict
from collections.abc import Callable
from dataclasses import dataclass, field
from decimal import Decimal
from typing import Any

from django.conf import settings
from django.contrib.auth.hashers import make_password
from django.core.exceptions import ValidationError
from django.core.validators import validate_email
from django.db import transaction
from django.db.models.functions import Lower
from django.utils import timezone
from django.utils.translation import gettext as _

from assignments.evidence import new_certificate_number, new_verification_code
from assignments.models import Assignment, Completion, ImportJob
from assignments.services.archive import assignments_archive
from assignments.services.assign import assignments_create
from assignments.services.completions import completion_audit_changes
from assignments.services.rules import rules_sync_for_users
from courses.models import Course
from courses.rules import compute_expiry
from lms.audit import audit_record_many, label_of, snapshot
from lms.bulk import bulk_update
from lms.dates import MAX_DATE, MIN_DATE, add_days, day_text
from lms.invitations import invitation_send, uses_sso
from lms.languages import language_code, validate_language_message
from lms.models import AuditEntry, Department, User
from lms.services import USER_AUDITED_FIELDS, user_audit_changed, user_audit_created
from lms.table_statistics import fresh_statistics
from lms.uploads import binary_problem, display_filename

USER_COLUMNS = [
    "email",
    "first_name",
    "last_name",
    "employee_id",
    "manager_email",
    "department",
    "job_title",
    "hire_date",
    "timezone",
]
# Columns a users file may have and older files do not: ``language``, a BCP 47 tag or one of the
# site's language codes (lms.languages; issue 16). Blank keeps an existing person's language.
USER_OPTIONAL_COLUMNS = ["language"]
ASSIGNMENT_COLUMNS = ["email", "course_code", "action", "due_date"]
COMPLETION_COLUMNS = ["email", "course_code", "completed_at", "score", "certificate_number"]
ACTIONS = ("assign", "archive", "reassign")
TIMEZONES = zoneinfo.available_timezones()
PREVIEW_LINES = 200
# The dates a file may hold (hire, due and completion dates): wider is a typing mistake, and
# date arithmetic on year 9999 overflows.
SCORE_PATTERN = re.compile(r"[0-9]+(\.[0-9]+)?")
# The model field each column is stored in: its max_length is the column's limit, so a value too
# long for the database is a line error, never an error at insert (PostgreSQL) or a silently
# longer value (SQLite).
COLUMN_FIELDS: dict[str, tuple[type, str]] = {
    "email": (User, "email"),
    "manager_email": (User, "email"),
    "first_name": (User, "first_name"),
    "last_name": (User, "last_name"),
    "employee_id": (User, "employee_id"),
    "department": (Department, "name"),
    "job_title": (User, "job_title"),
    "timezone": (User, "timezone"),
    "course_code": (Course, "code"),
    "certificate_number": (Completion, "certificate_number"),
}
# Names for the invisible characters people meet in files; others are named by Unicode.
INVISIBLE_NAMES = {
    "\ufeff": "byte-order mark",
    "\u200b": "zero-width space",
    "\u200c": "zero-width non-joiner",
    "\u200d": "zero-width joiner",
    "\u2060": "word joiner",
    "\u00a0": "no-break space",
    "\u00ad": "soft hyphen",
    "\u200e": "left-to-right mark",
    "\u200f": "right-to-left mark",
    "\t": "tab",
    "\n": "line break",
    "\r": "carriage return",
}


@dataclass(frozen=True)
class LineError:
    line: int
    column: str
    message: str

    def as_dict(self) -> dict[str, Any]:
        return {"line": self.line, "column": self.column, "message": self.message}


@dataclass
class ImportOutcome:
    kind: str
    errors: list[LineError] = field(default_factory=list)
    total: int = 0
    summary: dict[str, Any] = field(default_factory=dict)
    applied: bool = False

    @property
    def ok(self) -> bool:
        return not self.errors


# --- step 1: reading the file ---------------------------------------------------------------


def read_csv(
    data: bytes, columns: list[str], optional: list[str] | tuple[str, ...] = ()
) -> tuple[list[tuple[int, dict[str, str]]], list[LineError]]:
    """Lines as (line number, {column: stripped value}); the header is line 1. Each of
    ``optional`` is read when the header has it, and is "" on every line when it does not.

    Each cell is also checked against what every import needs: no invisible characters (named,
    and left out of the value so that they do not cause a second, puzzling error) and no more
    characters than the column's model field holds."""
    problem = binary_problem(data, expected="CSV")
    if problem:
        return [], [LineError(1, "", problem)]
    try:
        text = data.decode("utf-8-sig")
    except UnicodeDecodeError:
        return [], _encoding_errors(data)
    reader = csv.reader(io.StringIO(text, newline=""))
    try:
        header = next(reader)
    except StopIteration:
        return [], [LineError(1, "", _("The file is empty: the first line must be the header row."))]
    except csv.Error as error:
        return [], [LineError(1, "", _("The header row cannot be read: %(error)s") % {"error": error})]
    names = [name.strip().lower() for name in header]
    missing = [column for column in columns if column not in names]
    if missing:
        return [], _header_errors(text, names, columns, missing)
    index = {name: names.index(name) for name in [*columns, *(c for c in optional if c in names)]}
    limits = {name: _max_length(name) for name in index}
    rows: list[tuple[int, dict[str, str]]] = []
    errors: list[LineError] = []
    line = 1
    while True:
        try:
            values = next(reader)
        except StopIteration:
            break
        except csv.Error as error:
            errors.append(LineError(reader.line_num, "", _("This line cannot be read: %(error)s") % {"error": error}))
            break
        line = reader.line_num
        if not any(value.strip() for value in values):
            continue
        if len(values) > len(names):
            errors.append(
                LineError(
                    line,
                    "",
                    _("This line has %(n)d values but the header has %(m)d columns.")
                    % {"n": len(values), "m": len(names)},
                )
            )
            continue
        cells = {name: (values[i].strip() if i < len(values) else "") for name, i in index.items()}
        cells.update({name: "" for name in optional if name not in cells})
        for name, value in cells.items():
            if value and not (value.isascii() and value.isprintable()):
                cells[name] = _without_invisible(line, name, value, errors)
            if limits.get(name) and len(cells[name]) > limits[name]:
                errors.append(
                    LineError(
                        line,
                        name,
                        _("This value has %(length)d characters; the %(column)s column holds at most %(limit)d.")
                        % {"length": len(cells[name]), "column": name, "limit": limits[name]},
                    )
                )
        rows.append((line, cells))
    return rows, errors


def _encoding_errors(data: bytes) -> list[LineError]:
    """Every line that is not UTF-8, each with its first bad byte (a file saved in a Windows
    code page usually has many: all are named, so the person sees the whole extent at once)."""
    errors = []
    for number, raw in enumerate(data.split(b"\n"), start=1):
        if number == 1 and raw.startswith(b"\xef\xbb\xbf"):
            raw = raw[3:]
        try:
            raw.decode("utf-8")
        except UnicodeDecodeError as error:
            errors.append(
                LineError(
                    number,
                    "",
                    _(
                        "This line is not UTF-8 text (byte 0x%(byte)02X at character %(position)d). Save the file "
                        "as “CSV UTF-8” and upload it again."
                    )
                    % {"byte": raw[error.start], "position": len(raw[: error.start].decode("utf-8", "replace")) + 1},
                )
            )
    return errors or [LineError(1, "", _("The file is not UTF-8 text. Save it as “CSV UTF-8” and upload it again."))]


SEPARATORS = {";": "“;” (semicolon)", "\t": "tabs", "|": "“|” (vertical bar)"}


def _header_errors(text: str, names: list[str], columns: list[str], missing: list[str]) -> list[LineError]:
    """Why the header lacks columns: another separator than the comma, an invisible character in a
    column name, or columns that are really missing."""
    found = len(columns) - len(missing)
    for separator, label in SEPARATORS.items():
        try:
            other = next(csv.reader(io.StringIO(text, newline=""), delimiter=separator))
        except (StopIteration, csv.Error):
            continue
        if sum(1 for column in columns if column in {n.strip().lower() for n in other}) > max(found, 1):
            return [
                LineError(
                    1,
                    "",
                    _(
                        "The file seems to use %(separator)s between columns; this import needs commas. Save it "
                        "as “CSV UTF-8 (comma delimited)” and upload it again."
                    )
                    % {"separator": label},
                )
            ]
    cleaned = {_strip_invisible(name): name for name in names}
    errors = []
    for column in missing:
        if column in cleaned:
            errors.append(
                LineError(
                    1,
                    column,
                    _("The column name “%(name)s” %(problem)s")
                    % {"name": _show_invisible(cleaned[column]), "problem": _invisible_problem(cleaned[column])},
                )
            )
        else:
            errors.append(
                LineError(1, column, _("Missing column “%(column)s” in the header row.") % {"column": column})
            )
    return errors


def _max_length(column: str) -> int | None:
    if column not in COLUMN_FIELDS:
        return None
    model, name = COLUMN_FIELDS[column]
    return model._meta.get_field(name).max_length


def _is_invisible(char: str) -> bool:
    category = unicodedata.category(char)
    return category in {"Cc", "Cf", "Zl", "Zp"} or (category == "Zs" and char != " ")


def _strip_invisible(value: str) -> str:
    return "".join(char for char in value if not _is_invisible(char)).strip()


def _show_invisible(value: str) -> str:
    return "".join(f"[U+{ord(char):04X}]" if _is_invisible(char) else char for char in value)


def _invisible_problem(value: str) -> str:
    found = list(dict.fromkeys(char for char in value if _is_invisible(char)))
    described = ", ".join(
        f"U+{ord(char):04X} ({INVISIBLE_NAMES.get(char) or unicodedata.name(char, 'control character').lower()})"
        for char in found
    )
    if len(found) == 1:
        message = _("contains an invisible character %(characters)s: delete it and upload the file again.")
    else:
        message = _("contains invisible characters %(characters)s: delete them and upload the file again.")
    return message % {"characters": described}


def _without_invisible(line: int, column: str, value: str, errors: list[LineError]) -> str:
    """The value without invisible characters, each reported (shown as [U+XXXX] where it stands)."""
    if not any(_is_invisible(char) for char in value):
        return value
    errors.append(
        LineError(
            line,
            column,
            _("“%(value)s” %(problem)s") % {"value": _show_invisible(value), "problem": _invisible_problem(value)},
        )
    )
    return _strip_invisible(value)


def _parse_date(value: str) -> dt.date:
    return dt.date.fromisoformat(value)


def _bad_date(line: int, column: str, value: str) -> LineError:
    return LineError(line, column, _("“%(value)s” is not a date (use YYYY-MM-DD).") % {"value": value})


def _date_out_of_range(line: int, column: str, value: dt.date) -> LineError | None:
    if MIN_DATE <= value <= MAX_DATE:
        return None
    return LineError(
        line,
        column,
        _("%(date)s is outside the dates this system takes (%(earliest)s to %(latest)s).")
        % {"date": value.isoformat(), "earliest": MIN_DATE.isoformat(), "latest": MAX_DATE.isoformat()},
    )


def _check_email(line: int, column: str, value: str, errors: list[LineError], *, required: bool = True) -> str:
    if not value:
        if required:
            errors.append(LineError(line, column, _("An email address is required.")))
        return ""
    try:
        validate_email(value)
    except ValidationError:
        errors.append(LineError(line, column, _("“%(value)s” is not an email address.") % {"value": value}))
        return ""
    return value.lower()


# --- users ----------------------------------------------------------------------------------


@dataclass
class UserRow:
    line: int
    email: str
    first_name: str
    last_name: str
    employee_id: str
    manager_email: str
    department: str
    job_title: str
    hire_date: dt.date | None
    timezone: str
    # A code of settings.LANGUAGES (the ``language`` column read by lms.languages), "" for none.
    language: str = ""
    # False when the line has errors: kept so that its email still counts as "in the file" when
    # other lines name it as their manager (one bad line must not cause a second, false error).
    ok: bool = True


def parse_users(data: bytes) -> tuple[list[UserRow], list[LineError]]:
    raw, errors = read_csv(data, USER_COLUMNS, USER_OPTIONAL_COLUMNS)
    rows: list[UserRow] = []
    first_line: dict[str, int] = {}
    first_employee: dict[str, int] = {}
    for line, values in raw:
        bad = len(errors)
        email = _check_email(line, "email", values["email"], errors)
        manager_email = _check_email(line, "manager_email", values["manager_email"], errors, required=False)
        for column in ("first_name", "last_name"):
            if not values[column]:
                errors.append(LineError(line, column, _("This value is required.")))
        hire_date = None
        if values["hire_date"]:
            try:
                hire_date = _parse_date(values["hire_date"])
            except ValueError:
                errors.append(_bad_date(line, "hire_date", values["hire_date"]))
            else:
                if out_of_range := _date_out_of_range(line, "hire_date", hire_date):
                    errors.append(out_of_range)
                    hire_date = None
        tz = values["timezone"]
        if tz and tz not in TIMEZONES:
            errors.append(
                LineError(
                    line, "timezone", _("“%(value)s” is not a known time zone (e.g. Europe/London).") % {"value": tz}
                )
            )
        language = ""
        if values["language"]:
            language = language_code(values["language"]) or ""
            if not language:
                errors.append(LineError(line, "language", validate_language_message(values["language"])))
        if email:
            if email in first_line:
                errors.append(
                    LineError(
                        line,
                        "email",
                        _("Duplicate email %(email)s (also on line %(other)d).")
                        % {"email": email, "other": first_line[email]},
                    )
                )
            else:
                first_line[email] = line
            if manager_email == email:
                errors.append(LineError(line, "manager_email", _("A person cannot be their own manager.")))
        employee_id = values["employee_id"]
        if employee_id:
            if employee_id in first_employee:
                errors.append(
                    LineError(
                        line,
                        "employee_id",
                        _("Duplicate employee id %(id)s (also on line %(other)d).")
                        % {"id": employee_id, "other": first_employee[employee_id]},
                    )
                )
            else:
                first_employee[employee_id] = line
        if email:
            rows.append(
                UserRow(
                    ok=len(errors) == bad,
                    line=line,
                    email=email,
                    first_name=values["first_name"],
                    last_name=values["last_name"],
                    employee_id=employee_id,
                    manager_email=manager_email,
                    department=values["department"],
                    job_title=values["job_title"],
                    hire_date=hire_date,
                    timezone=tz,
                    language=language,
                )
            )
    return rows, errors


@dataclass
class UsersPlan:
    rows: list[UserRow]
    existing: dict[str, User]
    managers: dict[str, User]
    departments: dict[str, Department]
    new_departments: list[str]
    changes: list[dict[str, Any]]


def _cycle_errors(rows: list[UserRow], existing: dict[str, User], managers: dict[str, User]) -> list[LineError]:
    """Reporting loops in the org chart as it will be after the import: the file's manager
    columns over the existing chain (loaded as id -> manager id in one query)."""
    parent: dict[Any, Any] = {}
    for pk, manager_id in User.objects.values_list("pk", "manager_id"):
        parent[("id", pk)] = ("id", manager_id) if manager_id else None
    in_file = {row.email for row in rows}

    def node(email: str):
        person = existing.get(email) or (managers.get(email) if email not in in_file else None)
        return ("id", person.pk) if person is not None else ("new", email)

    label: dict[Any, str] = {}
    line_of: dict[Any, int] = {}
    for row in rows:
        me = node(row.email)
        label[me] = row.email
        line_of[me] = row.line
        if row.manager_email:
            parent[me] = node(row.manager_email)
        elif me[0] == "new":
            parent[me] = None
        # else: a blank manager column keeps an existing person's manager (read above), as the import does.
    for email, person in managers.items():
        label.setdefault(("id", person.pk), email)

    state: dict[Any, int] = {}
    errors: list[LineError] = []
    for row in rows:
        start = node(row.email)
        path: list[Any] = []
        current = start
        while current is not None and state.get(current, 0) == 0:
            state[current] = 1
            path.append(current)
            current = parent.get(current)
        if current is not None and state.get(current) == 1:
            loop = path[path.index(current) :]
            names = " → ".join(label.get(n, str(n[1])) for n in [*loop, loop[0]])
            for member in loop:
                if member in line_of:
                    errors.append(
                        LineError(line_of[member], "manager_email", _("Manager cycle: %(loop)s.") % {"loop": names})
                    )
        for member in path:
            state[member] = 2
    return sorted(errors, key=lambda e: e.line)


def plan_users(rows: list[UserRow]) -> tuple[UsersPlan, list[LineError]]:
    errors: list[LineError] = []
    all_rows = rows
    in_file = {row.email for row in rows}
    rows = [row for row in rows if row.ok]
    emails = in_file | {row.manager_email for row in all_rows if row.manager_email}
    people = {
        person.email_lower: person
        for person in User.objects.annotate(email_lower=Lower("email")).filter(email_lower__in=emails)
    }
    existing = {row.email: people[row.email] for row in rows if row.email in people}
    managers = {email: person for email, person in people.items()}
    for row in all_rows:
        if row.manager_email and row.manager_email not in in_file and row.manager_email not in people:
            errors.append(
                LineError(
                    row.line,
                    "manager_email",
                    _("Unknown manager %(email)s: not in this file and not an existing user.")
                    % {"email": row.manager_email},
                )
            )
    # Lines with other errors are checked too (and for cycles below), so one round names every bad line.
    employee_ids = [row.employee_id for row in all_rows if row.employee_id]
    if employee_ids:
        owners = dict(User.objects.filter(employee_id__in=employee_ids).values_list("employee_id", Lower("email")))
        for row in all_rows:
            owner = owners.get(row.employee_id)
            if row.employee_id and owner and owner != row.email:
                errors.append(
                    LineError(
                        row.line,
                        "employee_id",
                        _("Employee id %(id)s already belongs to %(email)s.") % {"id": row.employee_id, "email": owner},
                    )
                )
    first_of_each: dict[str, UserRow] = {}
    for row in all_rows:
        first_of_each.setdefault(row.email, row)
    in_database = {email: people[email] for email in first_of_each if email in people}
    errors.extend(_cycle_errors(list(first_of_each.values()), in_database, managers))

    departments = {d.name.casefold(): d for d in Department.objects.all()}
    new_departments: list[str] = []
    seen_new: set[str] = set()
    for row in rows:
        key = row.department.casefold()
        if row.department and key not in departments and key not in seen_new:
            seen_new.add(key)
            new_departments.append(row.department)

    changes = []
    for row in rows:
        person = existing.get(row.email)
        if person is None:
            changes.append({"line": row.line, "email": row.email, "action": "create", "fields": []})
            continue
        wanted = _user_values(row, person, departments, managers, existing)
        fields = [name for name, value in wanted.items() if value is not _KEEP and getattr(person, name) != value]
        changes.append(
            {"line": row.line, "email": row.email, "action": "update" if fields else "unchanged", "fields": fields}
        )
    return UsersPlan(rows, existing, managers, departments, new_departments, changes), errors


_KEEP = object()


def _user_values(row: UserRow, person: User | None, departments, managers, existing) -> dict[str, Any]:
    """Field values for a person from a line; blank optional columns keep what an existing person has."""
    department = departments.get(row.department.casefold()) if row.department else None
    manager = (existing.get(row.manager_email) or managers.get(row.manager_email)) if row.manager_email else None
    values: dict[str, Any] = {
        "first_name": row.first_name,
        "last_name": row.last_name,
        "employee_id": row.employee_id or (_KEEP if person else None),
        "job_title": row.job_title if row.job_title else (_KEEP if person else ""),
        "hire_date": row.hire_date if row.hire_date else (_KEEP if person else None),
        "timezone": row.timezone or (_KEEP if person else "Europe/London"),
        "locale": row.language or (_KEEP if person else settings.LANGUAGE_CODE),
        "department_id": department.pk if department else (_KEEP if person and not row.department else None),
        "manager_id": manager.pk if manager else (_KEEP if person and not row.manager_email else None),
    }
    if person is None:
        return values
    return values


def apply_users(plan: UsersPlan, *, actor: User | None = None) -> dict[str, Any]:
    if plan.new_departments:
        made = Department.objects.bulk_create([Department(name=name) for name in plan.new_departments])
        for department in made:
            plan.departments[department.name.casefold()] = department
    now = timezone.now()
    created: list[User] = []
    for row in plan.rows:
        if row.email in plan.existing:
            continue
        values = _user_values(row, None, plan.departments, plan.managers, plan.existing)
        values["manager_id"] = None  # managers are set below, once everyone has an id
        created.append(User(email=row.email, password=make_password(None), date_joined=now, **values))
    if created:
        User.objects.bulk_create(created)
    everyone = {**plan.existing, **{person.email: person for person in created}}
    managers = {**plan.managers, **everyone}

    changed: list[User] = []
    changed_fields: set[str] = set()
    moved_ids: list[int] = []
    audit_created: list[tuple[int, dict]] = []
    audit_changed: list[tuple[int, dict]] = []
    for row in plan.rows:
        person = everyone[row.email]
        is_new = row.email not in plan.existing
        values = _user_values(row, None if is_new else person, plan.departments, managers, everyone)
        before = snapshot(person, USER_AUDITED_FIELDS)
        dirty = False
        for name, value in values.items():
            if value is _KEEP or getattr(person, name) == value:
                continue
            if name in {"department_id", "job_title"} and not is_new:
                moved_ids.append(person.pk)
            setattr(person, name, value)
            changed_fields.add(name)
            dirty = True
        if dirty:
            changed.append(person)
        # Every field of a new person, every changed field of another (lms.services' audit fields).
        if is_new:
            audit_created.append((person.pk, user_audit_created(person)))
        elif dirty and (audited := user_audit_changed(before, person)):
            audit_changed.append((person.pk, audited))
    if changed:
        bulk_update(changed, sorted(changed_fields))
    for action, entries in ((AuditEntry.Action.CREATE, audit_created), (AuditEntry.Action.CHANGE, audit_changed)):
        audit_record_many(actor=actor, action=action, obj_label=label_of(User), entries=entries, reason=_("CSV upload"))
    # New and moved people pick up their assignment rules, set-based (the per-user signal would
    # cost queries per line).
    sync = rules_sync_for_users(
        user_ids=[person.pk for person in created] + sorted(set(moved_ids)), dispatch_soon=False
    )
    # Each new person gets their welcome (once: a second import of the same file creates nobody,
    # and the outbox's key refuses a second first invitation), sent by the dispatcher's next run.
    invitations = invitation_send(user_ids=[person.pk for person in created], dispatch_soon=False)
    return {
        "created": len(created),
        "invitations": invitations,
        "updated": sum(1 for change in plan.changes if change["action"] == "update"),
        "unchanged": sum(1 for change in plan.changes if change["action"] == "unchanged"),
        "departments_created": plan.new_departments,
        "rule_assignments": len(sync.created) + len(sync.restored),
    }


def _users_summary(plan: UsersPlan) -> dict[str, Any]:
    counts = defaultdict(int)
    for change in plan.changes:
        counts[change["action"]] += 1
    new_emails = [change["email"] for change in plan.changes if change["action"] == "create"]
    return {
        "create": counts["create"],
        "update": counts["update"],
        "unchanged": counts["unchanged"],
        # Every new person is created without a password and gets one welcome email.
        "invitations": len(new_emails),
        "invitations_sso": sum(1 for email in new_emails if uses_sso(email)),
        "departments_created": plan.new_departments,
        "lines": plan.changes[:PREVIEW_LINES],
    }


# --- assignments ----------------------------------------------------------------------------


@dataclass
class AssignmentRow:
    line: int
    email: str
    course_code: str
    action: str
    due_date: dt.date | None


def parse_assignments(data: bytes, *, today: dt.date | None = None) -> tuple[list[AssignmentRow], list[LineError]]:
    today = today or timezone.localdate()
    raw, errors = read_csv(data, ASSIGNMENT_COLUMNS)
    rows: list[AssignmentRow] = []
    seen: dict[tuple[str, str], int] = {}
    for line, values in raw:
        bad = len(errors)
        email = _check_email(line, "email", values["email"], errors)
        code = values["course_code"]
        if not code:
            errors.append(LineError(line, "course_code", _("A course code is required.")))
        action = values["action"].lower() or "assign"
        if action not in ACTIONS:
            errors.append(
                LineError(
                    line,
                    "action",
                    _("Unknown action “%(value)s” (use assign, archive or reassign).") % {"value": values["action"]},
                )
            )
        due = None
        if values["due_date"]:
            try:
                due = _parse_date(values["due_date"])
            except ValueError:
                errors.append(_bad_date(line, "due_date", values["due_date"]))
            else:
                if out_of_range := _date_out_of_range(line, "due_date", due):
                    errors.append(out_of_range)
                elif due < today and action != "archive":
                    errors.append(
                        LineError(line, "due_date", _("The due date %(date)s is in the past.") % {"date": due})
                    )
        key = (email, code.casefold())
        if email and code:
            if key in seen:
                errors.append(
                    LineError(
                        line,
                        "email",
                        _("%(email)s and %(code)s already appear on line %(other)d.")
                        % {"email": email, "code": code, "other": seen[key]},
                    )
                )
            else:
                seen[key] = line
        if len(errors) == bad:
            rows.append(AssignmentRow(line, email, code, action, due))
    return rows, errors


@dataclass
class AssignmentsPlan:
    rows: list[AssignmentRow]
    learners: dict[str, User]
    courses: dict[str, Course]
    active: dict[tuple[int, str], Assignment]
    changes: list[dict[str, Any]]


def _latest_courses(codes: set[str], *, published_only: bool) -> dict[str, Course]:
    """The newest version of each code, keyed by casefolded code (one query)."""
    if not codes:
        return {}
    qs = Course.objects.annotate(code_lower=Lower("code")).filter(code_lower__in={c.casefold() for c in codes})
    if published_only:
        qs = qs.filter(status=Course.Status.PUBLISHED)
    found: dict[str, Course] = {}
    for course in qs.order_by("code", "version"):
        found[course.code.casefold()] = course
    return found


def _ambiguous_codes(codes: set[str]) -> dict[str, str]:
    """Codes of the file that the catalogue spells in more than one way (HS-101 and hs-101, in any
    version or status, from before codes were unique whatever their case), by casefolded code, with
    the spellings: such a line could credit or assign either course, so it is refused."""
    if not codes:
        return {}
    spellings: dict[str, set[str]] = defaultdict(set)
    for code in (
        Course.objects.annotate(code_lower=Lower("code"))
        .filter(code_lower__in={c.casefold() for c in codes})
        .order_by()
        .values_list("code", flat=True)
        .distinct()
    ):
        spellings[code.casefold()].add(code)
    return {key: _(" and ").join(sorted(found)) for key, found in spellings.items() if len(found) > 1}


def _ambiguous_code_error(row: AssignmentRow | CompletionRow, spellings: str) -> LineError:
    return LineError(
        row.line,
        "course_code",
        _(
            "Course code %(code)s is ambiguous: the catalogue has %(spellings)s, which differ only in letter "
            "case. Give one of them another code, then upload the file again."
        )
        % {"code": row.course_code, "spellings": spellings},
    )


def _learners(emails: set[str]) -> dict[str, User]:
    return {
        person.email_lower: person
        for person in User.objects.annotate(email_lower=Lower("email")).filter(email_lower__in=emails)
    }


def plan_assignments(rows: list[AssignmentRow]) -> tuple[AssignmentsPlan, list[LineError]]:
    errors: list[LineError] = []
    learners = _learners({row.email for row in rows})
    ambiguous = _ambiguous_codes({row.course_code for row in rows})
    courses = {
        key: course
        for key, course in _latest_courses({row.course_code for row in rows}, published_only=True).items()
        if key not in ambiguous
    }
    known_codes: set[str] = set()
    if len(courses) < len({row.course_code.casefold() for row in rows}):
        known_codes = set(
            Course.objects.annotate(code_lower=Lower("code"))
            .filter(code_lower__in={row.course_code.casefold() for row in rows})
            .values_list("code_lower", flat=True)
        )
    ids = [person.pk for person in learners.values()]
    codes = {course.code for course in courses.values()}
    active = {
        (a.learner_id, a.course_code): a
        for a in Assignment.objects.filter(learner_id__in=ids, course_code__in=codes, archived_at=None)
    }
    changes = []
    for row in rows:
        person = learners.get(row.email)
        course = courses.get(row.course_code.casefold())
        if person is None:
            errors.append(LineError(row.line, "email", _("Unknown user %(email)s.") % {"email": row.email}))
        elif not person.is_active:
            errors.append(LineError(row.line, "email", _("%(email)s is deactivated.") % {"email": row.email}))
        if course is None and row.course_code.casefold() in ambiguous:
            errors.append(_ambiguous_code_error(row, ambiguous[row.course_code.casefold()]))
        elif course is None:
            if row.course_code.casefold() in known_codes:
                message = _("Course %(code)s has no published version.")
            else:
                message = _("Unknown course code %(code)s.")
            errors.append(LineError(row.line, "course_code", message % {"code": row.course_code}))
        if person is None or course is None:
            continue
        current = active.get((person.pk, course.code))
        if row.action == "archive":
            if current is None:
                errors.append(
                    LineError(
                        row.line,
                        "action",
                        _("%(email)s has no active %(code)s assignment to archive.")
                        % {"email": row.email, "code": course.code},
                    )
                )
                continue
            changes.append({"line": row.line, "email": row.email, "course": course.code, "action": "archive"})
        elif row.action == "assign" and current is not None:
            changes.append(
                {
                    "line": row.line,
                    "email": row.email,
                    "course": course.code,
                    "action": "skip",
                    "note": _("already assigned, due %(due)s") % {"due": day_text(current.due_date)},
                }
            )
        else:
            # Through add_days and capped at MAX_DATE: a course saved before due periods had a
            # maximum must not turn the upload into an OverflowError.
            due = row.due_date or min(add_days(timezone.localdate(), course.default_due_days), MAX_DATE)
            action = "reassign" if row.action == "reassign" and current is not None else "assign"
            changes.append(
                {"line": row.line, "email": row.email, "course": course.code, "action": action, "due": due.isoformat()}
            )
    return AssignmentsPlan(rows, learners, courses, active, changes), errors


@dataclass(frozen=True)
class FileDue:
    """The due date each line of the file gave (never before the day it is assigned)."""

    by_learner: dict[int, dt.date]

    def due_for(self, learner: User, assigned_on: dt.date) -> dt.date:
        return max(self.by_learner[learner.pk], assigned_on)


def apply_assignments(plan: AssignmentsPlan, *, actor: User | None = None) -> dict[str, Any]:
    archive_ids = [
        plan.active[(plan.learners[c["email"]].pk, c["course"])].pk
        for c in plan.changes
        if c["action"] in {"archive", "reassign"}
    ]
    archived = 0
    if archive_ids:
        archived = assignments_archive(
            assignments=Assignment.objects.filter(pk__in=archive_ids),
            reason=Assignment.ArchiveReason.RETRAINING,
            note=_("CSV upload"),
            actor=actor,
        )
    # One insert per course: each line's own due date travels with its learner.
    groups: dict[str, list[User]] = defaultdict(list)
    due_dates: dict[str, dict[int, dt.date]] = defaultdict(dict)
    for change in plan.changes:
        if change["action"] in {"assign", "reassign"}:
            learner = plan.learners[change["email"]]
            groups[change["course"]].append(learner)
            due_dates[change["course"]][learner.pk] = dt.date.fromisoformat(change["due"])
    created = skipped = 0
    courses = {course.code: course for course in plan.courses.values()}
    for code, learners in groups.items():
        result = assignments_create(
            course=courses[code],
            learners=learners,
            due=FileDue(due_dates[code]),
            source=Assignment.Source.UPLOAD,
            assigned_by=actor,
            # The notices wait in the outbox for the dispatcher: thousands of emails are not sent
            # by the command or upload that imports them.
            dispatch_soon=False,
        )
        created += len(result.created)
        skipped += len(result.skipped)
    skipped += sum(1 for c in plan.changes if c["action"] == "skip")
    return {"assigned": created, "archived": archived, "skipped": skipped}


def _assignments_summary(plan: AssignmentsPlan) -> dict[str, Any]:
    counts = defaultdict(int)
    for change in plan.changes:
        counts[change["action"]] += 1
    return {
        "assign": counts["assign"],
        "reassign": counts["reassign"],
        "archive": counts["archive"],
        "skip": counts["skip"],
        "lines": plan.changes[:PREVIEW_LINES],
    }


# --- completions ----------------------------------------------------------------------------


@dataclass
class CompletionRow:
    line: int
    email: str
    course_code: str
    completed_at: dt.datetime
    score: Decimal | None
    certificate_number: str
    # A date without a time: that date where the learner is (made noon there once they are known).
    date_only: bool = False


def _parse_completed_at(value: str) -> dt.datetime:
    try:
        moment = dt.datetime.fromisoformat(value)
    except ValueError:
        moment = dt.datetime.combine(_parse_date(value), dt.time(12, 0))
    if timezone.is_naive(moment):
        moment = timezone.make_aware(moment, dt.UTC)
    return moment


def _is_date(value: str) -> bool:
    try:
        _parse_date(value)
    except ValueError:
        return False
    return True


def _parse_score(value: str) -> Decimal | None:
    """A percentage written with digits and an optional decimal point, 0 to 100; None otherwise.

    Decimal() alone also reads NaN, sNaN, Infinity, exponents and underscores, and NaN cannot even
    be compared, so the text is matched first."""
    if not SCORE_PATTERN.fullmatch(value):
        return None
    score = Decimal(value)
    if not Decimal(0) <= score <= Decimal(100):
        return None
    return score.quantize(Decimal("0.01"))


def parse_completions(data: bytes, *, now: dt.datetime | None = None) -> tuple[list[CompletionRow], list[LineError]]:
    now = now or timezone.now()
    raw, errors = read_csv(data, COMPLETION_COLUMNS)
    rows: list[CompletionRow] = []
    certificates: dict[str, int] = {}
    for line, values in raw:
        bad = len(errors)
        email = _check_email(line, "email", values["email"], errors)
        if not values["course_code"]:
            errors.append(LineError(line, "course_code", _("A course code is required.")))
        completed_at = None
        if not values["completed_at"]:
            errors.append(LineError(line, "completed_at", _("The completion date is required.")))
        else:
            try:
                completed_at = _parse_completed_at(values["completed_at"])
            except ValueError:
                errors.append(
                    LineError(
                        line,
                        "completed_at",
                        _("“%(value)s” is not a date (use YYYY-MM-DD or YYYY-MM-DDTHH:MM).")
                        % {"value": values["completed_at"]},
                    )
                )
            else:
                if out_of_range := _date_out_of_range(line, "completed_at", completed_at.date()):
                    errors.append(out_of_range)
                elif completed_at > now:
                    errors.append(LineError(line, "completed_at", _("The completion date is in the future.")))
        score = None
        if values["score"]:
            score = _parse_score(values["score"])
            if score is None:
                errors.append(
                    LineError(
                        line, "score", _("“%(value)s” is not a number between 0 and 100.") % {"value": values["score"]}
                    )
                )
        number = values["certificate_number"]
        if number:
            if number in certificates:
                errors.append(
                    LineError(
                        line,
                        "certificate_number",
                        _("Duplicate certificate number %(number)s (also on line %(other)d).")
                        % {"number": number, "other": certificates[number]},
                    )
                )
            else:
                certificates[number] = line
        if len(errors) == bad:
            date_only = _is_date(values["completed_at"])
            rows.append(CompletionRow(line, email, values["course_code"], completed_at, score, number, date_only))
    return rows, errors


@dataclass
class CompletionsPlan:
    rows: list[CompletionRow]
    learners: dict[str, User]
    courses: dict[str, Course]
    expiry: dict[int, dt.date | None]
    changes: list[dict[str, Any]]


def plan_completions(rows: list[CompletionRow]) -> tuple[CompletionsPlan, list[LineError]]:
    errors: list[LineError] = []
    learners = _learners({row.email for row in rows})
    ambiguous = _ambiguous_codes({row.course_code for row in rows})
    courses = {
        key: course
        for key, course in _latest_courses({row.course_code for row in rows}, published_only=False).items()
        if key not in ambiguous
    }
    numbers = [row.certificate_number for row in rows if row.certificate_number]
    taken = set(Completion.objects.filter(certificate_number__in=numbers).values_list("certificate_number", flat=True))
    ids = [person.pk for person in learners.values()]
    codes = {course.code for course in courses.values()}
    history: dict[tuple[int, str], list[tuple[dt.datetime, dt.date | None]]] = defaultdict(list)
    for learner_id, code, completed_at, expires_on in Completion.objects.filter(
        learner_id__in=ids, course_code__in=codes
    ).values_list("learner_id", "course_code", "completed_at", "expires_on"):
        history[(learner_id, code)].append((completed_at, expires_on))
    # A completion's date is the learner's local date (Completion.completed_on), here too.
    zones = {person.pk: person.tzinfo for person in learners.values()}
    recorded = {
        (key, timezone.localdate(when, timezone=zones[key[0]])) for key, items in history.items() for when, _ in items
    }

    valid: list[tuple[CompletionRow, User, Course]] = []
    for row in rows:
        person = learners.get(row.email)
        course = courses.get(row.course_code.casefold())
        if person is None:
            errors.append(LineError(row.line, "email", _("Unknown user %(email)s.") % {"email": row.email}))
        if course is None and row.course_code.casefold() in ambiguous:
            errors.append(_ambiguous_code_error(row, ambiguous[row.course_code.casefold()]))
        elif course is None:
            errors.append(
                LineError(row.line, "course_code", _("Unknown course code %(code)s.") % {"code": row.course_code})
            )
        if row.certificate_number in taken:
            errors.append(
                LineError(
                    row.line,
                    "certificate_number",
                    _("Certificate number %(number)s is already on record.") % {"number": row.certificate_number},
                )
            )
        if person is None or course is None or row.certificate_number in taken:
            continue
        if row.date_only:
            noon = dt.datetime.combine(row.completed_at.date(), dt.time(12, 0))
            row.completed_at = min(timezone.make_aware(noon, person.tzinfo), timezone.now())
        key = ((person.pk, course.code), timezone.localdate(row.completed_at, timezone=person.tzinfo))
        if key in recorded:
            errors.append(
                LineError(
                    row.line,
                    "completed_at",
                    _("%(email)s already has a %(code)s completion on %(date)s.")
                    % {"email": row.email, "code": course.code, "date": key[1]},
                )
            )
            continue
        recorded.add(key)
        valid.append((row, person, course))

    # Expiry in completion order per learner and course, each renewal seeing the one before it.
    expiry: dict[int, dt.date | None] = {}
    for row, person, course in sorted(valid, key=lambda item: item[0].completed_at):
        key = (person.pk, course.code)
        earlier = [exp for when, exp in history[key] if when < row.completed_at and exp]
        previous = max(earlier) if earlier else None
        completed_on = timezone.localdate(row.completed_at, timezone=person.tzinfo)
        expiry[row.line] = compute_expiry(course=course, completed_on=completed_on, previous_expiry=previous)
        history[key].append((row.completed_at, expiry[row.line]))
    changes = [
        {
            "line": row.line,
            "email": row.email,
            "course": course.code,
            "completed_on": timezone.localdate(row.completed_at, timezone=person.tzinfo).isoformat(),
            "expires_on": expiry[row.line].isoformat() if expiry[row.line] else "",
            "certificate_number": row.certificate_number or _("(new number)"),
        }
        for row, person, course in valid
    ]
    return CompletionsPlan(rows, learners, courses, expiry, changes), errors


def _number_generated_certificates(generated: list[tuple[Completion, dt.date]], in_file: set[str]) -> None:
    """Give each completion without a number in the file a new one that nothing else holds.

    A generated number has 80 random bits per course and day: a file of 100,000 lines can draw one
    twice, or one already on record, and the unique constraint would then fail the whole import.
    Numbers drawn twice are drawn again (one query per round; a second round is rare)."""
    pending = generated
    used = set(in_file)
    while pending:
        taken = used | set(
            Completion.objects.filter(
                certificate_number__in=[completion.certificate_number for completion, _day in pending]
            ).values_list("certificate_number", flat=True)
        )
        again = []
        for completion, day in pending:
            if completion.certificate_number in taken:
                completion.verification_code = new_verification_code()
                completion.certificate_number = new_certificate_number(
                    course_code=completion.course_code, completed_at=day, verification_code=completion.verification_code
                )
                again.append((completion, day))
            else:
                taken.add(completion.certificate_number)
                used.add(completion.certificate_number)
        pending = again


def apply_completions(plan: CompletionsPlan, *, actor: User | None = None) -> dict[str, Any]:
    made = []
    generated = []
    for row in plan.rows:
        course = plan.courses[row.course_code.casefold()]
        local_day = timezone.localdate(row.completed_at, timezone=plan.learners[row.email].tzinfo)
        # A generated number carries its verification code (assignments.evidence); a number the
        # file brings does not, and is checked by its code only.
        code = new_verification_code()
        completion = Completion(
            learner=plan.learners[row.email],
            course=course,
            course_code=course.code,
            course_version=course.version,
            completed_at=row.completed_at,
            score=row.score,
            certificate_number=row.certificate_number
            or new_certificate_number(course_code=course.code, completed_at=local_day, verification_code=code),
            verification_code=code,
            expires_on=plan.expiry[row.line],
            source=Completion.Source.IMPORTED,
            cpd_points=course.cpd_points,
        )
        made.append(completion)
        if not row.certificate_number:
            generated.append((completion, local_day))
    _number_generated_certificates(generated, {row.certificate_number for row in plan.rows if row.certificate_number})
    Completion.objects.bulk_create(made)
    # PostgreSQL and SQLite (3.35+) return the new primary keys from bulk_create.
    audit_record_many(
        actor=actor,
        action=AuditEntry.Action.CREATE,
        obj_label=label_of(Completion),
        entries=[(completion.pk, completion_audit_changes(completion)) for completion in made],
        reason=_("Imported history (CSV upload)"),
    )
    return {"completions": len(made)}


def _completions_summary(plan: CompletionsPlan) -> dict[str, Any]:
    return {"completions": len(plan.changes), "lines": plan.changes[:PREVIEW_LINES]}


# --- running an import ----------------------------------------------------------------------

_KINDS: dict[str, tuple[Callable, Callable, Callable, Callable]] = {
    ImportJob.Kind.USERS: (parse_users, plan_users, apply_users, _users_summary),
    ImportJob.Kind.ASSIGNMENTS: (parse_assignments, plan_assignments, apply_assignments, _assignments_summary),
    ImportJob.Kind.COMPLETIONS: (parse_completions, plan_completions, apply_completions, _completions_summary),
}


def import_run(
    *,
    kind: str,
    data: bytes,
    dry_run: bool,
    actor: User | None = None,
    progress: Callable[[int, int], None] | None = None,
) -> ImportOutcome:
    """Check a file and, unless ``dry_run`` or any line is bad, apply it in one transaction."""
    if kind not in _KINDS:
        raise ValueError(f"Unknown import kind {kind!r}")
    parse, plan_rows, apply, summarise = _KINDS[kind]
    outcome = ImportOutcome(kind=kind)
    rows, errors = parse(data)
    outcome.total = len({row.line for row in rows} | {error.line for error in errors if error.line > 1})
    if progress:
        progress(0, outcome.total)
    # A large file fills tables that are then planned from figures taken before it (a first import
    # of 100,000 people into an empty site): tables written past lms.table_statistics' threshold
    # are analysed once the transaction has committed.
    with fresh_statistics(enabled=not dry_run), transaction.atomic():
        # Lines that read cleanly are also checked against the database, so one round lists
        # every bad line of the file.
        plan, plan_errors = plan_rows(rows) if rows else (None, [])
        outcome.errors = sorted(errors + plan_errors, key=lambda e: (e.line, e.column))
        if not rows and not errors:
            outcome.errors = [LineError(2, "", _("The file has a header but no data lines."))]
        if outcome.errors:
            return outcome
        outcome.summary = summarise(plan)
        if progress:
            progress(outcome.total // 2 if not dry_run else outcome.total, outcome.total)
        if dry_run:
            return outcome
        outcome.summary["result"] = apply(plan, actor=actor)
        outcome.applied = True
    if progress:
        progress(outcome.total, outcome.total)
    return outcome


# --- browser uploads (ImportJob) ------------------------------------------------------------


def import_job_create(*, kind: str, filename: str, content: bytes, created_by: User) -> ImportJob:
    if kind not in ImportJob.Kind.values:
        raise ValidationError({"kind": _("Choose what the file contains.")})
    if not content:
        raise ValidationError({"file": _("The file is empty.")})
    # The browser's file name is only shown back, never used as a path.
    job = ImportJob(
        kind=kind, filename=display_filename(filename, default="upload.csv"), content=content, created_by=created_by
    )
    job.full_clean(exclude=["content"])
    job.save()
    return job


def _progress_writer(job_id: int) -> Callable[[int, int], None]:
    def write(processed: int, total: int) -> None:
        ImportJob.objects.filter(pk=job_id).update(processed=min(processed, total), total=total)

    return write


def _finish(job: ImportJob, outcome: ImportOutcome, *, status: str) -> None:
    job.status = status
    job.errors = [error.as_dict() for error in outcome.errors]
    job.summary = outcome.summary
    job.total = outcome.total
    job.processed = outcome.total if status in {ImportJob.Status.DONE, ImportJob.Status.READY} else job.processed
    job.processed = min(job.processed, job.total)
    job.finished_at = timezone.now() if status != ImportJob.Status.READY else None
    job.save(update_fields=["status", "errors", "summary", "total", "processed", "finished_at", "updated_at"])


def _claim(job_id: int, *, from_status: str, to_status: str) -> ImportJob | None:
    """Move a job from one state to the next exactly once (a re-delivered task finds nothing to do)."""
    if ImportJob.objects.filter(pk=job_id, status=from_status).update(status=to_status, updated_at=timezone.now()) != 1:
        return None
    return ImportJob.objects.get(pk=job_id)


def import_job_check(*, job_id: int) -> ImportJob | None:
    """Check an uploaded file and store its errors or its preview (changes nothing else)."""
    job = _claim(job_id, from_status=ImportJob.Status.PENDING, to_status=ImportJob.Status.CHECKING)
    if job is None:
        return None
    try:
        outcome = import_run(kind=job.kind, data=bytes(job.content), dry_run=True, progress=_progress_writer(job.pk))
    except Exception as error:
        ImportJob.objects.filter(pk=job.pk).update(status=ImportJob.Status.FAILED, last_error=str(error)[:2000])
        raise
    _finish(job, outcome, status=ImportJob.Status.READY if outcome.ok else ImportJob.Status.INVALID)
    return job


def import_job_confirm(*, job: ImportJob) -> ImportJob:
    """The admin confirmed the preview: queue the import. The job leaves "ready" at once (exactly
    once: a second press of the button is refused), so the page shows it waiting to import and
    follows its progress instead of offering the button again."""
    claimed = _claim(job.pk, from_status=ImportJob.Status.READY, to_status=ImportJob.Status.CONFIRMED)
    if claimed is None:
        raise ValidationError(_("This upload is not waiting for confirmation."))
    return claimed


def import_job_apply(*, job_id: int) -> ImportJob | None:
    """Import a checked file in one transaction. The file is checked again first: if the data
    changed since the preview and a line is now bad, nothing is imported and the errors are shown."""
    job = _claim(job_id, from_status=ImportJob.Status.CONFIRMED, to_status=ImportJob.Status.APPLYING)
    if job is None:
        return None
    try:
        outcome = import_run(
            kind=job.kind,
            data=bytes(job.content),
            dry_run=False,
            actor=job.created_by,
            progress=_progress_writer(job.pk),
        )
    except Exception as error:
        ImportJob.objects.filter(pk=job.pk).update(status=ImportJob.Status.FAILED, last_error=str(error)[:2000])
        raise
    _finish(job, outcome, status=ImportJob.Status.DONE if outcome.applied else ImportJob.Status.INVALID)
    return job
