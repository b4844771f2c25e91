"""The SCORM player: the learner's page, the commit endpoint, package files and the launch page of a
separate content origin (assignments.scorm_runtime.content says what each protects).

Every view fetches within the learner's own assignment first (404 outside it), or, for files, checks
that the person may play or preview the package's course (404 otherwise).
"""

from __future__ import annotations

import json

from django.contrib.auth import get_user_model
from django.contrib.auth.decorators import login_required
from django.core.exceptions import ValidationError
from django.http import Http404, JsonResponse
from django.middleware.csrf import get_token
from django.shortcuts import get_object_or_404, render
from django.urls import reverse
from django.utils.translation import gettext as _
from django.views.decorators.clickjacking import xframe_options_exempt, xframe_options_sameorigin
from django.views.decorators.http import require_GET, require_POST

from assignments.scorm_runtime import content
from assignments.scorm_runtime.datamodel import MAX_COMMIT_BYTES
from assignments.scorm_runtime.selectors import launch_for, package_get_for_assignment
from assignments.scorm_runtime.services import CommitResult, runtime_commit
from assignments.selectors.player import assignment_get_for_learner, modules_with_progress, resources_for
from courses.scorm.models import ScormItem
from lms.fields import parse_id
from lms.scores import percent_text, score_text


def _content_url(request, *, package, item, token: str | None) -> str:
    """Where the player's frame points for ``item``: the file itself (same origin) or the launch
    page on the content origin."""
    if token is None:
        return reverse("scorm_content", args=[content.package_uuid(package), item.launch_path]) + (
            f"?{item.parameters.lstrip('?')}" if item.parameters else ""
        )
    return content.content_origin() + reverse("scorm_launch", args=[token, item.pk])


@login_required
@require_GET
def player(request, assignment_pk: int, module_pk: int):
    assignment = assignment_get_for_learner(user=request.user, pk=assignment_pk)
    package = package_get_for_assignment(assignment=assignment, module_pk=module_pk)
    launch = launch_for(assignment=assignment, package=package, item_pk=parse_id(request.GET.get("item")))
    origin = content.content_origin()
    token = (
        content.launch_token(
            user=request.user, package=package, parent_origin=content.origin_of(request.build_absolute_uri("/"))
        )
        if origin
        else None
    )
    item = launch.item
    plays = item is not None and not launch.blocked
    config = {
        "version": package.scorm_version,
        "run": launch.run,
        "sco": bool(plays and item.is_sco),
        "cmi": launch.cmi,
        "commitUrl": reverse("scorm_commit", args=[assignment.pk, item.pk]) if plays and item.is_sco else "",
        "csrf": get_token(request),
        "contentOrigin": origin,
        "courseUrl": reverse("player_course", args=[assignment.pk]),
        "backText": _("Back to the course"),
        "nextText": _("Go on to the next part"),
    }
    # Where the content's navigation requests lead (2004 adl.nav.request continue, previous, choice).
    scos = [entry.item for entry in launch.toc if entry.item.is_sco]
    here = reverse("scorm_player", args=[assignment.pk, module_pk])
    position = next((i for i, sco in enumerate(scos) if item is not None and sco.pk == item.pk), None)
    if position is not None:
        config["nextUrl"] = f"{here}?item={scos[position + 1].pk}" if position + 1 < len(scos) else ""
        config["previousUrl"] = f"{here}?item={scos[position - 1].pk}" if position > 0 else ""
    config["choiceUrls"] = {sco.identifier: f"{here}?item={sco.pk}" for sco in scos}
    context = {
        "assignment": assignment,
        "course": assignment.course,
        "package": package,
        "launch": launch,
        "config": config,
        "content_url": _content_url(request, package=package, item=item, token=token) if plays else "",
        "modules": list(modules_with_progress(assignment=assignment)),
        "resources": resources_for(course_id=assignment.course_id),
        "module": package.module,
    }
    response = render(request, "scorm_runtime/player.html", context)
    if origin:
        # The player frames the launch page on the content origin; everything else stays 'self'.
        response._csp_update = {"frame-src": ["'self'", origin]}
    return response


def _result_json(result: CommitResult) -> dict:
    body: dict = {"recorded": result.recorded, "finished": result.finished}
    if result.reason:
        body["message"] = result.reason
    if result.attempt is not None:
        body["passed"] = bool(result.attempt.passed)
        body["score"] = score_text(result.attempt.score)
        if result.attempt.passed:
            passed = _("You passed with %(score)s. Your certificate is ready on the course page.")
            body["message"] = passed % {"score": percent_text(result.attempt.score)}
        elif result.exhausted:
            body["message"] = _(
                "Not passed (%(score)s), and you have used all your attempts. The course page says what happens next."
            ) % {"score": percent_text(result.attempt.score)}
        else:
            body["message"] = _(
                "Not passed (%(score)s). The course page says when you can try again; a new try starts from the beginning."
            ) % {"score": percent_text(result.attempt.score)}
    elif result.finished:
        body["message"] = _("You have finished this module.")
    return body


