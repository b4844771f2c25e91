"""The SCORM player, mounted at /courses/learn/ next to the course player (lms/urls.py)."""

from __future__ import annotations

from django.urls import path

from assignments.scorm_runtime import views

urlpatterns = [
    path("<int:assignment_pk>/scorm/<int:module_pk>/", views.player, name="scorm_player"),
    path("<int:assignment_pk>/scorm/items/<int:item_pk>/commit/", views.commit, name="scorm_commit"),
]
