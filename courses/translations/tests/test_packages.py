"""Course packages carry the course language and its translations, by stable references, and
round-trip exactly; packages written before either still import."""

from __future__ import annotations

import copy
import json
from pathlib import Path

import pytest
from django.core.exceptions import ValidationError

from courses.models import Choice, Module, Question
from courses.services.authoring import course_import_package, course_new_version, course_publish
from courses.services.packages import course_export_package, package_problems
from courses.tests.factories import make_course
from courses.translations.models import TextTranslation
from courses.translations.selectors import available_languages, translation_status
from courses.translations.tests.factories import translate_all

pytestmark = pytest.mark.django_db

PACKAGES = Path(__file__).resolve().parents[2] / "packages"


def load(name: str = "GDPR-101") -> dict:
    return json.loads((PACKAGES / f"{name}.json").read_text(encoding="utf-8"))


def test_a_translated_course_round_trips_exactly_with_refs_not_ids():
    course = make_course(questions=3, modules=2, language="en-gb", description="What it covers")
    translate_all(course, "fr")
    # One French text outdated: it stays outdated through the round trip; Spanish is current.
    module = course.modules.order_by("order").first()
    Module.objects.filter(pk=module.pk).update(title="Renamed")
    course.refresh_from_db()
    translate_all(course, "es")
    package = course_export_package(course=course)

    assert package["course"]["language"] == "en-gb"
    assert list(package["translations"]) == ["fr", "es"]
    refs = {entry["ref"] for entry in package["translations"]["es"]}
    assert {"course", f"module:{module.key}", "quiz:0", "question:0.2", "choice:0.2.1"} <= refs
    assert {ref for ref in refs if ref.startswith("module:")} == {f"module:{m.key}" for m in course.modules.all()}

    package["course"]["version"] = 2
    imported = course_import_package(package=copy.deepcopy(package))

    assert course_export_package(course=imported) == package
    assert available_languages(imported) == ["es"]
    assert translation_status(imported)["fr"].outdated == 1
    assert (
        TextTranslation.objects.filter(course=imported).count() == TextTranslation.objects.filter(course=course).count()
    )


def test_a_package_without_language_or_translations_still_imports():
    package = load("HS-101")
    del package["course"]["language"]
    del package["translations"]
    assert package_problems(package) == []
    course = course_import_package(package=package)
    assert course.language == "en-gb"
    assert not course.text_translations.exists()


def test_a_hand_written_translation_without_digest_translates_the_package_text():
    package = load("HS-101")
    package["course"]["language"] = "fr"
    package["course"]["version"] = 7
    package["translations"] = {
        "es": [{"ref": "module:" + package["modules"][0]["key"], "field": "title", "text": "Hola"}]
    }
    course = course_import_package(package=package)
    assert course.language == "fr"
    status = translation_status(course)["es"]
    assert (status.translated, status.outdated) == (1, 0)
    assert course_export_package(course=course)["translations"]["es"][0]["source_digest"]


@pytest.mark.parametrize(
    ("translations", "problem"),
    [
        ({"xx": []}, "translations.xx: is not one of this site's languages"),
        ({"en-gb": []}, "translations.en-gb: is the course's own language"),
        (
            {"es": [{"ref": "module:nowhere", "field": "title", "text": "x"}]},
            "translations.es[0].ref: must name a part",
        ),
        ({"es": [{"ref": "quiz:0", "field": "body", "text": "x"}]}, "translations.es[0].field: must be one of title"),
        ({"es": [{"ref": "course", "field": "title", "text": ""}]}, "translations.es[0].text: must not be empty"),
        (
            {"es": [{"ref": "course", "field": "title", "text": "x" * 201}]},
            "translations.es[0].text: must be at most 200",
        ),
        (
            {"es": [{"ref": "course", "field": "title", "text": "x", "source_digest": "abc"}]},
            "translations.es[0].source_digest: must be the SHA-256",
        ),
        ({"es": [{"ref": "course", "field": "title", "text": "x", "id": 4}]}, "translations.es[0].id: is not allowed"),
        (
            {
                "es": [
                    {"ref": "course", "field": "title", "text": "x"},
                    {"ref": "course", "field": "title", "text": "y"},
                ]
            },
            "translations.es[1]: translates course title a second time",
        ),
        ({"es": [{"ref": "choice:0.0.99", "field": "text", "text": "x"}]}, "translations.es[0].ref: must name a part"),
        ([], "translations: must be an object"),
    ],
)
def test_bad_translations_are_refused_by_path_and_import_nothing(translations, problem):
    package = load("HS-101")
    package["translations"] = translations
    problems = package_problems(package)
    assert any(p.startswith(problem) for p in problems), problems
    with pytest.raises(ValidationError):
        course_import_package(package=package)
    assert not TextTranslation.objects.exists()


def test_an_unknown_course_language_is_refused():
    package = load("HS-101")
    package["course"]["language"] = "klingon"
    assert package_problems(package)[0].startswith("course.language: must be one of")


def test_html_translations_must_keep_something_safe():
    package = load("HS-101")
    key = package["modules"][0]["key"]
    package["translations"] = {"es": [{"ref": f"module:{key}", "field": "body", "text": "<iframe src=x></iframe>"}]}
    assert any("has nothing left once unsafe HTML is removed" in p for p in package_problems(package))


def test_a_new_version_keeps_the_translations_and_their_state():
    course = make_course(questions=2, modules=1, status="draft", description="What it covers")
    translate_all(course, "es")
    course_publish(course=course)
    new = course_new_version(course=course)
    assert available_languages(new) == ["es"]
    question = Question.objects.filter(quiz__course=new).first()
    choice = Choice.objects.filter(question=question).first()
    assert TextTranslation.objects.get(course=new, kind="choice", object_id=choice.pk, field="text").text == (
        "[es] " + choice.text
    )
