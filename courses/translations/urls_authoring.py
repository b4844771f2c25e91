"""Translation pages for admins, mounted under /courses/authoring/ (courses.urls_authoring)."""

from __future__ import annotations

from django.urls import path

from courses.translations import views

TEXT = "<int:pk>/translations/<str:language>/<str:kind>/<int:object_id>/<str:field>/"

urlpatterns = [
    path("<int:pk>/translations/", views.status, name="authoring_course_translations"),
    path("<int:pk>/translations/export/", views.export, name="authoring_translations_export"),
    path("<int:pk>/translations/import/", views.import_file, name="authoring_translations_import"),
    path(TEXT, views.edit, name="authoring_translation_edit"),
    path(f"{TEXT}delete/", views.delete, name="authoring_translation_delete"),
]
