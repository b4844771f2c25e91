"""The player in the learner's language (issue 16): a course with a complete translation is read,
taken and reviewed in it; the learner can switch; the score never depends on the language."""

from __future__ import annotations

import pytest
from django.urls import reverse

from assignments.models import Attempt
from assignments.services.attempts import attempt_start, attempt_submit
from courses.models import Choice
from courses.tests.factories import AssignmentFactory, answers_for, make_course
from courses.tests.test_player import form_data, start_via_view
from courses.translations.tests.factories import translate_all
from lms.tests.factories import UserFactory

pytestmark = pytest.mark.django_db

# A Spanish learner's home with translated courses: the page's own reads, plus the cards' languages
# (the translations in the learner's languages, one query; the learner texts they must cover, one
# per learner-content kind: six) and the titles in them (one), whatever the number of cards.
EXPECTED_HOME_QUERIES_TRANSLATED = 22


def spanish_course(**kwargs):
    course = make_course(questions=3, modules=2, max_attempts=3, description="What it covers", **kwargs)
    translate_all(course, "es", prefix="ES ")
    return course


def client_for(client, learner):
    client.force_login(learner)
    return client


def test_a_spanish_learner_reads_takes_and_reviews_the_course_in_spanish(client):
    course = spanish_course()
    assignment = AssignmentFactory(course=course, learner=UserFactory(locale="es"))
    client_for(client, assignment.learner)
    module = course.modules.order_by("order").first()

    page = client.get(reverse("player_course", args=[assignment.pk])).content.decode()
    assert f"ES {course.title}" in page and "ES What it covers" in page
    assert 'data-testid="course-content" lang="es" dir="ltr"' in page
    assert f"ES {module.title}" in page
    module_page = client.get(reverse("player_module", args=[assignment.pk, module.pk])).content.decode()
    assert f"<p>ES </p>{module.body}" in module_page

    attempt = start_via_view(client, assignment)
    assert attempt.language == "es"
    attempt_page = client.get(reverse("player_attempt", args=[attempt.pk])).content.decode()
    first = attempt.layout[0]
    question_text = course.quizzes.get().questions.get(pk=first["q"]).text
    assert f"ES {question_text}" in attempt_page
    assert all(f"ES {c.text}" in attempt_page for c in Choice.objects.filter(question_id=first["q"]))

    wrong = {first["q"]}
    client.post(reverse("player_attempt", args=[attempt.pk]), form_data(attempt, answers_for(attempt, wrong=wrong)))
    attempt.refresh_from_db()
    assert (str(attempt.score), attempt.passed) == ("66.66", False)  # the same as in English
    result = client.get(reverse("player_result", args=[attempt.pk])).content.decode()
    assert "ES Because the policy says so." in result
    assert "ES See the module." in result  # the chosen wrong choice's feedback


def test_the_score_is_the_same_in_every_language(client):
    course = spanish_course()
    english = AssignmentFactory(course=course, learner=UserFactory(locale="en-gb"))
    spanish = AssignmentFactory(course=course, learner=UserFactory(locale="es"))
    scores = []
    for assignment in (english, spanish):
        client_for(client, assignment.learner)
        attempt = start_via_view(client, assignment)
        client.post(
            reverse("player_attempt", args=[attempt.pk]),
            form_data(attempt, answers_for(attempt, wrong={attempt.layout[0]["q"]})),
        )
        attempt.refresh_from_db()
        scores.append((attempt.language, attempt.score, attempt.passed))
    assert [s[1:] for s in scores] == [scores[0][1:]] * 2
    assert [s[0] for s in scores] == ["en-gb", "es"]


def test_the_learner_switches_language_on_the_course_page_and_it_is_remembered(client):
    course = spanish_course()
    assignment = AssignmentFactory(course=course, learner=UserFactory(locale="en-gb"))
    client_for(client, assignment.learner)
    page = client.get(reverse("player_course", args=[assignment.pk])).content.decode()
    assert 'lang="en-gb"' in page and f"ES {course.title}" not in page
    assert '<option value="es" lang="es">Español</option>' in page

    response = client.post(reverse("player_language", args=[assignment.pk]), {"language": "es"})
    assert response.url == reverse("player_course", args=[assignment.pk])
    page = client.get(reverse("player_course", args=[assignment.pk])).content.decode()
    assert f"ES {course.title}" in page and 'data-testid="course-content" lang="es"' in page
    assert start_via_view(client, assignment).language == "es"


def test_a_language_the_course_does_not_offer_is_refused_with_a_message(client):
    course = spanish_course()
    assignment = AssignmentFactory(course=course, learner=UserFactory(locale="en-gb"))
    client_for(client, assignment.learner)
    response = client.post(reverse("player_language", args=[assignment.pk]), {"language": "de"}, follow=True)
    assert "This course can be read in: English (UK), Español." in response.content.decode()
    assert "course_language" not in client.session


def test_an_incomplete_translation_is_not_offered(client):
    course = spanish_course()
    course.text_translations.filter(kind="choice").first().delete()
    assignment = AssignmentFactory(course=course, learner=UserFactory(locale="es"))
    client_for(client, assignment.learner)
    page = client.get(reverse("player_course", args=[assignment.pk])).content.decode()
    assert f"ES {course.title}" not in page and 'lang="en-gb"' in page
    assert 'data-testid="course-language"' not in page
    assert start_via_view(client, assignment).language == "en-gb"


def test_another_learner_cannot_set_the_language_of_an_assignment(client):
    assignment = AssignmentFactory(course=spanish_course())
    client_for(client, UserFactory())
    assert client.post(reverse("player_language", args=[assignment.pk]), {"language": "es"}).status_code == 404


