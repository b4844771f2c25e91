"""Booster pages: answering from the email's link (no password), answering signed in, and the
admins' authoring page per course.

The email's answer links are GET links, and mail scanners open links before people do, so a GET
never records anything: it shows the question with the clicked answer chosen and one button that
sends it (POST). The POST records the answer once (``booster_answer``) and comes back to the same
address, which then shows the feedback; a replayed link shows "already answered" with the first
answer. A changed or foreign link is a 400 page and an expired one a 410 page, never an error.
"""

from __future__ import annotations

from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.core import signing
from django.core.exceptions import ValidationError
from django.db.models import Count, Q
from django.http import HttpResponseRedirect
from django.shortcuts import get_object_or_404, redirect, render
from django.urls import reverse
from django.utils import timezone
from django.utils.translation import get_language_bidi, get_language_info
from django.utils.translation import gettext as _
from django.views.decorators.http import require_http_methods, require_POST

from assignments.boosters import selectors
from assignments.boosters.forms import ProgrammeForm, QuestionForm
from assignments.boosters.models import BoosterDelivery, BoosterProgramme, BoosterQuestion
from assignments.boosters.services import (
    LinkExpired,
    LinkInvalid,
    booster_answer,
    programme_save,
    question_add,
    question_copy_from_quiz,
    question_retire,
    read_answer_token,
)
from courses.models import Course, Question
from courses.translations.selectors import overlay_in_reader_language, translated
from lms.permissions import admin_required

# The POST that recorded the answer says so in the address it redirects to (a signed, short-lived
# marker), not in the session: a mail app's browser may keep no cookies, and of two POSTs at once
# only the one whose conditional update recorded the answer (``AnswerResult.recorded``) gets it.
_RECORDED_PARAM = "recorded"
_RECORDED_SALT = "boosters.recorded"
_RECORDED_MAX_AGE = 600


def _posted_choice(request) -> int | None:
    try:
        return int(request.POST.get("choice", ""))
    except ValueError:
        return None


def _answer(request, delivery: BoosterDelivery, choice_id: int | None, via: str) -> tuple[bool, str | None]:
    """Record the answer: (whether this call recorded it, the error to show or None)."""
    if choice_id is None:
        return False, _("Choose one of the answers.")
    try:
        result = booster_answer(delivery=delivery, choice_id=choice_id, via=via)
    except ValidationError as error:
        return False, " ".join(error.messages)
    return result.recorded, None


def _after_post(path: str, delivery: BoosterDelivery, recorded: bool) -> HttpResponseRedirect:
    if not recorded:
        return redirect(path)
    marker = signing.dumps(delivery.pk, salt=_RECORDED_SALT, compress=True)
    return redirect(f"{path}?{_RECORDED_PARAM}={marker}")


def _just_recorded(request, delivery: BoosterDelivery) -> bool:
    marker = request.GET.get(_RECORDED_PARAM)
    if not marker or not delivery.answered_at:
        return False
    try:
        return signing.loads(marker, salt=_RECORDED_SALT, max_age=_RECORDED_MAX_AGE) == delivery.pk
    except signing.BadSignature:
        return False


def _page(request, delivery: BoosterDelivery, *, action: str, chosen: int | None, error: str = "", status: int = 200):
    just = _just_recorded(request, delivery)
    # Times in the learner's time zone, also for the email's link opened without signing in.
    with timezone.override(delivery.learner.tzinfo):
        return _render_page(request, delivery, action=action, chosen=chosen, error=error, just=just, status=status)


def _in_learner_language(delivery: BoosterDelivery) -> str:
    """The question, its answers and the course title in the learner's language when all of the
    question is translated into it (as the email was written), else in the course's own."""
    course = delivery.programme.course
    question = delivery.question
    objects = [question, *question.choices.all()]
    language = overlay_in_reader_language(course, delivery.learner.locale, objects)
    if language != course.language:
        choices = {choice.pk: choice for choice in question.choices.all()}
        if delivery.choice_id in choices:
            delivery.choice = choices[delivery.choice_id]
        course.title = translated(course, "title", language)
        course._content_language = language  # shown translated: never saved (registry's guard)
    return language


def _render_page(request, delivery, *, action, chosen, error, just, status):
    language = _in_learner_language(delivery)
    return render(
        request,
        "boosters/question.html",
        {
            "delivery": delivery,
            "content_lang": language,
            "content_dir": "rtl" if get_language_info(language)["bidi"] else "ltr",
            "content_marked": get_language_info(language)["bidi"] == get_language_bidi(),
            "action": action,
            "chosen": chosen,
            "error": error,
            "just_answered": just,
            # The signed link is the authority; someone else signed in on this browser is told
            # whose answer it records before they press the button.
            "sent_to_other": request.user.is_authenticated and request.user.pk != delivery.learner_id,
        },
        status=status,
    )


@require_http_methods(["GET", "POST"])
def answer_link(request, token: str):
    try:
        delivery_id, choice_id = read_answer_token(token)
    except LinkExpired:
        return render(request, "boosters/link_refused.html", {"expired": True}, status=410)
    except LinkInvalid:
        return render(request, "boosters/link_refused.html", {"expired": False}, status=400)
    delivery = selectors.delivery_by_id(delivery_id)
    if delivery is None:
        return render(request, "boosters/link_refused.html", {"expired": False}, status=400)
    if request.method == "POST" and delivery.answered_at is None:
        recorded, error = _answer(request, delivery, _posted_choice(request), BoosterDelivery.AnsweredVia.EMAIL)
        if error:
            return _page(request, delivery, action=request.path, chosen=choice_id, error=error, status=400)
        return _after_post(request.path, delivery, recorded)
    if request.method == "POST":
        return redirect(request.path)
    return _page(request, delivery, action=request.path, chosen=choice_id)


