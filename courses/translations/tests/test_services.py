"""translation_save / translations_save_many / translation_delete: what they refuse, what they record."""

from __future__ import annotations

import pytest
from django.core.exceptions import ValidationError

from courses.models import Choice, Module, Question
from courses.tests.factories import make_course
from courses.translations.models import TextTranslation
from courses.translations.registry import OverlaidContentError
from courses.translations.selectors import digest, overlay_for
from courses.translations.services import TextSave, translation_delete, translation_save, translations_save_many
from lms.models import AuditEntry
from lms.tests.factories import AdminFactory

pytestmark = pytest.mark.django_db


def save(course, **overrides):
    module = course.modules.order_by("order").first()
    arguments = dict(
        course=course, language="es", kind="module", object_id=module.pk, field="title", text="Introducción", by=None
    )
    arguments.update(overrides)
    return translation_save(**arguments)


def test_save_records_the_digest_of_the_main_text_and_the_audit_row():
    course = make_course()
    admin = AdminFactory()
    module = course.modules.order_by("order").first()

    translation = save(course, by=admin)

    assert translation.text == "Introducción"
    assert translation.source_digest == digest(module.title)
    assert translation.translated_by == admin
    entry = AuditEntry.objects.get(object_type="courses.course", object_id=str(course.pk), actor=admin)
    assert entry.changes == {f"translation es module {module.pk} title": [None, "Introducción"]}


def test_save_again_replaces_the_text():
    course = make_course()
    save(course)
    save(course, text="Presentación")
    assert list(TextTranslation.objects.values_list("text", flat=True)) == ["Presentación"]


@pytest.mark.parametrize(
    ("overrides", "field", "message"),
    [
        ({"language": "xx"}, "language", "not one of this site's languages"),
        ({"language": "en-gb"}, "language", "the course's own language"),
        ({"kind": "planet"}, "kind", "not something a course translates"),
        ({"field": "video_url"}, "field", "not a translatable text"),
        ({"text": "   "}, "text", "cannot be empty"),
        ({"text": "x" * 201}, "text", "at most 200 fit"),
        ({"object_id": "abc"}, "object_id", "has no module"),
    ],
)
def test_save_refuses_bad_input_and_changes_nothing(overrides, field, message):
    course = make_course()
    with pytest.raises(ValidationError) as refused:
        save(course, **overrides)
    assert message in " ".join(refused.value.message_dict[field])
    assert not TextTranslation.objects.exists()
    assert not AuditEntry.objects.filter(object_type="courses.course").exists()


def test_save_refuses_an_object_of_another_course():
    course, other = make_course(), make_course()
    foreign_module = other.modules.first()
    foreign_choice = Choice.objects.filter(question__quiz__course=other).first()
    with pytest.raises(ValidationError) as refused:
        save(course, object_id=foreign_module.pk)
    assert "This course has no module number" in refused.value.message_dict["object_id"][0]
    with pytest.raises(ValidationError):
        save(course, kind="choice", object_id=foreign_choice.pk, field="text")
    assert not TextTranslation.objects.exists()


def test_save_refuses_an_empty_main_text():
    course = make_course()
    question = Question.objects.filter(quiz__course=course).first()
    Question.objects.filter(pk=question.pk).update(explanation="")
    with pytest.raises(ValidationError) as refused:
        save(course, kind="question", object_id=question.pk, field="explanation", text="Porque sí.")
    assert "nothing to translate" in refused.value.message_dict["text"][0]


def test_html_fields_are_sanitised_like_the_main_body():
    course = make_course()
    module = course.modules.first()
    translation = save(
        course,
        object_id=module.pk,
        field="body",
        text='<p>Hola</p><meta http-equiv="refresh" content="0;url=https://evil.example"><script>x()</script>',
    )
    assert translation.text == "<p>Hola</p>"


def test_a_booster_translation_belongs_to_the_programme_course():
    from assignments.boosters.tests.factories import make_programme

    course, other = make_course(), make_course()
    programme = make_programme(course)
    question = programme.questions.first()
    translation = save(course, kind="booster_question", object_id=question.pk, field="text", text="¿Pregunta?")
    assert translation.course == course
    with pytest.raises(ValidationError):
        save(other, kind="booster_question", object_id=question.pk, field="text", text="¿Pregunta?")


def test_delete_removes_the_translation_and_is_audited():
    course = make_course()
    translation = save(course)
    assert translation_delete(
        course=course, language="es", kind="module", object_id=translation.object_id, field="title", by=None
    )
    assert not TextTranslation.objects.exists()
    assert AuditEntry.objects.filter(object_type="courses.course", reason="Translation deleted").count() == 1
    assert not translation_delete(
        course=course, language="es", kind="module", object_id=translation.object_id, field="title", by=None
    )


def test_an_overlaid_object_cannot_be_saved():
    course = make_course()
    save(course)
    module = course.modules.order_by("order").first()
    overlay_for(course, "es").apply(module)
    assert module.title == "Introducción"
    with pytest.raises(OverlaidContentError):
        module.save()
    assert Module.objects.get(pk=module.pk).title != "Introducción"


def test_save_many_writes_every_translation_with_its_audit_row_or_refuses_them_all():
    course = make_course(modules=2)
    admin = AdminFactory()
    first, second = course.modules.order_by("order")
    saves = [
        TextSave(kind="module", object_id=first.pk, field="title", text="Uno", source_digest=digest(first.title)),
        TextSave(kind="module", object_id=second.pk, field="title", text="x" * 201, source_digest=digest(second.title)),
    ]

    with pytest.raises(ValidationError) as refused:
        translations_save_many(course=course, language="es", saves=saves, by=admin)

    assert refused.value.message_dict == {"text": ["This translation has 201 characters; at most 200 fit."]}
    assert not TextTranslation.objects.exists()

    saves[1] = TextSave(
        kind="module", object_id=second.pk, field="title", text="<b>Dos</b>", source_digest=digest(second.title)
    )
    rows = translations_save_many(course=course, language="es", saves=saves, by=admin)

    assert [(row.pk is not None, row.text) for row in rows] == [(True, "Uno"), (True, "<b>Dos</b>")]
    assert AuditEntry.objects.filter(object_id=str(course.pk), reason="Translation saved").count() == 2


def test_save_many_refuses_the_courses_own_language():
    course = make_course()
    module = course.modules.first()
    save = TextSave(kind="module", object_id=module.pk, field="title", text="Intro", source_digest=digest(module.title))

    with pytest.raises(ValidationError) as refused:
        translations_save_many(course=course, language=course.language, saves=[save])

    assert list(refused.value.message_dict) == ["language"]
