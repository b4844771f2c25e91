from django.urls import include, path

urlpatterns = [
    # Admin side: authoring, publishing, course package import/export. (The learner's side of a
    # course, the player, is the assignments app's: it lives on /courses/learn/, see lms/urls.py.)
    path("authoring/", include("courses.urls_authoring")),
]
