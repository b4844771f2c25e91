"""SCORM import pages, mounted under /courses/authoring/ (courses.urls_authoring)."""

from __future__ import annotations

from django.urls import path

from courses.scorm import views

urlpatterns = [
    path("scorm/import/", views.import_course, name="scorm_import_course"),
    path("<int:course_pk>/scorm/import/", views.import_module, name="scorm_import_module"),
]
