"""Assignment rules: "everyone in department X / with job title Y gets course Z".

``rules_sync_for_users`` is the one place that brings people in line with the active rules. It is
set-based (a fixed number of queries however many people and rules) and is called for one user
by the org-chart receivers, for many by the user import, and for everyone when a rule is saved.

- A matching learner without an active assignment of the course gets one; if they had an
  assignment of the course archived as ``rule_ended`` (they moved out and back) or ``left`` (a
  leaver re-activated), the newest such is restored, with its progress, instead of a fresh one.
  A leaver's unfinished deadline moves by the days they were away, as after an exemption.
- A learner who no longer matches an active rule has that rule's active assignment archived with
  reason ``rule_ended``.
- Deactivating or deleting a rule never touches the assignments it made.
"""

from __future__ import annotations

import datetime as dt
from collections import Counter, defaultdict
from dataclasses import dataclass, field

from django.core.exceptions import ValidationError
from django.db import transaction
from django.utils import timezone
from django.utils.translation import gettext as _

from assignments.models import Assignment, AssignmentRule
from assignments.services.archive import assignments_archive
from assignments.services.assign import assignments_create, learner_today
from courses.models import Course
from lms.audit import audit_record, audit_record_many, diff, label_of, snapshot
from lms.dates import add_days
from lms.models import AuditEntry, Department, User

RULE_FIELDS = [
    "name",
    "course",
    "department",
    "include_subdepartments",
    "job_title",
    "due_mode",
    "due_days",
    "starts_on",
    "is_active",
]


@dataclass(frozen=True)
class RuleDue:
    rule: AssignmentRule

    def due_for(self, learner: User, assigned_on: dt.date) -> dt.date:
        if self.rule.due_mode == AssignmentRule.DueMode.FROM_JOINING:
            joined = learner.hire_date or assigned_on
            due = add_days(max(joined, self.rule.starts_on), self.rule.due_days)
        else:
            due = add_days(assigned_on, self.rule.due_days)
        return max(due, assigned_on)


# Archived for these reasons, an assignment comes back when a rule covers its learner again.
RESTORABLE_REASONS = (Assignment.ArchiveReason.RULE_ENDED, Assignment.ArchiveReason.LEFT)


def due_after_time_away(assignment: Assignment, learner: User) -> dt.date:
    """The due date of a leaver's assignment restored on their return: moved by the days they were
    away when it is unfinished and was not already late when they left (as ``exemption_end``)."""
    if assignment.status not in (Assignment.Status.ASSIGNED, Assignment.Status.IN_PROGRESS):
        return assignment.due_date
    left_on = timezone.localtime(assignment.archived_at, learner.tzinfo).date()
    if assignment.due_date < left_on:
        return assignment.due_date
    return add_days(assignment.due_date, max((learner_today(learner) - left_on).days, 0))


@dataclass
class RuleSyncResult:
    created: list[Assignment] = field(default_factory=list)
    restored: list[Assignment] = field(default_factory=list)
    archived: int = 0


def _subtrees() -> dict[int, set[int]]:
    """Every department's id -> ids of itself and everything nested inside it (one query)."""
    children: dict[int | None, list[int]] = defaultdict(list)
    for pk, parent_id in Department.objects.values_list("pk", "parent_id"):
        children[parent_id].append(pk)
    cache: dict[int, set[int]] = {}

    def walk(pk: int) -> set[int]:
        if pk not in cache:
            found = {pk}
            stack = list(children.get(pk, []))
            while stack:
                node = stack.pop()
                if node not in found:
                    found.add(node)
                    stack.extend(children.get(node, []))
            cache[pk] = found
        return cache[pk]

    return {pk: walk(pk) for pk_list in children.values() for pk in pk_list}


def rule_matches(rule: AssignmentRule, user: User, subtrees: dict[int, set[int]]) -> bool:
    if rule.department_id is not None:
        allowed = subtrees.get(rule.department_id, {rule.department_id}) if rule.include_subdepartments else None
        if allowed is None and user.department_id != rule.department_id:
            return False
        if allowed is not None and user.department_id not in allowed:
            return False
    if rule.job_title and (user.job_title or "").strip().casefold() != rule.job_title.strip().casefold():
        return False
    return True


