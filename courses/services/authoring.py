"""Writes of course authoring: courses and their content, ordering, publishing and new versions.

Only a Draft course can be changed. A published course is changed by creating a new version
(``course_new_version``), so assignments, attempts and completions keep the content they were
made against; a published course nobody has been assigned yet can go back to Draft. A course
package (``courses.services.packages``, the format) is imported here as a new version.

Module and resource bodies are HTML written by admins and shown to learners inside the site's
pages: they are reduced to the safe subset of ``lms.html.sanitise_html`` before they are checked
and saved, so a ``<meta http-equiv="refresh">``, ``<form>`` or ``<iframe>`` never reaches a learner.
"""

from __future__ import annotations

from typing import Any

from django.core.exceptions import ValidationError
from django.db import IntegrityError, transaction
from django.db.models import F, Max
from django.utils.translation import gettext as _
from django.utils.translation import ngettext

from courses import files as course_files
from courses import usage
from courses.models import Choice, Course, LearningResource, Module, Question, Quiz
from courses.services.packages import (
    KEY_PATTERN,
    TRUE_FALSE_TEXTS,
    _build_course,
    choice_problems,
    course_export_package,
    course_package_files,
    course_rule_problems,
    package_problems,
)
from lms.audit import audit_record, diff, label_of, snapshot
from lms.html import sanitise_html
from lms.languages import native_name
from lms.models import AuditEntry

COURSE_FIELDS = {"code", "title", "description", "language", *Course.RULE_FIELDS}
MODULE_FIELDS = {"key", "title", "body", "video_url", "file_url", "estimated_minutes"}
RESOURCE_FIELDS = {"key", "kind", "title", "url", "body"}
# Upload slots: field -> the types it accepts (courses.files). In ``data`` a slot's value is an
# uploaded file (replace), False (remove the file) or None (keep what is there).
MODULE_FILES = {
    "attachment": course_files.DOCUMENT_OR_IMAGE,
    "video": course_files.VIDEO,
    "captions": course_files.CAPTIONS,
}
RESOURCE_FILES = {"attachment": course_files.ANY_MEDIA}
QUIZ_FIELDS = {"kind", "title", "module", "pass_mark", "shuffle_questions", "shuffle_choices", "retake_missed_only"}
QUESTION_FIELDS = {"kind", "text", "explanation", "objective", "remediation_module", "remediation_resource"}
# The course's rules (and what names it), recorded in the audit trail when created or changed.
AUDITED_COURSE_FIELDS = ["code", "version", "title", "language", "status", *Course.RULE_FIELDS]


def course_audit_created(*, course: Course, actor=None, reason: str = "") -> None:
    audit_record(
        actor=actor,
        action=AuditEntry.Action.CREATE,
        obj_label=label_of(Course),
        obj_id=course.pk,
        changes=diff({}, snapshot(course, AUDITED_COURSE_FIELDS)),
        reason=reason,
    )


def _audit_course_change(*, course: Course, before: dict[str, Any], actor, reason: str = "") -> None:
    changes = diff(before, snapshot(course, AUDITED_COURSE_FIELDS))
    if changes:
        audit_record(
            actor=actor,
            action=AuditEntry.Action.CHANGE,
            obj_label=label_of(Course),
            obj_id=course.pk,
            changes=changes,
            reason=reason,
        )


def _set(instance, data: dict[str, Any], allowed: set[str]) -> None:
    unknown = set(data) - allowed
    if unknown:
        raise ValueError(f"Not editable here: {', '.join(sorted(unknown))}")
    for name, value in data.items():
        setattr(instance, name, value)


def course_check_editable(course: Course) -> None:
    """Refuse any change to a course that is not a Draft."""
    if course.status != Course.Status.DRAFT:
        raise ValidationError(
            _("%(course)s is published: its content cannot be changed in place. Create a new version to edit it.")
            % {"course": f"{course.code} v{course.version}"}
        )


