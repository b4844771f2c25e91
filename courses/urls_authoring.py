"""Course authoring for admins, mounted at /courses/authoring/."""

from __future__ import annotations

from django.urls import include, path

from courses.views import authoring as views
from courses.views import preview

urlpatterns = [
    path("", views.course_list, name="authoring_course_list"),
    path("new/", views.course_create, name="authoring_course_create"),
    path("import/", views.course_import, name="authoring_course_import"),
    # SCORM packages as a new course or as a module of one (courses.scorm, issue 15).
    path("", include("courses.scorm.urls")),
    # Translations of the course's texts and the translators' files (courses.translations, issue 16).
    path("", include("courses.translations.urls_authoring")),
    path("<int:pk>/", views.course_detail, name="authoring_course_detail"),
    path("<int:pk>/edit/", views.course_edit, name="authoring_course_edit"),
    path("<int:pk>/publish/", views.course_publish, name="authoring_course_publish"),
    path("<int:pk>/unpublish/", views.course_unpublish, name="authoring_course_unpublish"),
    path("<int:pk>/new-version/", views.course_new_version, name="authoring_course_new_version"),
    path("<int:pk>/export/", views.course_export, name="authoring_course_export"),
    # The learner's view of a course, recording nothing (courses/views/preview.py).
    path("<int:pk>/preview/", preview.course_preview, name="authoring_course_preview"),
    path("<int:pk>/preview/modules/<int:module_pk>/", preview.module_preview, name="authoring_course_preview_module"),
    path(
        "<int:pk>/preview/resources/<int:resource_pk>/",
        preview.resource_preview,
        name="authoring_course_preview_resource",
    ),
    path("<int:pk>/preview/quizzes/<int:quiz_pk>/", preview.quiz_preview, name="authoring_course_preview_quiz"),
    path("<int:course_pk>/modules/new/", views.module_edit, name="authoring_module_create"),
    path("<int:course_pk>/modules/<int:pk>/", views.module_edit, name="authoring_module_edit"),
    path("<int:course_pk>/modules/<int:pk>/move/<str:direction>/", views.module_move, name="authoring_module_move"),
    path("<int:course_pk>/modules/<int:pk>/delete/", views.module_delete, name="authoring_module_delete"),
    path("<int:course_pk>/resources/new/", views.resource_edit, name="authoring_resource_create"),
    path("<int:course_pk>/resources/<int:pk>/", views.resource_edit, name="authoring_resource_edit"),
    path("<int:course_pk>/resources/<int:pk>/delete/", views.resource_delete, name="authoring_resource_delete"),
    path("<int:course_pk>/quizzes/new/", views.quiz_edit, name="authoring_quiz_create"),
    path("<int:course_pk>/quizzes/<int:pk>/", views.quiz_edit, name="authoring_quiz_edit"),
    path("<int:course_pk>/quizzes/<int:pk>/delete/", views.quiz_delete, name="authoring_quiz_delete"),
    path(
        "<int:course_pk>/quizzes/<int:quiz_pk>/questions/new/",
        views.question_edit,
        name="authoring_question_create",
    ),
    path(
        "<int:course_pk>/quizzes/<int:quiz_pk>/questions/<int:pk>/",
        views.question_edit,
        name="authoring_question_edit",
    ),
    path(
        "<int:course_pk>/quizzes/<int:quiz_pk>/questions/<int:pk>/delete/",
        views.question_delete,
        name="authoring_question_delete",
    ),
]
