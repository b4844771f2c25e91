"""Package files (/scorm-content/) and the content origin's launch page (/scorm-launch/), mounted
at the site's root (lms/urls.py); assignments.scorm_runtime.content says who may open them."""

from __future__ import annotations

from django.urls import path

from assignments.scorm_runtime import views
from assignments.scorm_runtime.content import on_content_origin

urlpatterns = [
    # The token route first: "t" is not a package's name (those are 32 hex digits).
    path(
        "scorm-content/t/<str:token>/<path:path>",
        on_content_origin(views.content_file_by_token),
        name="scorm_content_token",
    ),
    path("scorm-content/<str:package_uuid>/<path:path>", views.content_file, name="scorm_content"),
    path("scorm-launch/<str:token>/<int:item_pk>/", on_content_origin(views.launch_page), name="scorm_launch"),
]