def _check_course_rules(course: Course) -> None:
    problems = course_rule_problems(
        expiry_rule=course.expiry_rule,
        recertification_months=course.recertification_months,
        fixed_expiry_month=course.fixed_expiry_month,
        fixed_expiry_day=course.fixed_expiry_day,
    )
    if problems:
        raise ValidationError({"expiry_rule": [message[0].upper() + message[1:] + "." for message in problems]})


@transaction.atomic
def course_create(*, data: dict[str, Any], actor=None) -> Course:
    """A new Draft course at version 1 (or at ``data['version']``)."""
    course = Course(status=Course.Status.DRAFT, version=data.get("version", 1))
    _set(course, {k: v for k, v in data.items() if k != "version"}, COURSE_FIELDS)
    course.full_clean()
    _check_course_rules(course)
    course.save()
    course_audit_created(course=course, actor=actor)
    return course


@transaction.atomic
def course_update(*, course: Course, data: dict[str, Any], actor=None) -> Course:
    course_check_editable(course)
    # The saved values come from the database: a bound ModelForm has already changed ``course``.
    before = snapshot(Course.objects.get(pk=course.pk), AUDITED_COURSE_FIELDS)
    if "code" in data and data["code"] != course.code and course.version != 1:
        raise ValidationError({"code": _("The code of a later version cannot change: it ties the versions together.")})
    _set(course, data, COURSE_FIELDS)
    course.full_clean()
    _check_course_rules(course)
    if course.language != before["language"] and course.text_translations.filter(language=course.language).exists():
        # The main language cannot also be a translation of itself.
        raise ValidationError(
            {
                "language": _(
                    "The course has translations into %(language)s: delete them before making it the course's language."
                )
                % {"language": native_name(course.language)}
            }
        )
    course.save()
    _audit_course_change(course=course, before=before, actor=actor)
    return course


def _next_order(queryset) -> int:
    current = queryset.aggregate(top=Max("order"))["top"]
    return 0 if current is None else current + 1


def _check_key(*, course: Course, key: str, instance: Module | LearningResource) -> None:
    """Module and resource keys are slugs, unique across both within a course (the package rule)."""
    if not KEY_PATTERN.match(key or ""):
        raise ValidationError({"key": _("Use lowercase letters, digits and single hyphens, e.g. m1-introduction.")})
    modules = Module.objects.filter(course=course, key=key)
    resources = LearningResource.objects.filter(course=course, key=key)
    if isinstance(instance, Module) and instance.pk:
        modules = modules.exclude(pk=instance.pk)
    if isinstance(instance, LearningResource) and instance.pk:
        resources = resources.exclude(pk=instance.pk)
    if modules.exists() or resources.exists():
        raise ValidationError({"key": _("This key is already used by a module or resource of this course.")})


def _take_uploads(instance, data: dict[str, Any], slots: dict[str, tuple[str, ...]]) -> list:
    """Pop the upload slots out of ``data`` and check each new file by its content.

    Returns the changes to make once everything else is valid: (field, upload or None, checked).
    Every bad file is reported at once, on its own field.
    """
    changes, errors = [], {}
    for field in slots:
        value = data.pop(field, None)
        if value is False:
            if getattr(instance, field):
                changes.append((field, None, None))
        elif value is not None:
            try:
                changes.append((field, value, course_files.check_upload(value, accept=slots[field])))
            except ValidationError as error:
                errors[field] = error.messages
    if errors:
        raise ValidationError(errors)
    return changes


def _has_file(instance, field: str, changes: list) -> bool:
    for name, upload, _checked in changes:
        if name == field:
            return upload is not None
    return bool(getattr(instance, field))


def _pending_type(instance, field: str, changes: list) -> str:
    for name, upload, checked in changes:
        if name == field:
            return checked.content_type if upload is not None else ""
    return getattr(instance, f"{field}_type", "") if getattr(instance, field) else ""


