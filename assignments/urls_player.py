"""The learner's course player, mounted at /courses/learn/ (lms/urls.py)."""

from __future__ import annotations

from django.urls import path

from assignments.views import files, player

urlpatterns = [
    path("<int:assignment_pk>/", player.course_overview, name="player_course"),
    path("<int:assignment_pk>/language/", player.course_language, name="player_language"),
    path("<int:assignment_pk>/modules/<int:module_pk>/", player.module_detail, name="player_module"),
    path(
        "<int:assignment_pk>/modules/<int:module_pk>/watched/",
        files.module_video_watched,
        name="player_module_video_watched",
    ),
    path("files/<str:owner>/<int:pk>/<str:part>/", files.course_file, name="course_file"),
    path("<int:assignment_pk>/resources/<int:resource_pk>/", player.resource_detail, name="player_resource"),
    path("<int:assignment_pk>/quizzes/<int:quiz_pk>/start/", player.quiz_start, name="player_quiz_start"),
    path("attempts/<int:attempt_pk>/", player.attempt_take, name="player_attempt"),
    path("attempts/<int:attempt_pk>/answers/", player.attempt_answer_save_view, name="player_attempt_answer"),
    path("attempts/<int:attempt_pk>/result/", player.attempt_result, name="player_result"),
]
