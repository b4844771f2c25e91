"""The course player: a learner's own assigned course, its modules and resources, and quiz attempts.

Every view fetches within the learner's own assignments or attempts first (404 outside them),
then calls one service or selector.
"""

from __future__ import annotations

from django.conf import settings
from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.core.exceptions import ValidationError
from django.http import HttpResponseRedirect, JsonResponse
from django.shortcuts import redirect, render
from django.urls import reverse
from django.utils.http import url_has_allowed_host_and_scheme
from django.utils.translation import get_language_bidi, get_language_info
from django.utils.translation import gettext as _
from django.views.decorators.http import require_http_methods, require_POST

from assignments.forms.player import AttemptForm
from assignments.models import Assignment, Attempt
from assignments.scorm_runtime.selectors import package_for_module, package_for_quiz
from assignments.selectors import player as selectors
from assignments.selectors.learner import learner_state_of
from assignments.services.attempts import assignment_grade, attempt_allowance, attempt_start, attempt_submit
from assignments.services.progress import module_progress_complete
from assignments.services.saved_answers import AttemptClosed, attempt_answer_save
from courses.models import Quiz
from courses.translations.selectors import Overlay, overlay_for
from lms.errors import answers_json
from lms.fields import parse_id
from lms.languages import native_name
from lms.lockout import password_confirm
from lms.sso import attests_with_sso, reauth_consume, reauth_fresh


def _messages_of(error: ValidationError) -> list[str]:
    return [str(message) for message in error.messages]


# The learner's choice of course language, per assignment (why the session: its selector).
LANGUAGE_SESSION_KEY = selectors.LANGUAGE_SESSION_KEY


def _content(request, assignment: Assignment, language: str | None = None) -> tuple[Overlay, dict]:
    """The overlay of the course texts in the learner's language, and the context the player's
    templates use for it: ``content_lang`` (the wrapper's ``lang``/``dir``) and the choices."""
    chosen = request.session.get(LANGUAGE_SESSION_KEY, {}).get(str(assignment.pk))
    current, choices = selectors.content_language(
        assignment=assignment, locale=request.user.locale, chosen=language or chosen
    )
    overlay = overlay_for(assignment.course, current)
    overlay.apply(assignment.course)
    return overlay, {
        "content_lang": current,
        "content_dir": "rtl" if get_language_info(current)["bidi"] else "ltr",
        # The wrapper holds the interface's words too: it is marked with the course's language only
        # where both run the same way; otherwise each paragraph takes its own (app.css, outside eyes:
        # an Arabic page of an English course was laid out left to right).
        "content_marked": get_language_info(current)["bidi"] == get_language_bidi(),
        "content_languages": [(code, native_name(code)) for code in choices] if len(choices) > 1 else [],
    }