def _store_uploads(instance, changes: list) -> None:
    """Write the new files to storage and drop the replaced ones once the transaction commits."""
    for field, upload, checked in changes:
        old = getattr(instance, field)
        old_name = old.name if old else ""
        if upload is None:
            setattr(instance, field, "")
            setattr(instance, f"{field}_name", "")
        else:
            upload.seek(0)
            getattr(instance, field).save(checked.name, upload, save=False)
            setattr(instance, f"{field}_name", checked.name)
        if hasattr(instance, f"{field}_type"):
            setattr(instance, f"{field}_type", checked.content_type if upload is not None else "")
        if old_name:
            storage = old.storage
            transaction.on_commit(lambda name=old_name, storage=storage: storage.delete(name))


def delete_files_on_commit(*instances) -> None:
    """Remove the stored files of rows being deleted, once the deletion has committed."""
    for instance in instances:
        slots = MODULE_FILES if isinstance(instance, Module) else RESOURCE_FILES
        for field in slots:
            file = getattr(instance, field)
            if file:
                transaction.on_commit(lambda name=file.name, storage=file.storage: storage.delete(name))


def _sanitise_body(instance: Module | LearningResource) -> None:
    """Reduce the body to the safe subset; refuse a body of which nothing safe is left."""
    written = instance.body or ""
    instance.body = sanitise_html(written)
    needs_body = isinstance(instance, Module) or instance.kind == LearningResource.Kind.CHEAT_SHEET
    if needs_body and written.strip() and not instance.body.strip():
        raise ValidationError(
            {"body": _("Nothing is left of this body once unsafe HTML is removed: write it as text and simple HTML.")}
        )


def _save_module(module: Module, data: dict[str, Any]) -> Module:
    data = dict(data)
    changes = _take_uploads(module, data, MODULE_FILES)
    _set(module, data, MODULE_FIELDS)
    _check_key(course=module.course, key=module.key, instance=module)
    _sanitise_body(module)
    if _has_file(module, "captions", changes) and not _has_file(module, "video", changes):
        raise ValidationError({"captions": _("Captions go with an uploaded video: upload the video too.")})
    module.full_clean(exclude=list(MODULE_FILES))
    _store_uploads(module, changes)
    module.save()
    return module


@transaction.atomic
def module_create(*, course: Course, data: dict[str, Any]) -> Module:
    course_check_editable(course)
    module = Module(course=course, order=_next_order(course.modules.all()))
    return _save_module(module, data)


@transaction.atomic
def module_update(*, module: Module, data: dict[str, Any]) -> Module:
    course_check_editable(module.course)
    return _save_module(module, data)


@transaction.atomic
def module_delete(*, module: Module) -> None:
    course_check_editable(module.course)
    delete_files_on_commit(module)
    module.delete()


@transaction.atomic
def module_move(*, module: Module, direction: str) -> Module:
    """Swap a module with its neighbour ("up" or "down"); orders are renumbered 0..n-1 first."""
    if direction not in ("up", "down"):
        raise ValueError(f"Unknown direction {direction!r}")
    course_check_editable(module.course)
    siblings = list(Module.objects.select_for_update().filter(course_id=module.course_id).order_by("order", "pk"))
    index = next(i for i, sibling in enumerate(siblings) if sibling.pk == module.pk)
    target = index - 1 if direction == "up" else index + 1
    if 0 <= target < len(siblings):
        siblings[index], siblings[target] = siblings[target], siblings[index]
    for order, sibling in enumerate(siblings):
        sibling.order = order
    Module.objects.bulk_update(siblings, ["order"])
    module.order = next(s.order for s in siblings if s.pk == module.pk)
    return module


def resource_file_problem(kind: str, content_type: str) -> str | None:
    """Why a resource of ``kind`` cannot hold a file of ``content_type`` ("" for none), or None."""
    Kind = LearningResource.Kind
    if not content_type:
        return None
    if kind in (Kind.CHEAT_SHEET, Kind.LINK):
        return _("Only a video or document resource holds a file: remove the file or change the kind.")
    if kind == Kind.VIDEO and content_type not in course_files.VIDEO:
        return _("A video resource's file must be an MP4 video.")
    if kind == Kind.DOCUMENT and content_type not in course_files.DOCUMENT_OR_IMAGE:
        return _("A document resource's file must be a PDF or an image.")
    return None