@transaction.atomic
def rules_sync_for_users(
    *, user_ids: list[int] | None = None, rules: list[AssignmentRule] | None = None, dispatch_soon: bool = True
) -> RuleSyncResult:
    """Bring ``user_ids`` (default: every active user) in line with ``rules`` (default: all active).
    ``dispatch_soon=False``: the new assignments' notices wait for the dispatcher (an import)."""
    result = RuleSyncResult()
    if rules is None:
        rules = list(AssignmentRule.objects.filter(is_active=True).select_related("course"))
    rules = [rule for rule in rules if rule.is_active and rule.course.status == Course.Status.PUBLISHED]
    if not rules or user_ids == []:
        return result
    subtrees = _subtrees()
    people = User.objects.filter(is_active=True)
    if user_ids is not None:
        people = people.filter(pk__in=user_ids)
    people = list(people)
    if not people:
        return result
    ids = [person.pk for person in people]
    codes = {rule.course.code for rule in rules}
    rule_ids = {rule.pk for rule in rules}

    active = {
        (a.learner_id, a.course_code): a
        for a in Assignment.objects.filter(learner_id__in=ids, course_code__in=codes, archived_at=None)
    }
    wanted: dict[tuple[int, str], AssignmentRule] = {}
    for person in people:
        for rule in rules:
            if rule_matches(rule, person, subtrees):
                wanted.setdefault((person.pk, rule.course.code), rule)

    to_archive = [
        a.pk
        for key, a in active.items()
        if key not in wanted and a.source == Assignment.Source.RULE and a.rule_id in rule_ids
    ]
    if to_archive:
        result.archived = assignments_archive(
            assignments=Assignment.objects.filter(pk__in=to_archive), reason=Assignment.ArchiveReason.RULE_ENDED
        )

    missing = {key: rule for key, rule in wanted.items() if key not in active}
    if not missing:
        return result
    # Moved out and back, or left and came back: the newest such assignment of the course returns.
    restorable: dict[tuple[int, str], Assignment] = {}
    for a in Assignment.objects.filter(
        learner_id__in={key[0] for key in missing},
        course_code__in={key[1] for key in missing},
        archived_reason__in=RESTORABLE_REASONS,
        archived_at__isnull=False,
    ).order_by("archived_at", "pk"):
        restorable[(a.learner_id, a.course_code)] = a
    to_restore = [restorable[key] for key in missing if key in restorable]
    by_person = {person.pk: person for person in people}
    if to_restore:
        entries = []
        for a in to_restore:
            changes = {"archived_at": [a.archived_at, None], "archived_reason": [a.archived_reason, ""]}
            if a.archived_reason == Assignment.ArchiveReason.LEFT:
                due = due_after_time_away(a, by_person[a.learner_id])
                if due != a.due_date:
                    changes["due_date"] = [a.due_date, due]
                    a.due_date = due
            entries.append((a.pk, changes))
            a.archived_at = None
            a.archived_reason = ""
            a.archive_note = ""
            a.archived_by = None
        Assignment.objects.bulk_update(
            to_restore, ["archived_at", "archived_reason", "archive_note", "archived_by", "due_date"]
        )
        audit_record_many(
            actor=None,
            action=AuditEntry.Action.CHANGE,
            obj_label=label_of(Assignment),
            entries=entries,
            reason="Restored: covered by an assignment rule again",
        )
        result.restored = to_restore

    new_by_rule: dict[int, list[User]] = defaultdict(list)
    rule_by_id = {rule.pk: rule for rule in rules}
    for key, rule in missing.items():
        if key not in restorable:
            new_by_rule[rule.pk].append(by_person[key[0]])
    for rule_id, learners in new_by_rule.items():
        rule = rule_by_id[rule_id]
        created = assignments_create(
            course=rule.course,
            learners=learners,
            due=RuleDue(rule),
            source=Assignment.Source.RULE,
            assigned_by=None,
            rule=rule,
            dispatch_soon=dispatch_soon,
        )
        result.created.extend(created.created)
    return result


@dataclass
class RulePreview:
    matching: int = 0
    to_assign: int = 0
    to_restore: int = 0
    already_assigned: int = 0
    to_archive: int = 0
    due_dates: list[tuple[dt.date, int]] = field(default_factory=list)