@login_required
@require_http_methods(["GET", "POST"])
def question(request, pk: int):
    delivery = selectors.delivery_for_learner(learner=request.user, pk=pk)
    if request.method == "POST":
        if delivery.answered_at is None:
            recorded, error = _answer(request, delivery, _posted_choice(request), BoosterDelivery.AnsweredVia.HOME)
            if error:
                return _page(request, delivery, action=request.path, chosen=None, error=error, status=400)
            return _after_post(reverse("boosters:question", args=[delivery.pk]), delivery, recorded)
        return redirect("boosters:question", pk=delivery.pk)
    return _page(request, delivery, action=request.path, chosen=None)


# --- authoring ------------------------------------------------------------------------------


@admin_required
def manage_list(request):
    courses = Course.objects.exclude(status=Course.Status.RETIRED).order_by("code", "-version")
    latest: dict[str, Course] = {}
    for course in courses:
        latest.setdefault(course.code, course)
    programmes = selectors.programmes_by_code()
    rows = [{"course": c, "programme": programmes.get(code)} for code, c in latest.items()]
    return render(request, "boosters/manage_list.html", {"rows": rows})


def _quiz_questions(course: Course, programme: BoosterProgramme | None):
    taken = set()
    if programme is not None:
        taken = set(programme.questions.filter(is_active=True).values_list("source_question_id", flat=True))
    return [
        q
        for q in Question.objects.filter(quiz__course=course)
        .annotate(right_answers=Count("choices", filter=Q(choices__is_correct=True)))
        .filter(right_answers=1)  # a booster needs exactly one right answer: leave the others out
        .select_related("quiz")
        .order_by("quiz_id", "order", "pk")
        if q.pk not in taken
    ]


@admin_required
@require_http_methods(["GET", "POST"])
def manage(request, course_pk: int):
    course = get_object_or_404(Course, pk=course_pk)
    programme = BoosterProgramme.objects.filter(course_code=course.code).first()
    initial = {
        "schedule": ", ".join(str(d) for d in (programme.schedule_days if programme else [2, 7, 21, 60])),
        "retention_threshold": programme.retention_threshold if programme else 60,
        "is_active": programme.is_active if programme else False,
    }
    form = ProgrammeForm(request.POST if request.POST.get("action") == "settings" else None, initial=initial)
    copy_error = ""
    if request.method == "POST":
        action = request.POST.get("action")
        if action == "settings" and form.is_valid():
            try:
                programme_save(
                    course=course,
                    is_active=form.cleaned_data["is_active"],
                    schedule_days=form.cleaned_data["schedule"],
                    retention_threshold=form.cleaned_data["retention_threshold"],
                    actor=request.user,
                )
            except ValidationError as error:
                for field, errors in error.message_dict.items():
                    form.add_error(field if field in form.fields else None, errors)
            else:
                messages.success(request, _("Booster programme saved."))
                return redirect("boosters:manage", course_pk=course.pk)
        elif action == "copy":
            try:
                source = Question.objects.get(pk=int(request.POST.get("source_question", "")), quiz__course=course)
            except (ValueError, Question.DoesNotExist):
                copy_error = _("Pick a question of this course's quiz.")
            else:
                try:
                    programme = programme or programme_save(
                        course=course,
                        is_active=False,
                        schedule_days=[2, 7, 21, 60],
                        retention_threshold=60,
                        actor=request.user,
                    )
                    question_copy_from_quiz(programme=programme, source_question=source, actor=request.user)
                except ValidationError as error:
                    copy_error = " ".join(error.messages)
                else:
                    messages.success(request, _("Question added from the quiz."))
                    return redirect("boosters:manage", course_pk=course.pk)
    return render(
        request,
        "boosters/manage.html",
        {
            "course": course,
            "programme": programme,
            "form": form,
            "questions": list(selectors.programme_questions(programme)) if programme else [],
            "quiz_questions": _quiz_questions(course, programme),
            "copy_error": copy_error,
        },
        status=400 if request.method == "POST" else 200,
    )


@admin_required
@require_http_methods(["GET", "POST"])
def question_new(request, course_pk: int):
    course = get_object_or_404(Course, pk=course_pk)
    form = QuestionForm(request.POST or None)
    if request.method == "POST" and form.is_valid():
        data = form.cleaned_data
        try:
            question_add(
                course=course,
                text=data["text"],
                choices=form.choice_inputs(),
                feedback=data["feedback"],
                good_application=data["good_application"],
                resource_title=data["resource_title"],
                resource_url=data["resource_url"],
                actor=request.user,
            )
        except ValidationError as error:
            for field, errors in error.message_dict.items():
                form.add_error(field if field in form.fields else None, errors)
        else:
            messages.success(request, _("Question added."))
            return redirect("boosters:manage", course_pk=course.pk)
    return render(request, "boosters/question_form.html", {"course": course, "form": form})


@admin_required
@require_POST
def question_retire_view(request, pk: int):
    question_obj = get_object_or_404(BoosterQuestion.objects.select_related("programme__course"), pk=pk)
    question_retire(question=question_obj, actor=request.user)
    messages.success(request, _("Question retired: it is no longer sent; its answers are kept."))
    return redirect("boosters:manage", course_pk=question_obj.programme.course_id)