def _save_resource(resource: LearningResource, data: dict[str, Any]) -> LearningResource:
    data = dict(data)
    changes = _take_uploads(resource, data, RESOURCE_FILES)
    _set(resource, data, RESOURCE_FIELDS)
    _check_key(course=resource.course, key=resource.key, instance=resource)
    _sanitise_body(resource)
    errors = {}
    has_file = _has_file(resource, "attachment", changes)
    if resource.kind == LearningResource.Kind.CHEAT_SHEET:
        if not resource.body.strip():
            errors["body"] = _("A cheat sheet needs a body.")
        if resource.url:
            errors["url"] = _("A cheat sheet has no link: leave it empty.")
    else:
        if not resource.url and not has_file:
            errors["url"] = (
                _("This kind of resource needs a link.")
                if resource.kind == LearningResource.Kind.LINK
                else _("This kind of resource needs a link or an uploaded file.")
            )
        if resource.url and has_file:
            errors["url"] = _("Give a link or upload a file, not both.")
        if resource.body:
            errors["body"] = _("Only a cheat sheet has a body: leave it empty.")
    problem = resource_file_problem(resource.kind, _pending_type(resource, "attachment", changes))
    if problem:
        errors["attachment"] = problem
    if errors:
        raise ValidationError(errors)
    resource.full_clean(exclude=list(RESOURCE_FILES))
    _store_uploads(resource, changes)
    resource.save()
    return resource


@transaction.atomic
def resource_create(*, course: Course, data: dict[str, Any]) -> LearningResource:
    course_check_editable(course)
    resource = LearningResource(course=course, order=_next_order(course.resources.all()))
    return _save_resource(resource, data)


@transaction.atomic
def resource_update(*, resource: LearningResource, data: dict[str, Any]) -> LearningResource:
    course_check_editable(resource.course)
    return _save_resource(resource, data)


@transaction.atomic
def resource_delete(*, resource: LearningResource) -> None:
    course_check_editable(resource.course)
    delete_files_on_commit(resource)
    resource.delete()


def _save_quiz(quiz: Quiz) -> Quiz:
    errors = {}
    if quiz.kind == Quiz.Kind.MODULE_CHECK and quiz.module is None:
        errors["module"] = _("A module check belongs to a module.")
    if quiz.kind != Quiz.Kind.MODULE_CHECK and quiz.module is not None:
        errors["module"] = _("Only a module check belongs to a module.")
    if quiz.module is not None and quiz.module.course_id != quiz.course_id:
        errors["module"] = _("The module must belong to this course.")
    if quiz.kind == Quiz.Kind.FINAL and quiz.pass_mark is not None:
        errors["pass_mark"] = _("The final assessment uses the course pass mark: leave it empty.")
    if errors:
        raise ValidationError(errors)
    quiz.full_clean()  # also checks one final and one pre-test per course (named constraints)
    quiz.save()
    return quiz


@transaction.atomic
def quiz_create(*, course: Course, data: dict[str, Any]) -> Quiz:
    course_check_editable(course)
    quiz = Quiz(course=course)
    _set(quiz, data, QUIZ_FIELDS)
    return _save_quiz(quiz)


@transaction.atomic
def quiz_update(*, quiz: Quiz, data: dict[str, Any]) -> Quiz:
    course_check_editable(quiz.course)
    _set(quiz, data, QUIZ_FIELDS)
    return _save_quiz(quiz)


@transaction.atomic
def quiz_delete(*, quiz: Quiz) -> None:
    course_check_editable(quiz.course)
    quiz.delete()


