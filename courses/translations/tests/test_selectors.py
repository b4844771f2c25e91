"""What needs translating, each language's status, the languages offered, and the overlay."""

from __future__ import annotations

import pytest

from courses.models import Choice, Module, Question
from courses.tests.factories import make_course
from courses.translations.selectors import (
    available_languages,
    language_for,
    learner_languages,
    overlay_for,
    overlay_whole,
    source_texts,
    translated,
    translation_status,
)
from courses.translations.services import translation_save
from courses.translations.tests.factories import translate_all

pytestmark = pytest.mark.django_db


def test_source_texts_lists_every_non_empty_text_in_display_order():
    course = make_course(questions=2, modules=2, description="What it is about")
    kinds = [(text.kind, text.field) for text in source_texts(course)]
    assert kinds[:2] == [("course", "title"), ("course", "description")]
    assert kinds.count(("module", "title")) == 2
    assert ("choice", "text") in kinds
    first_module = course.modules.order_by("order").first()
    assert next(t for t in source_texts(course) if t.kind == "module").object_id == first_module.pk
    Course = type(course)
    Course.objects.filter(pk=course.pk).update(description="")
    course.refresh_from_db()
    assert ("course", "description") not in [(t.kind, t.field) for t in source_texts(course)]


def test_status_counts_translated_missing_and_outdated():
    course = make_course(questions=1, modules=1)
    total = len(source_texts(course))
    translate_all(course, "fr")
    module = course.modules.get()
    Module.objects.filter(pk=module.pk).update(title="A new title")

    status = translation_status(course)

    assert set(status) == {"fr", "de", "es", "ar"}  # not "en": an en-gb course reads as it is
    assert (status["fr"].total, status["fr"].translated, status["fr"].outdated, status["fr"].missing) == (
        total,
        total - 1,
        1,
        0,
    )
    assert (status["de"].translated, status["de"].missing) == (0, total)
    assert not status["fr"].complete


def test_available_languages_offers_only_complete_and_current_translations():
    course = make_course(questions=2, modules=2)
    translate_all(course, "es")
    translate_all(course, "fr")
    # German: all but one choice.
    translate_all(course, "de")
    course.text_translations.filter(language="de", kind="choice").first().delete()
    assert available_languages(course) == ["fr", "es"]
    assert learner_languages(course) == ["en-gb", "fr", "es"]

    # A changed main text makes its translations outdated: French and Spanish are withdrawn.
    question = Question.objects.filter(quiz__course=course).first()
    Question.objects.filter(pk=question.pk).update(text="A reworded question?")
    assert available_languages(course) == []


def test_booster_texts_do_not_decide_what_learners_are_offered():
    from assignments.boosters.tests.factories import make_programme

    course = make_course(questions=2)
    translate_all(course, "es", learner_content_only=True)
    make_programme(course)
    assert available_languages(course) == ["es"]
    assert translation_status(course)["es"].missing > 0


@pytest.mark.parametrize(
    ("locale", "course_language", "available", "expected"),
    [
        ("es", "en-gb", ["es"], "es"),
        ("es", "en-gb", [], "en-gb"),
        ("en", "en-gb", ["en"], "en"),
        ("en", "en-gb", [], "en-gb"),  # same family: the main language
        ("en-gb", "de", ["en"], "en"),  # no en-gb, an available English
        ("ar", "fr", ["es"], "fr"),
        (None, "fr", ["es"], "fr"),
    ],
)
def test_language_for_follows_the_learner_then_the_family_then_the_course(locale, course_language, available, expected):
    course = make_course(questions=1, modules=1, language=course_language)
    assert language_for(locale, course, available) == expected


def test_overlay_shows_current_translations_and_keeps_main_texts_otherwise():
    course = make_course(questions=2, modules=2)
    translate_all(course, "es", prefix="ES ")
    first, second = course.modules.order_by("order")
    Module.objects.filter(pk=second.pk).update(title="Changed")
    modules = list(course.modules.order_by("order"))
    choices = list(Choice.objects.filter(question__quiz__course=course))
    correct_before = [c.is_correct for c in choices]

    overlay = overlay_for(course, "es")
    overlay.apply(modules, choices, course)

    assert modules[0].title == "ES " + first.title
    assert modules[0].body.startswith("<p>ES </p>")
    assert modules[1].title == "Changed"  # outdated: the main text
    assert modules[1].body.startswith("<p>ES </p>")
    assert all(c.text.startswith("ES ") for c in choices)
    assert [c.is_correct for c in choices] == correct_before
    assert course.title.startswith("ES ")
    assert overlay.text(modules[0], "title") == "ES " + first.title
    assert translated(first, "title", "es") == "ES " + first.title
    assert translated(first, "title", "de") == first.title


def test_the_course_language_needs_no_query(django_assert_num_queries):
    course = make_course(questions=1, modules=1)
    with django_assert_num_queries(0):
        overlay_for(course, "en-gb").apply(course)


@pytest.mark.parametrize("size", [2, 12])
def test_overlay_reads_one_query_whatever_the_size(size, django_assert_num_queries):
    course = make_course(questions=size, modules=size)
    translate_all(course, "es")
    modules = list(course.modules.all())
    questions = list(Question.objects.filter(quiz__course=course).prefetch_related("choices"))
    with django_assert_num_queries(1):
        overlay = overlay_for(course, "es")
        overlay.apply(modules, questions, *[q.choices.all() for q in questions])
    assert all(q.text.startswith("[es] ") for q in questions)


def test_overlay_whole_translates_a_booster_question_only_when_all_of_it_is():
    from assignments.boosters.tests.factories import make_programme

    course = make_course(questions=1)
    programme = make_programme(course, from_quiz=0, written=1)
    question = programme.questions.get()
    choices = list(question.choices.all())
    for field, text in [
        ("text", "¿Pregunta?"),
        ("feedback", "Por qué"),
        ("good_application", "Bloquea"),
        ("resource_title", "Política"),
    ]:
        translation_save(
            course=course, language="es", kind="booster_question", object_id=question.pk, field=field, text=text
        )
    translation_save(
        course=course, language="es", kind="booster_choice", object_id=choices[0].pk, field="text", text="Bien"
    )
    assert not overlay_whole(course.pk, "es", [question, *choices])
    assert question.text == "Written question 0?"
    for choice in choices:
        for field in ("text", "feedback"):
            translation_save(
                course=course,
                language="es",
                kind="booster_choice",
                object_id=choice.pk,
                field=field,
                text=f"ES {field}",
            )
    assert overlay_whole(course.pk, "es", [question, *choices])
    assert question.text == "¿Pregunta?"
    assert {c.text for c in choices} == {"ES text"}