def rule_preview(*, rule: AssignmentRule) -> RulePreview:
    """What saving ``rule`` (new or edited, not yet saved) would do: who gets it, with which due dates,
    and which learners of the saved version would drop out."""
    preview = RulePreview()
    subtrees = _subtrees()
    people = list(User.objects.filter(is_active=True))
    matching = [person for person in people if rule_matches(rule, person, subtrees)]
    preview.matching = len(matching)
    code = rule.course.code
    active = {
        a.learner_id: a
        for a in Assignment.objects.filter(course_code=code, archived_at=None).only("learner_id", "rule_id", "source")
    }
    restorable = set(
        Assignment.objects.filter(
            course_code=code, archived_reason__in=RESTORABLE_REASONS, archived_at__isnull=False
        ).values_list("learner_id", flat=True)
    )
    dues: Counter[dt.date] = Counter()
    due = RuleDue(rule)
    matched_ids = set()
    for person in matching:
        matched_ids.add(person.pk)
        if person.pk in active:
            preview.already_assigned += 1
        elif person.pk in restorable:
            preview.to_restore += 1
        else:
            preview.to_assign += 1
            dues[due.due_for(person, learner_today(person))] += 1
    if rule.pk:
        preview.to_archive = sum(
            1
            for learner_id, a in active.items()
            if a.rule_id == rule.pk and a.source == Assignment.Source.RULE and learner_id not in matched_ids
        )
    preview.due_dates = sorted(dues.items())
    return preview


def _validate(rule: AssignmentRule) -> None:
    if rule.course.status != Course.Status.PUBLISHED:
        raise ValidationError({"course": _("Only a published course can be assigned by a rule.")})
    rule.full_clean()


@transaction.atomic
def rule_save(*, rule: AssignmentRule, actor: User | None = None) -> RuleSyncResult:
    """Create or update a rule and apply it to everyone it covers now."""
    creating = rule.pk is None
    if creating:
        rule.created_by = actor
    if rule.starts_on is None:
        rule.starts_on = timezone.localdate()
    _validate(rule)
    # The saved values come from the database: a bound ModelForm has already changed ``rule``.
    saved = None if creating else AssignmentRule.objects.filter(pk=rule.pk).first()
    before = snapshot(saved, RULE_FIELDS) if saved is not None else {}
    rule.save()
    changes = diff(before, snapshot(rule, RULE_FIELDS))
    if creating or changes:
        audit_record(
            actor=actor,
            action=AuditEntry.Action.CREATE if creating else AuditEntry.Action.CHANGE,
            obj_label=label_of(AssignmentRule),
            obj_id=rule.pk,
            changes=changes,
        )
    return rules_sync_for_users(rules=[rule])


@transaction.atomic
def rule_deactivate(*, rule: AssignmentRule, actor: User | None = None) -> AssignmentRule:
    """Stop the rule for new and moved people; the assignments it made stay as they are."""
    was_active = AssignmentRule.objects.filter(pk=rule.pk, is_active=True).update(is_active=False) == 1
    rule.is_active = False
    rule.save(update_fields=["is_active", "updated_at"])
    if was_active:
        audit_record(
            actor=actor,
            action=AuditEntry.Action.CHANGE,
            obj_label=label_of(AssignmentRule),
            obj_id=rule.pk,
            changes={"is_active": [True, False]},
            reason="Rule stopped",
        )
    return rule


@dataclass
class CourseDuePreview:
    active_unfinished: int = 0
    would_change: int = 0
    earliest: dt.date | None = None
    latest: dt.date | None = None
    rules: int = 0


def course_due_change_preview(*, course: Course, default_due_days: int) -> CourseDuePreview:
    """How many learners and due dates a change of the course's default due period would touch
    if existing unfinished assignments were re-dated to assigned_on + the new period."""
    preview = CourseDuePreview()
    rows = Assignment.objects.filter(
        course_code=course.code,
        archived_at=None,
        status__in=[Assignment.Status.ASSIGNED, Assignment.Status.IN_PROGRESS],
    ).values_list("assigned_on", "due_date")
    for assigned_on, due_date in rows:
        preview.active_unfinished += 1
        new_due = add_days(assigned_on, default_due_days)
        if new_due != due_date:
            preview.would_change += 1
            preview.earliest = min(filter(None, [preview.earliest, new_due]))
            preview.latest = max(filter(None, [preview.latest, new_due]))
    preview.rules = AssignmentRule.objects.filter(course__code=course.code, is_active=True).count()
    return preview