def question_choice_messages(kind: str, choices: list[tuple[str, bool]]) -> list[str]:
    """The choice rules of a question kind as sentences for the question page, checked when the
    question is saved (publishing checks the same rules, ``choice_problems``, for whole courses).
    ``choices`` are (text, correct) pairs of the kept choices."""
    correct = sum(1 for _text, is_correct in choices if is_correct)
    messages = []
    if kind == Question.Kind.TRUE_FALSE:
        if sorted(text for text, _correct in choices) != sorted(TRUE_FALSE_TEXTS):
            messages.append(_("A true/false question has exactly two choices, “True” and “False”."))
        if correct != 1:
            messages.append(_("Tick the one correct answer of a true/false question: “True” or “False”."))
        return messages
    if len(choices) < 2:
        messages.append(_("A question needs at least two choices."))
    if kind == Question.Kind.SINGLE and correct > 1:
        messages.append(
            ngettext(
                "A single-choice question has exactly one correct choice, and %(count)d is ticked: untick all "
                "but one, or make it a multiple-choice question.",
                "A single-choice question has exactly one correct choice, and %(count)d are ticked: untick all "
                "but one, or make it a multiple-choice question.",
                correct,
            )
            % {"count": correct}
        )
    elif kind == Question.Kind.SINGLE and correct == 0:
        messages.append(_("Tick the correct choice: a single-choice question has exactly one."))
    elif kind == Question.Kind.MULTIPLE and correct == 0:
        messages.append(_("Tick at least one correct choice: a multiple-choice question has one or more."))
    return messages


def _save_question(question: Question, choices: list[dict[str, Any]] | None) -> Question:
    course_id = question.quiz.course_id
    errors = {}
    if not question.text.strip():
        errors["text"] = _("Write the question.")
    if not question.explanation.strip():
        errors["explanation"] = _("Explain the right answer: learners see it after answering.")
    if question.objective is None:
        errors["objective"] = _("Choose the module this question tests.")
    if (question.remediation_module is None) == (question.remediation_resource is None):
        errors["remediation_module"] = _("Choose exactly one review link: a module or a resource.")
    for field in ("objective", "remediation_module", "remediation_resource"):
        related = getattr(question, field)
        if related is not None and related.course_id != course_id:
            errors[field] = _("Choose from this course.")
    if errors:
        raise ValidationError(errors)
    if choices is not None:
        # Validated at save, so that a question saved with a green message does not block publishing.
        rows = [((row.get("text") or "").strip(), bool(row.get("is_correct"))) for row in choices]
        problems = question_choice_messages(question.kind, rows)
        if problems:
            raise ValidationError(problems)
    question.full_clean()
    question.save()
    if choices is not None:
        _save_choices(question, choices)
    return question


def _save_choices(question: Question, choices: list[dict[str, Any]]) -> None:
    """Replace the question's choices by ``choices`` (dicts of id, text, is_correct, feedback), in order."""
    existing = {choice.pk: choice for choice in question.choices.all()}
    texts = [row["text"].strip() for row in choices]
    if any(not text for text in texts):
        raise ValidationError(_("Every choice needs a text."))
    if len(set(texts)) != len(texts):
        raise ValidationError(_("Two choices of a question cannot have the same text."))
    keep = set()
    for order, row in enumerate(choices):
        choice = existing.get(row.get("id")) if row.get("id") else None
        if row.get("id") and choice is None:
            raise ValidationError(_("A choice does not belong to this question."))
        choice = choice or Choice(question=question)
        choice.order, choice.text = order, row["text"].strip()
        choice.is_correct, choice.feedback = bool(row.get("is_correct")), row.get("feedback", "")
        choice.full_clean()
        choice.save()
        keep.add(choice.pk)
    question.choices.exclude(pk__in=keep).delete()


@transaction.atomic
def question_create(
    *, quiz: Quiz, data: dict[str, Any], choices: list[dict[str, Any]], true_false_answer: bool | None = None
) -> Question:
    """A question at the end of the quiz. A true/false question given no choices gets "True" and
    "False", with ``true_false_answer`` marked correct: one save makes a question ready to publish."""
    course_check_editable(quiz.course)
    question = Question(quiz=quiz, order=_next_order(quiz.questions.all()))
    _set(question, data, QUESTION_FIELDS)
    if not choices and question.kind == Question.Kind.TRUE_FALSE:
        if true_false_answer is None:
            raise ValidationError({"true_false_answer": _("Say whether the statement is true or false.")})
        choices = [{"text": text, "is_correct": (text == "True") == true_false_answer} for text in TRUE_FALSE_TEXTS]
    return _save_question(question, choices)


