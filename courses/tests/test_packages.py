from __future__ import annotations

import copy
import json
from pathlib import Path
from types import SimpleNamespace

import pytest
from django.core.exceptions import ValidationError
from django.core.management import CommandError, call_command

from assignments.models import Completion
from courses.models import Choice, Course, LearningResource, Module, Question, Quiz
from courses.services.authoring import course_import_package
from courses.services.packages import course_export_package, package_dumps, package_loads, package_problems
from courses.tests.factories import CompletionFactory
from lms.tests.factories import AdminFactory

pytestmark = pytest.mark.django_db

PACKAGES = sorted((Path(__file__).resolve().parent.parent / "packages").glob("*.json"))
MODELS = (Course, Module, LearningResource, Quiz, Question, Choice)


def load(name: str = "GDPR-101") -> dict:
    return json.loads((PACKAGES[0].parent / f"{name}.json").read_text(encoding="utf-8"))


def row_counts() -> dict[str, int]:
    return {model.__name__: model.objects.count() for model in MODELS}


def test_four_packages_are_shipped():
    assert [path.stem for path in PACKAGES] == ["ABC-201", "GDPR-101", "HS-101", "INFOSEC-101"]


@pytest.mark.parametrize("path", PACKAGES, ids=lambda path: path.stem)
def test_shipped_package_round_trips_exactly(path):
    # given a shipped package
    original = json.loads(path.read_text(encoding="utf-8"))
    assert package_problems(original) == []
    # when it is imported and exported again
    course = course_import_package(package=original)
    exported = course_export_package(course=course)
    # then the export is the same JSON value, and even the same text as the file
    assert exported == original
    assert package_dumps(exported) == path.read_text(encoding="utf-8")


def test_import_keeps_quiz_question_and_choice_order():
    package = load("GDPR-101")
    course = course_import_package(package=package)
    quizzes = list(course.quizzes.order_by("pk"))
    assert [q.kind for q in quizzes] == ["final", "pretest", "module_check"]
    first = quizzes[0].questions.order_by("order").first()
    assert first.text == package["quizzes"][0]["questions"][0]["text"]
    assert [c.text for c in first.choices.order_by("order")] == [
        c["text"] for c in package["quizzes"][0]["questions"][0]["choices"]
    ]
    assert course.status == Course.Status.DRAFT


def test_import_with_publish_publishes():
    course = course_import_package(package=load("HS-101"), publish=True)
    assert course.status == Course.Status.PUBLISHED


def test_new_version_leaves_existing_completions_and_versions_untouched():
    # given version 1, published and completed by a learner
    v1 = course_import_package(package=load("GDPR-101"), publish=True)
    completion = CompletionFactory(course=v1)
    before = Completion.objects.values().get(pk=completion.pk)
    v1_package = course_export_package(course=v1)
    # when version 2 of the same code is imported
    package = load("GDPR-101")
    package["course"]["version"] = 2
    package["course"]["title"] = "Data protection essentials (2027)"
    v2 = course_import_package(package=package)
    # then a new course version exists next to the old one, which is unchanged
    assert (v2.code, v2.version, v2.status) == ("GDPR-101", 2, Course.Status.DRAFT)
    assert Course.objects.filter(code="GDPR-101").count() == 2
    v1.refresh_from_db()
    assert v1.status == Course.Status.PUBLISHED
    assert course_export_package(course=v1) == v1_package
    assert Completion.objects.values().get(pk=completion.pk) == before
    assert Completion.objects.get(pk=completion.pk).course_id == v1.pk


def test_duplicate_code_and_version_is_refused_and_imports_nothing():
    course_import_package(package=load("GDPR-101"))
    before = row_counts()
    with pytest.raises(ValidationError) as caught:
        course_import_package(package=load("GDPR-101"))
    assert caught.value.messages == [
        "course.version: GDPR-101 version 1 already exists; published content is never overwritten."
    ]
    assert row_counts() == before


def test_older_version_than_the_latest_is_refused():
    package = load("HS-101")
    package["course"]["version"] = 3
    course_import_package(package=package)
    package["course"]["version"] = 2
    with pytest.raises(ValidationError) as caught:
        course_import_package(package=package)
    assert caught.value.messages == [
        "course.version: HS-101 already has version 3; a package must bring a newer version."
    ]


