"""Recognition pages.

Public (no login, nothing private): the Open Badges issuer, badge class, image and assertion
JSON, and each assertion's verification page. Admins: the badges, their awards, revoking.
Managers: the "well done" confirm page from a digest or the team page (GET shows, POST sends)."""

from __future__ import annotations

from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.core.exceptions import ValidationError
from django.http import Http404, HttpResponse, JsonResponse
from django.shortcuts import get_object_or_404, redirect, render
from django.utils.translation import gettext as _
from django.views.decorators.cache import cache_control
from django.views.decorators.http import require_http_methods, require_POST, require_safe

from assignments.models import Completion
from escalation.recognition import openbadges
from escalation.recognition.forms import BadgeForm, RevokeForm, WellDoneForm
from escalation.recognition.images import badge_png
from escalation.recognition.models import AWARDING_NAME_TAKEN, Award, Badge, WellDone
from escalation.recognition.selectors import award_public, badge_just_made, badge_public, badges_overview, public_name
from escalation.recognition.services import AlreadySent, award_revoke, badge_save, well_done_send
from escalation.recognition.tokens import read_token
from lms.permissions import admin_required

JSON_LD = "application/ld+json"


def _json(data: dict, status: int = 200) -> JsonResponse:
    response = JsonResponse(data, status=status, content_type=JSON_LD, json_dumps_params={"ensure_ascii": False})
    response["Access-Control-Allow-Origin"] = "*"  # verifiers fetch these from other origins
    response["X-Robots-Tag"] = "noindex"
    return response


# Public: Open Badges 2.0 ------------------------------------------------------------------------


@require_safe
def issuer(request):
    return _json(openbadges.issuer_json())


@require_safe
def badge_class(request, public_id: str):
    return _json(openbadges.badge_class_json(badge_public(public_id)))


@require_safe
@cache_control(max_age=3600, public=True)
def badge_image(request, public_id: str):
    response = HttpResponse(badge_png(badge_public(public_id)), content_type="image/png")
    response["X-Content-Type-Options"] = "nosniff"
    response["Content-Security-Policy"] = "default-src 'none'"
    return response


@require_safe
def assertion(request, token: str):
    award = award_public(token)
    return _json(openbadges.assertion_json(award), status=410 if award.revoked else 200)


@require_safe
def verify(request, token: str):
    award = award_public(token)
    response = render(
        request,
        "recognition/verify.html",
        {
            "award": award,
            "badge": award.badge,
            "name": public_name(award.recipient),
            "criteria": openbadges.criteria_narrative(award.badge),
            "assertion_url": openbadges.assertion_url(award),
        },
        status=410 if award.revoked else 200,
    )
    response["X-Robots-Tag"] = "noindex"
    return response


# Admins: badges and awards ----------------------------------------------------------------------


@admin_required
def badges(request):
    return render(request, "recognition/badges.html", {"badges": badges_overview()})


@admin_required
@require_http_methods(["GET", "POST"])
def badge_edit(request, pk: int | None = None):
    badge = get_object_or_404(Badge, pk=pk) if pk else None
    # The name as saved: a bound form writes what was typed into its instance, refused or not.
    badge_name = badge.name if badge else ""
    form = BadgeForm(request.POST or None, request.FILES or None, instance=badge)
    if request.method == "POST":
        saved = None
        if form.is_valid():
            try:
                saved = badge_save(
                    badge=form.save(commit=False),
                    actor=request.user,
                    image=form.cleaned_data.get("image_upload"),
                    remove_image=form.cleaned_data.get("remove_image", False),
                )
            except ValidationError as error:  # a race the form could not see
                form.add_error(None, error)
        if saved is None and badge is None and _only_name_taken(form):
            # The same "Save" sent twice (a double click): the other request made this badge.
            saved = badge_just_made(form.instance, actor=request.user)
        if saved is not None:
            messages.success(request, _("Badge “%(name)s” saved.") % {"name": saved.name})
            return redirect("recognition:badge_edit", pk=saved.pk)
    awards = []
    if badge is not None:
        awards = Award.objects.filter(badge=badge).select_related("recipient").order_by("-awarded_at", "pk")[:200]
    return render(
        request,
        "recognition/badge_form.html",
        {"form": form, "badge": badge, "badge_name": badge_name, "awards": awards, "revoke_form": RevokeForm()},
    )


def _only_name_taken(form: BadgeForm) -> bool:
    messages_ = [str(message) for errors in form.errors.values() for message in errors]
    return bool(messages_) and all(message == str(AWARDING_NAME_TAKEN) for message in messages_)


@admin_required
@require_POST
def award_revoke_view(request, pk: int, award_pk: int):
    award = get_object_or_404(Award.objects.select_related("badge"), pk=award_pk, badge_id=pk)
    form = RevokeForm(request.POST)
    if not form.is_valid():
        # The field's own message: an empty reason, or one over its 300 characters.
        messages.error(request, " ".join(form.errors["reason"]))
    elif award.revoked:
        messages.info(request, _("This badge was revoked already."))
    else:
        award_revoke(award=award, actor=request.user, reason=form.cleaned_data["reason"])
        messages.success(request, _("Badge revoked: its public page now says so."))
    return redirect("recognition:badge_edit", pk=pk)


# Everyone: their own recognition ---------------------------------------------------------------


@login_required
def mine(request):
    """The signed-in person's badges and notes (where badge and well-done emails lead)."""
    from escalation.recognition.pages import badges_context

    return render(request, "recognition/mine.html", badges_context(request.user))


# Managers: well done ----------------------------------------------------------------------------


def _well_done_target(request, token: str):
    """(learner, completion, award, what) for a valid token of this manager; 404 otherwise (a
    forged, altered or expired link, someone else's link, or a learner no longer in their team)."""
    target = read_token(token)
    if target is None or target.manager_id != request.user.pk:
        raise Http404
    if target.completion_id is not None:
        completion = Completion.objects.select_related("learner", "course").filter(pk=target.completion_id).first()
        if completion is None:
            raise Http404
        learner, award, what = completion.learner, None, completion.course.title
    else:
        award = Award.objects.select_related("recipient", "badge").filter(pk=target.award_id).first()
        if award is None or award.revoked:
            raise Http404
        learner, completion, what = award.recipient, None, award.badge.name
    if not learner.is_active or learner.manager_id != request.user.pk:
        raise Http404
    return learner, completion, award, what


@login_required
@require_http_methods(["GET", "POST"])
def well_done(request, token: str):
    learner, completion, award, what = _well_done_target(request, token)
    sent = WellDone.objects.filter(sender=request.user, completion=completion, award=award).first()
    form = WellDoneForm(request.POST or None)
    if request.method == "POST" and sent is None and form.is_valid():
        try:
            well_done_send(
                sender=request.user,
                learner=learner,
                completion=completion,
                award=award,
                message=form.cleaned_data["message"],
            )
        except AlreadySent:
            messages.info(request, _("You have already said well done for this."))
        else:
            messages.success(request, _("Your note is on its way to %(name)s.") % {"name": learner.get_full_name()})
        return redirect("recognition:well_done", token=token)
    return render(
        request,
        "recognition/well_done.html",
        {"form": form, "learner": learner, "what": what, "completion": completion, "award": award, "sent": sent},
    )
