from django.urls import include, path

urlpatterns = [
    # Learner side: course player, quizzes, attempts, results.
    path("learn/", include("courses.urls_player")),
    # Admin side: authoring, publishing, course package import/export.
    path("authoring/", include("courses.urls_authoring")),
]
