"""The SCORM player, mounted at /courses/learn/ next to the course player (lms/urls.py)."""

from __future__ import annotations

from django.urls import path

from assignments.scorm_runtime import preview, views

urlpatterns = [
    path("<int:assignment_pk>/scorm/<int:module_pk>/", views.player, name="scorm_player"),
    path("<int:assignment_pk>/scorm/items/<int:item_pk>/commit/", views.commit, name="scorm_commit"),
    # An admin's preview of a course's SCORM module: the player, nothing recorded (issue 15).
    path("preview/<int:course_pk>/scorm/<int:module_pk>/", preview.scorm_preview, name="scorm_preview"),
]