@login_required
def course_overview(request, assignment_pk: int):
    assignment = selectors.assignment_get_for_learner(user=request.user, pk=assignment_pk)
    overlay, content = _content(request, assignment)
    modules = list(selectors.modules_with_progress(assignment=assignment))
    quizzes = selectors.quizzes_for(course_id=assignment.course_id)
    final, pretest = quizzes.get(Quiz.Kind.FINAL), quizzes.get(Quiz.Kind.PRETEST)
    completion = selectors.assignment_completion(assignment=assignment)
    done = sum(1 for module in modules if module.progress_completed_at or module.progress_tested_out)
    next_module = next((m for m in modules if not (m.progress_completed_at or m.progress_tested_out)), None)
    pretest_allowance = attempt_allowance(assignment, pretest) if pretest else None
    allowance = attempt_allowance(assignment, final) if final else None
    # The page leads with the real next step: the assessment once every module is done (or while
    # an attempt at it is open), else the next module. The pre-test comes below it, and only
    # while it can still skip something: modules left to do and no final attempt yet.
    lead_with_final = bool(final) and not completion and (next_module is None or bool(allowance.in_progress_id))
    attempts = list(selectors.submitted_attempts(assignment=assignment, quiz=final)) if final else []
    # After a failed attempt the next step is what its result page said: review the modules it
    # listed, then retake (or wait, or hear about the review once no attempts are left).
    after_fail = bool(attempts) and not attempts[-1].passed and not completion and not allowance.in_progress_id
    # A final assessment played by a SCORM package is started (and retaken) in the SCORM player.
    final_package = package_for_quiz(quiz=final)
    resources = list(selectors.resources_for(course_id=assignment.course_id))
    review_modules = list(selectors.modules_to_review(attempt=attempts[-1])) if after_fail else []
    overlay.apply(modules, resources, review_modules, final, pretest)
    context = {
        **content,
        "scorm_play_url": (
            reverse("scorm_player", args=[assignment.pk, final_package.module_id]) if final_package else ""
        ),
        "assignment": assignment,
        "course": assignment.course,
        "modules": modules,
        "modules_done": done,
        "progress_percent": 100 if completion else (done * 100 // len(modules) if modules else 0),
        "next_module": next_module,
        "resources": resources,
        "final": final,
        "allowance": allowance,
        "lead_with_final": lead_with_final and not after_fail,
        "module_leads": next_module is not None and not completion and not lead_with_final and not after_fail,
        "after_fail": after_fail,
        "review_modules": review_modules,
        "last_attempt": attempts[-1] if attempts else None,
        "attempts": attempts,
        "grade": assignment_grade(assignment=assignment, quiz=final) if final else None,
        "pretest": pretest,
        "pretest_allowance": pretest_allowance,
        "show_pretest": bool(
            pretest_allowance
            and not completion
            and (pretest_allowance.in_progress_id or (pretest_allowance.can_start and next_module is not None))
        ),
        "completion": completion,
        "state": learner_state_of(assignment=assignment),
    }
    return render(request, "assignments/player/course.html", context)


@login_required
@require_http_methods(["GET", "POST"])
def module_detail(request, assignment_pk: int, module_pk: int):
    assignment = selectors.assignment_get_for_learner(user=request.user, pk=assignment_pk)
    module = selectors.module_get_for_assignment(assignment=assignment, pk=module_pk)
    if package_for_module(module=module) is not None:
        # A SCORM package's module is played by the SCORM player; its content marks it done.
        return redirect("scorm_player", assignment_pk=assignment.pk, module_pk=module.pk)
    modules = list(selectors.modules_with_progress(assignment=assignment))
    index = next(i for i, m in enumerate(modules) if m.pk == module.pk)
    if request.method == "GET":
        overlay, content = _content(request, assignment)
        resources = list(selectors.resources_for(course_id=assignment.course_id))
        checks = list(module.checks.filter(kind=Quiz.Kind.MODULE_CHECK).order_by("pk"))
        overlay.apply(modules, resources, checks)
    previous_module = modules[index - 1] if index > 0 else None
    next_module = modules[index + 1] if index + 1 < len(modules) else None
    if request.method == "POST":
        recorded = module_progress_complete(assignment=assignment, module=module)
        if recorded is None:
            messages.info(request, _("You are reviewing this course; nothing new was recorded."))
        if next_module is not None:
            return redirect("player_module", assignment_pk=assignment.pk, module_pk=next_module.pk)
        return redirect("player_course", assignment_pk=assignment.pk)
    context = {
        **content,
        "assignment": assignment,
        "course": assignment.course,
        "module": modules[index],
        "modules": modules,
        "position": index + 1,
        "previous_module": previous_module,
        "next_module": next_module,
        "resources": resources,
        "reviewing": assignment.status == Assignment.Status.COMPLETED or assignment.archived_at is not None,
        "checks": checks,
    }
    return render(request, "assignments/player/module.html", context)


@login_required
def resource_detail(request, assignment_pk: int, resource_pk: int):
    assignment = selectors.assignment_get_for_learner(user=request.user, pk=assignment_pk)
    resource = selectors.resource_get_for_assignment(assignment=assignment, pk=resource_pk)
    overlay, content = _content(request, assignment)
    resources = list(selectors.resources_for(course_id=assignment.course_id))
    overlay.apply(resource, resources)
    context = {
        **content,
        "assignment": assignment,
        "course": assignment.course,
        "resource": resource,
        "resources": resources,
    }
    return render(request, "assignments/player/resource.html", context)


@login_required
@require_POST
def quiz_start(request, assignment_pk: int, quiz_pk: int):
    assignment = selectors.assignment_get_for_learner(user=request.user, pk=assignment_pk)
    quiz = selectors.quiz_get_for_assignment(assignment=assignment, pk=quiz_pk)
    package = package_for_quiz(quiz=quiz)
    if package is not None:
        # The package is the assessment: its player starts (or refuses) the new try.
        return redirect("scorm_player", assignment_pk=assignment.pk, module_pk=package.module_id)
    language, _choices = selectors.content_language(
        assignment=assignment,
        locale=request.user.locale,
        chosen=request.session.get(LANGUAGE_SESSION_KEY, {}).get(str(assignment.pk)),
    )
    try:
        attempt = attempt_start(assignment=assignment, quiz=quiz, language=language)
    except ValidationError as error:
        for message in _messages_of(error):
            messages.error(request, message)
        return redirect("player_course", assignment_pk=assignment.pk)
    return redirect("player_attempt", attempt_pk=attempt.pk)


def _attest_as(attempt: Attempt) -> str | None:
    course = attempt.assignment.course
    if attempt.quiz.kind == Quiz.Kind.FINAL and course.compliance_critical:
        return attempt.assignment.learner.get_full_name()
    return None


@login_required
@require_http_methods(["GET", "POST"])
def attempt_take(request, attempt_pk: int):
    attempt = selectors.attempt_get_for_learner(user=request.user, pk=attempt_pk)
    if attempt.status == Attempt.Status.SUBMITTED:
        if request.method == "POST":
            messages.info(
                request, _("This attempt was already submitted; your first submission is the one that counts.")
            )
        return redirect("player_result", attempt_pk=attempt.pk)
    # An attempt is shown in the language it was started in while that language is still offered.
    overlay, content = _content(request, attempt.assignment, language=attempt.language)
    overlay.apply(attempt.quiz)
    questions = selectors.attempt_questions(attempt=attempt, overlay=overlay)
    form = AttemptForm(
        request.POST or None,
        questions=questions,
        attest_as=_attest_as(attempt),
        attest_with_sso=attests_with_sso(request.user),
        initial=AttemptForm.initial_from(questions, selectors.attempt_saved_choices(attempt=attempt)),
    )
    if request.method == "POST" and form.is_valid():
        try:
            if form.attest_with_sso and not reauth_fresh(request):
                raise ValidationError(
                    _(
                        "Confirm who you are with single sign-on first (the button in the attestation), then "
                        "submit within %(minutes)s minutes. Your answers are saved; nothing has been submitted."
                    )
                    % {"minutes": max(1, settings.SSO_REAUTH_MAX_AGE // 60)}
                )
            if form.needs_attestation and not form.attest_with_sso:
                # Through the login lockout first, outside the submit's transaction.
                password_confirm(request=request, user=request.user, password=form.cleaned_data["password"])
            result = attempt_submit(
                attempt=attempt,
                answers=form.answers(),
                attestation_password=form.cleaned_data.get("password"),
                attestation_reauthenticated=form.attest_with_sso,
            )
            if form.attest_with_sso:
                reauth_consume(request)  # one sign-in at the identity provider signs one attestation
        except ValidationError as error:
            if hasattr(error, "error_dict") and "password" in error.error_dict:
                form.add_error("password", error.error_dict["password"])
            else:
                form.add_error(None, error)
        else:
            if result.already_submitted:
                messages.info(
                    request, _("This attempt was already submitted; your first submission is the one that counts.")
                )
            return redirect("player_result", attempt_pk=attempt.pk)
    context = {
        **content,
        "attempt": attempt,
        "assignment": attempt.assignment,
        "course": attempt.assignment.course,
        "quiz": attempt.quiz,
        "form": form,
        "questions": form.bound_questions(),
        "partial_retake": attempt.quiz.retake_missed_only and attempt.number > 1,
        "sso_reauth_fresh": form.attest_with_sso and reauth_fresh(request),
    }
    return render(request, "assignments/player/attempt.html", context)


@answers_json
@login_required
@require_POST
def attempt_answer_save_view(request, attempt_pk: int):
    """Save one answer of the learner's own open attempt as they choose it (player.js posts here
    on every change). JSON for the script: 200 saved, 400 an answer the attempt did not offer,
    409 an attempt that no longer takes answers. Never says whether the answer is right."""
    attempt = selectors.attempt_get_for_learner(user=request.user, pk=attempt_pk)
    question_id = parse_id(request.POST.get("question"))
    choice_ids = [parse_id(value) for value in request.POST.getlist("choice")]
    if question_id is None or None in choice_ids:
        return JsonResponse({"saved": False, "message": _("This answer could not be read.")}, status=400)
    try:
        attempt_answer_save(attempt=attempt, question_id=question_id, choice_ids=choice_ids)
    except AttemptClosed as error:
        return JsonResponse({"saved": False, "message": " ".join(_messages_of(error))}, status=409)
    except ValidationError as error:
        return JsonResponse({"saved": False, "message": " ".join(_messages_of(error))}, status=400)
    return JsonResponse({"saved": True, "message": _("Answer saved.")})


@login_required
def attempt_result(request, attempt_pk: int):
    attempt = selectors.attempt_get_for_learner(user=request.user, pk=attempt_pk)
    if attempt.status != Attempt.Status.SUBMITTED:
        return redirect("player_attempt", attempt_pk=attempt.pk)
    assignment = attempt.assignment
    overlay, content = _content(request, assignment)
    feedback = selectors.attempt_feedback(attempt=attempt)
    completion = (
        selectors.assignment_completion(assignment=assignment) if attempt.quiz.kind == Quiz.Kind.FINAL else None
    )
    allowance = attempt_allowance(assignment, attempt.quiz)
    final = selectors.quizzes_for(course_id=assignment.course_id).get(Quiz.Kind.FINAL)
    tested_out = (
        list(selectors.modules_with_progress(assignment=assignment).filter(progress_tested_out=True))
        if attempt.quiz.kind == Quiz.Kind.PRETEST and attempt.passed
        else []
    )
    overlay.apply(attempt.quiz, final, tested_out)
    for row in feedback:
        overlay.apply(
            row.question,
            row.selected,
            row.question.choices.all(),
            row.objective,
            row.remediation_module,
            row.remediation_resource,
        )
    context = {
        **content,
        "attempt": attempt,
        "assignment": assignment,
        "course": assignment.course,
        "quiz": attempt.quiz,
        "is_final": attempt.quiz.kind == Quiz.Kind.FINAL,
        "is_pretest": attempt.quiz.kind == Quiz.Kind.PRETEST,
        "feedback": feedback,
        "wrong": [row for row in feedback if not row.is_correct],
        "missed_objectives": selectors.missed_objectives(feedback),
        "completion": completion,
        "allowance": allowance,
        "is_latest": not Attempt.objects.filter(
            assignment_id=assignment.pk, quiz_id=attempt.quiz_id, number__gt=attempt.number
        ).exists(),
        "failed_for_good": assignment.status == Assignment.Status.FAILED,
        "final": final,
        "tested_out": tested_out,
    }
    return render(request, "assignments/player/result.html", context)


@login_required
@require_POST
def course_language(request, assignment_pk: int):
    """Read the course in another of its languages (the course page's form; works without
    JavaScript). Remembered for this assignment in the session; an attempt already open keeps the
    language it was started in."""
    assignment = selectors.assignment_get_for_learner(user=request.user, pk=assignment_pk)
    _current, choices = selectors.content_language(assignment=assignment, locale=request.user.locale, chosen=None)
    language = request.POST.get("language", "")
    if language not in choices:
        messages.error(
            request,
            _("This course can be read in: %(languages)s.") % {"languages": ", ".join(native_name(c) for c in choices)},
        )
    else:
        chosen = dict(request.session.get(LANGUAGE_SESSION_KEY, {}))
        chosen[str(assignment.pk)] = language
        request.session[LANGUAGE_SESSION_KEY] = chosen
    target = request.POST.get("next", "")
    # A path on this site only: ``redirect`` would read any other word as a view's name (a 500).
    if not target.startswith("/") or not url_has_allowed_host_and_scheme(
        target, allowed_hosts={request.get_host()}, require_https=request.is_secure()
    ):
        target = reverse("player_course", args=[assignment.pk])
    return HttpResponseRedirect(target)