@transaction.atomic
def question_update(*, question: Question, data: dict[str, Any], choices: list[dict[str, Any]] | None) -> Question:
    course_check_editable(question.quiz.course)
    _set(question, data, QUESTION_FIELDS)
    return _save_question(question, choices)


@transaction.atomic
def question_delete(*, question: Question) -> None:
    course_check_editable(question.quiz.course)
    question.delete()


def _question_label(quiz: Quiz, number: int, question: Question) -> str:
    text = question.text if len(question.text) <= 60 else question.text[:57] + "…"
    return _("“%(quiz)s”, question %(number)d (“%(text)s”)") % {"quiz": quiz.title, "number": number, "text": text}


def course_publish_problems(course: Course) -> list[str]:
    """Why ``course`` cannot be published, as sentences naming the quiz and question; empty if it can.

    The content rules come first. When they hold, the course must also make a valid package, so
    that every published course can be exported and imported elsewhere.
    """
    # A quiz played by a SCORM package (courses.scorm) is graded by the package: it has no questions.
    quizzes = list(
        Quiz.objects.filter(course=course)
        .annotate(scorm_package_pk=F("scorm_package__pk"))
        .order_by("pk")
        .prefetch_related("questions__choices")
    )
    problems = []
    if not course.description.strip():
        problems.append(_("The course needs a description."))
    if not course.modules.exists():
        problems.append(_("The course needs at least one module."))
    if not any(quiz.kind == Quiz.Kind.FINAL for quiz in quizzes):
        problems.append(_("The course needs a final assessment (a quiz of kind “Final assessment”)."))
    for quiz in quizzes:
        questions = sorted(quiz.questions.all(), key=lambda q: (q.order, q.pk))
        if not questions and quiz.scorm_package_pk is None:
            problems.append(_("“%(quiz)s” has no questions: add at least one.") % {"quiz": quiz.title})
        for number, question in enumerate(questions, start=1):
            label = _question_label(quiz, number, question)
            choices = sorted(question.choices.all(), key=lambda c: (c.order, c.pk))
            for message in choice_problems(question.kind, [(c.text, c.is_correct) for c in choices]):
                problems.append(f"{label}: {message}.")
            if not question.explanation.strip():
                problems.append(_("%(question)s: needs an explanation.") % {"question": label})
            if question.objective_id is None:
                problems.append(_("%(question)s: needs a learning objective (module).") % {"question": label})
            if (question.remediation_module_id is None) == (question.remediation_resource_id is None):
                problems.append(
                    _("%(question)s: needs exactly one review link, a module or a resource.") % {"question": label}
                )
    if problems or any(quiz.scorm_package_pk is not None for quiz in quizzes):
        # A course graded by a SCORM package has a final quiz without questions, which a course
        # package cannot hold: the package round-trip check applies to native assessments only.
        return problems
    return [
        _("The course cannot be written as a course package: %(problem)s") % {"problem": problem}
        for problem in package_problems(course_export_package(course=course))
    ]


def _lock_and_refresh(course: Course) -> None:
    """Lock the course row for this transaction and read its current state into ``course``."""
    Course.objects.select_for_update().filter(pk=course.pk).first()
    course.refresh_from_db()


@transaction.atomic
def course_publish(*, course: Course, actor=None) -> Course:
    """Publish a Draft course, or refuse with a ValidationError listing every problem, changing nothing."""
    _lock_and_refresh(course)
    if course.status != Course.Status.DRAFT:
        raise ValidationError(_("Only a Draft course can be published."))
    problems = course_publish_problems(course)
    if problems:
        raise ValidationError(problems)
    course.status = Course.Status.PUBLISHED
    course.save(update_fields=["status", "updated_at"])
    _audit_course_change(
        course=course, before={**snapshot(course, AUDITED_COURSE_FIELDS), "status": "draft"}, actor=actor
    )
    return course