@login_required
@require_POST
def commit(request, assignment_pk: int, item_pk: int):
    """What the content committed, as JSON: {"run": n, "session": id, "elapsed": seconds,
    "cmi": {"cmi.element": "value"}}. 400 with a message (nothing written) for a bad body."""
    assignment = assignment_get_for_learner(user=request.user, pk=assignment_pk)
    item = get_object_or_404(
        ScormItem.objects.select_related("package", "package__quiz"),
        pk=item_pk,
        package__course_id=assignment.course_id,
    )
    try:
        length = int(request.META.get("CONTENT_LENGTH") or 0)
    except ValueError:
        length = 0
    if length > MAX_COMMIT_BYTES:
        return JsonResponse({"error": _("The data sent is too large. Nothing was recorded.")}, status=400)
    try:
        body = json.loads(request.body.decode("utf-8"))
    except (UnicodeDecodeError, ValueError):
        return JsonResponse({"error": _("The data sent is not JSON. Nothing was recorded.")}, status=400)
    if not isinstance(body, dict) or not isinstance(body.get("run"), int) or isinstance(body.get("run"), bool):
        return JsonResponse({"error": _("The data sent has no run number. Nothing was recorded.")}, status=400)
    try:
        result = runtime_commit(
            assignment=assignment,
            item=item,
            run=body["run"],
            session=body.get("session"),
            seq=body.get("seq", 0),
            elapsed=body.get("elapsed"),
            data=body.get("cmi"),
        )
    except ValidationError as error:
        return JsonResponse({"error": " ".join(error.messages)}, status=400)
    return JsonResponse(_result_json(result))


@xframe_options_sameorigin
@login_required
@require_GET
def content_file(request, package_uuid: str, path: str):
    """A file of a package, same-origin mode: for the signed-in person who may open it."""
    package = content.package_by_uuid(package_uuid)
    if content.content_origin() or not content.may_open(user=request.user, package=package):
        raise Http404
    return content.serve_file(package=package, path=path, frame_ancestors=["'self'"])


def _token_user(payload: dict):
    user = get_user_model().objects.filter(pk=payload["u"], is_active=True).first()
    if user is None:
        raise Http404
    return user


@xframe_options_exempt  # frame-ancestors names both frames' origins; SAMEORIGIN would refuse the player
@require_GET
def content_file_by_token(request, token: str, path: str):
    """A file of a package, separate-origin mode: the launch token names the person and package.
    The file sits in the launch page (this origin) inside the player (the site's origin, in the
    token): frame-ancestors applies to every ancestor, so it names both."""
    payload = content.read_token(token)
    package = content.package_by_uuid(payload["p"])
    if not content.may_open(user=_token_user(payload), package=package):
        raise Http404
    return content.serve_file(package=package, path=path, frame_ancestors=["'self'", payload["o"]])


@xframe_options_exempt  # framed by the player on the main origin: frame-ancestors names it
@require_GET
def launch_page(request, token: str, item_pk: int):
    """The content origin's launch page: a stand-in run-time API next to the content, relaying
    every call to the player page by postMessage (static/js/scorm-launch.js)."""
    payload = content.read_token(token)
    package = content.package_by_uuid(payload["p"])
    if not content.may_open(user=_token_user(payload), package=package):
        raise Http404
    item = get_object_or_404(ScormItem, pk=item_pk, package=package, is_sco=True)
    sco_url = reverse("scorm_content_token", args=[token, item.launch_path]) + (
        f"?{item.parameters.lstrip('?')}" if item.parameters else ""
    )
    response = render(
        request,
        "scorm_runtime/launch.html",
        {"sco_url": sco_url, "parent_origin": payload["o"], "version": package.scorm_version, "title": item.title},
    )
    response["Content-Security-Policy"] = (
        f"default-src 'self'; script-src 'self'; style-src 'self'; frame-src 'self'; "
        f"frame-ancestors {payload['o']}; object-src 'none'; base-uri 'self'; form-action 'none'"
    )
    response["Referrer-Policy"] = "no-referrer"
    response["X-Content-Type-Options"] = "nosniff"
    response._csp_exempt = True
    return response