def _break(package: dict, path: str, value) -> dict:
    broken = copy.deepcopy(package)
    target = broken
    parts = path.replace("]", "").replace("[", ".").split(".")
    for part in parts[:-1]:
        target = target[int(part)] if part.isdigit() else target[part]
    last = parts[-1]
    if value is KeyError:
        del target[last]
    else:
        target[int(last) if last.isdigit() else last] = value
    return broken


def _no_correct(package):
    broken = copy.deepcopy(package)
    for choice in broken["quizzes"][0]["questions"][3]["choices"]:
        choice["correct"] = False
    return broken


def _two_correct_true_false(package):
    broken = copy.deepcopy(package)
    for choice in broken["quizzes"][0]["questions"][2]["choices"]:
        choice["correct"] = True
    return broken


def _no_correct_multiple(package):
    broken = copy.deepcopy(package)
    for choice in broken["quizzes"][0]["questions"][1]["choices"]:
        choice["correct"] = False
    return broken


def _two_finals(package):
    broken = copy.deepcopy(package)
    broken["quizzes"][1]["kind"] = "final"
    broken["quizzes"][1]["pass_mark"] = None
    return broken


INVALID = [
    (
        "single choice without a correct choice",
        _no_correct,
        "quizzes[0].questions[3].choices: a single-choice question needs exactly one correct choice",
    ),
    (
        "true/false with two correct choices",
        _two_correct_true_false,
        "quizzes[0].questions[2].choices: a true/false question needs exactly one correct choice",
    ),
    (
        "multiple choice without a correct choice",
        _no_correct_multiple,
        "quizzes[0].questions[1].choices: a multiple-choice question needs at least one correct choice",
    ),
    ("two final quizzes", _two_finals, 'quizzes[1].kind: a package has at most one "final" quiz'),
    (
        "unknown objective",
        lambda p: _break(p, "quizzes[0].questions[0].objective", "m9-nowhere"),
        "quizzes[0].questions[0].objective: must be the key of an existing module",
    ),
    (
        "remediation with both links",
        lambda p: _break(p, "quizzes[0].questions[0].remediation.resource", "r-cheatsheet"),
        "quizzes[0].questions[0].remediation: exactly one of module and resource must be set",
    ),
    ("missing key", lambda p: _break(p, "modules[1].title", KeyError), "modules[1].title: is required"),
    ("unknown key", lambda p: _break(p, "course.rules.colour", "red"), "course.rules.colour: is not allowed"),
    (
        "boolean as an integer",
        lambda p: _break(p, "course.rules.pass_mark", True),
        "course.rules.pass_mark: must be an integer",
    ),
    (
        "pass mark out of range",
        lambda p: _break(p, "course.rules.pass_mark", 101),
        "course.rules.pass_mark: must be between 0 and 100",
    ),
    (
        "duplicate key across modules and resources",
        lambda p: _break(p, "resources[0].key", "m1-principles"),
        "resources[0].key: “m1-principles” is used more than once",
    ),
    (
        "http video link",
        lambda p: _break(p, "resources[1].url", "http://example.org/video"),
        "resources[1].url: must be an absolute https:// URL",
    ),
    (
        "cpd points without two decimals",
        lambda p: _break(p, "course.rules.cpd_points", "1.5"),
        'course.rules.cpd_points: must be a string with exactly two decimals, e.g. "1.50"',
    ),
    (
        "fixed date without month and day",
        lambda p: _break(p, "course.rules.expiry_rule", "fixed_date"),
        "course.rules.expiry_rule: a fixed-date expiry needs a month and a day",
    ),
    (
        "quiz without questions",
        lambda p: _break(p, "quizzes[2].questions", []),
        "quizzes[2].questions: needs at least 1 item",
    ),
    (
        "wrong format version",
        lambda p: _break(p, "format_version", 3),
        "format_version: must be 1, or 2 for a package with files (the versions this system reads)",
    ),
]