@transaction.atomic
def course_unpublish(*, course: Course, actor=None) -> Course:
    """Back to Draft, for a published course nobody has been assigned or completed yet."""
    _lock_and_refresh(course)
    if course.status != Course.Status.PUBLISHED:
        raise ValidationError(_("Only a published course can go back to Draft."))
    if usage.course_in_use(course):
        raise ValidationError(
            _("People have been assigned this course, so it cannot go back to Draft. Create a new version instead.")
        )
    course.status = Course.Status.DRAFT
    course.save(update_fields=["status", "updated_at"])
    _audit_course_change(
        course=course, before={**snapshot(course, AUDITED_COURSE_FIELDS), "status": "published"}, actor=actor
    )
    return course


@transaction.atomic
def course_new_version(*, course: Course, actor=None) -> Course:
    """A Draft copy of the latest version of ``course``'s code at version + 1, content and rules included.

    The copied version and everything recorded against it are left as they are.
    """
    latest = Course.objects.select_for_update().filter(code=course.code).order_by("-version").first()
    course.refresh_from_db()
    if course.status == Course.Status.DRAFT:
        raise ValidationError(_("This version is still a Draft: edit it directly."))
    if latest.pk != course.pk:
        raise ValidationError(
            _("Version %(latest)d of %(code)s exists already: make the new version from the latest one.")
            % {"latest": latest.version, "code": course.code}
        )
    package = course_export_package(course=course)
    package["course"]["version"] = course.version + 1
    # The new version gets its own copies of the files: deleting one version's never touches another's.
    new = _build_course(package, status=Course.Status.DRAFT, files=course_package_files(course))
    course_audit_created(course=new, actor=actor, reason=f"New version of {course.code} v{course.version}")
    return new


@transaction.atomic
def course_import_package(*, package: Any, files=None, publish: bool = False, actor=None) -> Course:
    """Import a package as a new course version (Draft, or Published with ``publish``).

    Refused with a ValidationError listing every problem, and nothing imported, when the package
    is invalid, when its code and version exist already, or when a newer version of the code exists.
    Other versions of the code and their assignments and completions are never touched.
    ``files`` opens the archive files of a version 2 package
    (``courses.services.package_archive.package_read``).
    """
    problems = package_problems(package)
    if problems:
        raise ValidationError(problems)
    code, version = package["course"]["code"], package["course"]["version"]
    other = Course.other_spelling(code)
    if other:
        # One code, one spelling: a package for hs-101 beside HS-101 would make a code that
        # imports and completions could not tell apart.
        raise ValidationError(
            [
                "course.code: "
                + _(
                    "the catalogue spells this code %(other)s; course codes are the same whatever their letter "
                    "case, so use %(other)s (for a new version) or another code."
                )
                % {"other": other}
            ]
        )
    latest = Course.objects.filter(code=code).aggregate(latest=Max("version"))["latest"]
    if Course.objects.filter(code=code, version=version).exists():
        raise ValidationError(
            [
                "course.version: "
                + _("%(code)s version %(version)d already exists; published content is never overwritten.")
                % {"code": code, "version": version}
            ]
        )
    if latest is not None and version < latest:
        raise ValidationError(
            [
                "course.version: "
                + _("%(code)s already has version %(latest)d; a package must bring a newer version.")
                % {"code": code, "latest": latest}
            ]
        )
    try:
        with transaction.atomic():
            course = _build_course(package, status=Course.Status.DRAFT, files=files)
            course_audit_created(course=course, actor=actor, reason="Imported from a course package")
    except IntegrityError:
        # Another import of the same code and version committed first.
        raise ValidationError(
            [
                "course.version: "
                + _("%(code)s version %(version)d already exists.") % {"code": code, "version": version}
            ]
        )
    if publish:
        course = course_publish(course=course, actor=actor)
    return course
