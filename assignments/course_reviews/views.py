"""The learner's review of a completed course, and the admins' moderation of the comments. The
figures per course and version are reports (reports/course_reviews.py)."""

from __future__ import annotations

from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.core.exceptions import ValidationError
from django.core.paginator import Paginator
from django.shortcuts import redirect, render
from django.urls import reverse
from django.utils.translation import gettext as _
from django.views.decorators.http import require_GET, require_http_methods, require_POST

from assignments.course_reviews import selectors, services
from assignments.course_reviews.forms import CourseReviewForm, ModerationForm
from assignments.course_reviews.models import CourseReview
from lms.permissions import admin_required


def _form_errors(form, error: ValidationError) -> None:
    if hasattr(error, "error_dict"):
        for name, errors in error.error_dict.items():
            form.add_error(name if name in form.fields else None, errors)
    else:
        form.add_error(None, error)


@login_required
@require_http_methods(["GET", "POST"])
def review_edit(request, completion_pk: int):
    completion = selectors.completion_get_for_reviewer(learner=request.user, pk=completion_pk)
    review = selectors.review_for_completion(completion=completion)
    questions = selectors.questions_for_review(course_id=completion.course_id)
    here = reverse("course_reviews:review", args=[completion.pk])
    if review is not None and not review.is_editable:
        if request.method == "POST":
            messages.error(request, _("This review has been moderated and can no longer be changed."))
            return redirect(here)
        return render(request, "course_reviews/review.html", {"completion": completion, "review": review})
    initial = {}
    if review is not None:
        initial = {
            "review_id": review.pk,
            "rating": review.rating,
            "useful": review.useful,
            "unclear": review.unclear,
            "unclear_question": review.unclear_question_id,
        }
    form = CourseReviewForm(request.POST or None, initial=initial, questions=questions)
    if request.method == "POST" and form.is_valid():
        data = form.cleaned_data
        fields = {
            "rating": data["rating"],
            "useful": data["useful"],
            "unclear": data["unclear"],
            "unclear_question": data["unclear_question"],
        }
        already = _(
            "You have already reviewed this course for this completion: your first review is kept, "
            "nothing was changed. You can change it below while it awaits moderation."
        )
        if review is not None and data["review_id"] != review.pk:
            messages.warning(request, already)
            return redirect(here)
        try:
            if review is None:
                services.course_review_submit(completion=completion, learner=request.user, **fields)
            else:
                services.course_review_update(review=review, learner=request.user, **fields)
        except services.AlreadyReviewed:
            messages.warning(request, already)
            return redirect(here)
        except ValidationError as error:
            _form_errors(form, error)
        else:
            messages.success(request, _("Thank you: your review is saved."))
            return redirect(here)
    return render(
        request,
        "course_reviews/review.html",
        {"completion": completion, "review": review, "form": form},
        status=400 if form.is_bound and form.errors else 200,
    )


@admin_required
@require_GET
def moderation(request):
    status = request.GET.get("status", "")
    if status not in CourseReview.Status.values:
        status = CourseReview.Status.PENDING
    counts = selectors.moderation_counts()
    page = Paginator(selectors.moderation_list(status=status), 25).get_page(request.GET.get("page"))
    return render(
        request,
        "course_reviews/moderation.html",
        {
            "status": status,
            "tabs": [(value, label, counts[value]) for value, label in CourseReview.Status.choices],
            "page": page,
        },
    )


@admin_required
@require_POST
def moderate(request, pk: int):
    review = selectors.review_get_for_moderation(pk=pk)
    form = ModerationForm(request.POST)
    back = request.POST.get("back", "")
    if back not in CourseReview.Status.values:
        back = CourseReview.Status.PENDING
    target = f"{reverse('course_reviews:moderation')}?status={back}"
    if not form.is_valid():
        messages.error(request, _("Choose approve or hide."))
        return redirect(target)
    review = services.course_review_moderate(
        review=review, moderator=request.user, status=form.cleaned_data["decision"]
    )
    if review.status == CourseReview.Status.APPROVED:
        messages.success(request, _("Comments approved: they now appear in the course's review summary."))
    else:
        messages.success(request, _("Comments hidden: only the moderation page shows them."))
    return redirect(target)