@pytest.mark.parametrize("name, breaker, expected", INVALID, ids=[case[0] for case in INVALID])
def test_invalid_package_names_the_bad_path_and_imports_nothing(name, breaker, expected):
    # given a valid package with one thing broken
    package = breaker(load("GDPR-101"))
    before = row_counts()
    # when it is imported
    with pytest.raises(ValidationError) as caught:
        course_import_package(package=package)
    # then the problem names the bad item's path and no row was written
    assert expected in caught.value.messages
    assert row_counts() == before


def test_a_package_that_fails_only_on_publish_imports_nothing():
    # given a valid package without a final quiz (allowed as a Draft, not publishable)
    package = load("ABC-201")
    package["quizzes"] = package["quizzes"][1:]
    before = row_counts()
    with pytest.raises(ValidationError) as caught:
        course_import_package(package=package, publish=True)
    assert any("final assessment" in message for message in caught.value.messages)
    assert row_counts() == before


def test_not_json_is_refused_with_a_message():
    with pytest.raises(ValidationError) as caught:
        package_loads(b"{not json")
    assert caught.value.messages[0].startswith("The file is not valid JSON (line 1, column 2")


def test_top_level_must_be_an_object():
    assert package_problems([1, 2]) == ["the package must be a JSON object"]


# Commands


def test_import_course_command_imports_and_publishes(capsys):
    call_command("import_course", str(PACKAGES[0]), "--publish")
    course = Course.objects.get(code="ABC-201", version=1)
    assert course.status == Course.Status.PUBLISHED
    assert "Imported ABC-201 v1 (published)." in capsys.readouterr().out


def test_import_course_command_fails_on_an_invalid_package(tmp_path):
    bad = tmp_path / "bad.json"
    bad.write_text(json.dumps(_no_correct(load("GDPR-101"))), encoding="utf-8")
    with pytest.raises(CommandError) as caught:
        call_command("import_course", str(bad))
    assert "quizzes[0].questions[3].choices: a single-choice question needs exactly one correct choice" in str(
        caught.value
    )
    assert Course.objects.count() == 0


def test_import_course_command_fails_on_a_missing_file(tmp_path):
    with pytest.raises(CommandError, match="Cannot read"):
        call_command("import_course", str(tmp_path / "missing.json"))


def test_import_course_command_fails_on_a_duplicate():
    call_command("import_course", str(PACKAGES[1]))
    with pytest.raises(CommandError, match="already exists"):
        call_command("import_course", str(PACKAGES[1]))
    assert Course.objects.count() == 1


def test_export_course_command_writes_the_latest_version_to_stdout(capsys):
    package = load("INFOSEC-101")
    course_import_package(package=package)
    package["course"]["version"] = 2
    course_import_package(package=package)
    capsys.readouterr()
    call_command("export_course", "INFOSEC-101")
    assert json.loads(capsys.readouterr().out)["course"]["version"] == 2


def test_export_course_command_writes_a_chosen_version_to_a_file(tmp_path):
    package = load("HS-101")
    course_import_package(package=package)
    package["course"]["version"] = 2
    course_import_package(package=package)
    output = tmp_path / "out.json"
    call_command("export_course", "HS-101", "--version", "1", "--output", str(output))
    assert json.loads(output.read_text(encoding="utf-8")) == load("HS-101")


def test_export_course_command_fails_on_an_unknown_course():
    with pytest.raises(CommandError, match="There is no course NOPE-1"):
        call_command("export_course", "NOPE-1")
    with pytest.raises(CommandError, match="There is no version 7 of course NOPE-1"):
        call_command("export_course", "NOPE-1", "--version", "7")


def test_demo_seed_imports_and_publishes_the_packages_once():
    from courses import demo

    # The demo's SCORM course is imported in the admin's name (courses/scorm/demo.py).
    org = SimpleNamespace(admin=AdminFactory())
    created = demo.seed(org=org)
    assert sorted(course.code for course in created) == ["ABC-201", "GDPR-101", "HS-101", "INFOSEC-101", "MH-SCORM-101"]
    assert set(Course.objects.values_list("status", flat=True)) == {Course.Status.PUBLISHED}
    before = row_counts()
    assert demo.seed(org=org) == []
    assert row_counts() == before
