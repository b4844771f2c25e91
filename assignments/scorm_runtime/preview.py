"""An admin's preview of a SCORM module (issue 15): the learner's player with the run-time API
running, but nothing sent to the server. The player page gets no commit URL and a preview flag, so
static/js/scorm-player.js keeps what the content sets in memory only; no assignment, state,
attempt or completion is read or written. Package files come through the same-origin file route
or the launch page of the content origin, which admins may already open (content.may_open).
Linked from the course preview's module page (templates/courses/preview/module.html)."""

from __future__ import annotations

from django.middleware.csrf import get_token
from django.shortcuts import get_object_or_404, render
from django.urls import reverse
from django.views.decorators.http import require_GET

from assignments.scorm_runtime import content
from assignments.scorm_runtime.selectors import Launch, TocEntry, _cmi_for
from courses.models import Course
from courses.scorm.models import ScormPackage
from lms.fields import parse_id
from lms.permissions import admin_required


def preview_launch_for(*, package: ScormPackage, item_pk: int | None, user) -> Launch:
    """What the preview plays: the asked item, else the first SCO; a fresh run's data for ``user``
    (nothing stored is read; two queries: items and the package's course already loaded)."""
    items = list(package.items.filter(is_visible=True).order_by("order", "pk"))
    chosen = next((item for item in items if item.pk == item_pk), None) if item_pk is not None else None
    if chosen is None:
        chosen = next((item for item in items if item.is_sco), items[0] if items else None)
    toc = [TocEntry(item=item, state=None, current=chosen is not None and item.pk == chosen.pk) for item in items]
    launch = Launch(package=package, run=1, item=chosen, toc=toc)
    if chosen is not None and chosen.is_sco:
        launch.cmi = _cmi_for(package=package, item=chosen, state=None, learner=user, review=False)
    return launch


@admin_required
@require_GET
def scorm_preview(request, course_pk: int, module_pk: int):
    course = get_object_or_404(Course, pk=course_pk)
    package = get_object_or_404(ScormPackage.objects.select_related("module"), module_id=module_pk, course_id=course.pk)
    launch = preview_launch_for(package=package, item_pk=parse_id(request.GET.get("item")), user=request.user)
    item = launch.item
    origin = content.content_origin()
    here = reverse("scorm_preview", args=[course.pk, module_pk])
    config = {
        "version": package.scorm_version,
        "run": launch.run,
        "sco": bool(item is not None and item.is_sco),
        "cmi": launch.cmi,
        "commitUrl": "",
        "preview": True,
        "csrf": get_token(request),
        "contentOrigin": origin,
        "courseUrl": reverse("authoring_course_preview", args=[course.pk]),
        "choiceUrls": {
            entry.item.identifier: f"{here}?item={entry.item.pk}" for entry in launch.toc if entry.item.is_sco
        },
    }
    content_url = ""
    if item is not None:
        if origin:
            token = content.launch_token(
                user=request.user, package=package, parent_origin=content.origin_of(request.build_absolute_uri("/"))
            )
            content_url = origin + reverse("scorm_launch", args=[token, item.pk])
        else:
            content_url = reverse("scorm_content", args=[content.package_uuid(package), item.launch_path]) + (
                f"?{item.parameters.lstrip('?')}" if item.parameters else ""
            )
    context = {
        "course": course,
        "package": package,
        "module": package.module,
        "launch": launch,
        "config": config,
        "content_url": content_url,
    }
    response = render(request, "scorm_runtime/preview.html", context)
    if origin:
        response._csp_update = {"frame-src": ["'self'", origin]}
    return response