def test_an_open_attempt_keeps_the_language_it_was_started_in(client):
    course = spanish_course()
    assignment = AssignmentFactory(course=course, learner=UserFactory(locale="es"))
    client_for(client, assignment.learner)
    attempt = start_via_view(client, assignment)
    client.post(reverse("player_language", args=[assignment.pk]), {"language": "en-gb"})
    page = client.get(reverse("player_attempt", args=[attempt.pk])).content.decode()
    assert 'data-testid="course-content" lang="es"' in page
    assert Attempt.objects.get(pk=attempt.pk).language == "es"


@pytest.mark.parametrize("size", [2, 10])
def test_the_translated_pages_read_a_fixed_number_of_queries(client, size, django_assert_max_num_queries):
    # The same counts with 2 and 10 modules and questions: the overlay is one query per page, the
    # offered languages one per translatable kind plus one (courses.translations.selectors).
    course = make_course(questions=size, modules=size, max_attempts=3, description="What it covers")
    translate_all(course, "es", prefix="ES ")
    assignment = AssignmentFactory(course=course, learner=UserFactory(locale="es"))
    client_for(client, assignment.learner)
    module = course.modules.order_by("order").first()
    with django_assert_max_num_queries(22):
        page = client.get(reverse("player_course", args=[assignment.pk]))
    assert f"ES {course.title}" in page.content.decode()
    with django_assert_max_num_queries(18):
        client.get(reverse("player_module", args=[assignment.pk, module.pk]))
    attempt = start_via_view(client, assignment)
    with django_assert_max_num_queries(17):
        client.get(reverse("player_attempt", args=[attempt.pk]))
    client.post(reverse("player_attempt", args=[attempt.pk]), form_data(attempt, answers_for(attempt, wrong=set())))
    with django_assert_max_num_queries(21):
        client.get(reverse("player_result", args=[attempt.pk]))


@pytest.mark.parametrize("target", ["home", "player_course", "evil", "https://evil.example/", "//evil.example"])
def test_a_next_that_is_not_a_path_on_this_site_goes_back_to_the_course(client, target):
    # The hostile-input sweep: a bare word in "next" made redirect() look for a view of that name (500).
    learner = UserFactory()
    assignment = AssignmentFactory(course=make_course(questions=1), learner=learner)
    client.force_login(learner)
    response = client.post(reverse("player_language", args=[assignment.pk]), {"language": "xx", "next": target})
    assert response.status_code == 302 and response["Location"] == reverse("player_course", args=[assignment.pk])


def test_an_english_course_on_an_arabic_page_does_not_turn_the_page_left_to_right(client):
    # Outside eyes (issue 16): the wrapper marked every word under the breadcrumb as English, left to
    # right, the Arabic interface included; now it is marked only where both run the same way.
    course = make_course(questions=1)
    assignment = AssignmentFactory(course=course, learner=UserFactory(locale="ar"))
    client_for(client, assignment.learner)
    page = client.get(reverse("player_course", args=[assignment.pk])).content.decode()
    assert '<html lang="ar" dir="rtl"' in page
    assert 'data-testid="course-content">' in page and 'dir="ltr"' not in page


def test_the_home_names_each_course_in_the_language_the_learner_takes_it_in(client):
    # The card follows the course page (the learner's language, or the one they chose); the
    # completed-training list follows the language each attempt was taken in.
    spanish = spanish_course(title="Fire safety")
    chosen = spanish_course(title="Data protection")
    english_only = make_course(title="Manual handling")
    learner = UserFactory(locale="es")
    AssignmentFactory(course=spanish, learner=learner)
    switched = AssignmentFactory(course=chosen, learner=learner)
    AssignmentFactory(course=english_only, learner=learner)
    passed = spanish_course(title="Ladder safety")
    taken = AssignmentFactory(course=passed, learner=learner)
    attempt = attempt_start(assignment=taken, quiz=passed.final_quiz, language="es")
    attempt_submit(attempt=attempt, answers=answers_for(attempt))
    client_for(client, learner)
    client.post(reverse("player_language", args=[switched.pk]), {"language": chosen.language})

    page = client.get(reverse("home")).content.decode()

    assert ">ES Fire safety</a>" in page
    assert ">Data protection</a>" in page and "ES Data protection" not in page
    assert ">Manual handling</a>" in page
    assert "ES Ladder safety <span" in page


def test_the_training_history_names_each_course_as_the_home_page_does(client):
    # Outside eyes: the history page named a course taken in Spanish in English.
    spanish = spanish_course(title="Fire safety")
    english_only = make_course(title="Manual handling")
    learner = UserFactory(locale="es")
    AssignmentFactory(course=spanish, learner=learner)
    AssignmentFactory(course=english_only, learner=learner)
    passed = spanish_course(title="Ladder safety")
    taken = AssignmentFactory(course=passed, learner=learner)
    attempt = attempt_start(assignment=taken, quiz=passed.final_quiz, language="es")
    attempt_submit(attempt=attempt, answers=answers_for(attempt))
    client_for(client, learner)

    page = client.get("/assignments/history/").content.decode()

    assert "ES Fire safety" in page and "ES Ladder safety" in page
    assert "Manual handling" in page
    assert ">Fire safety" not in page and ">Ladder safety" not in page


@pytest.mark.parametrize("size", [1, 4])
def test_the_home_reads_the_cards_languages_in_a_fixed_number_of_queries(client, size, django_assert_num_queries):
    learner = UserFactory(locale="es")
    for index in range(size):
        AssignmentFactory(course=spanish_course(title=f"Course {index}"), learner=learner)
    client_for(client, learner)
    client.get(reverse("home"))  # the session and the caches

    with django_assert_num_queries(EXPECTED_HOME_QUERIES_TRANSLATED):
        page = client.get(reverse("home")).content.decode()

    assert all(f">ES Course {index}</a>" in page for index in range(size))
