"""A course package nested far deeper than any package is refused with a message, never a
RecursionError: on upload, by ``import_course`` and by ``package_loads`` (issue 12 item 10).

Replays two faults reported elsewhere: a bare run of ``[`` (Liquid4All/ifstruct#5, a RecursionError
escaping a parser that promised a parse error), and a depth the interpreter happens to parse
(influxdata/influxdb3_plugins#169: Python 3.14 reads 100,000 levels, so a limit that is only the
interpreter's RecursionError moves with the Python release); the limit here is explicit.
"""

from __future__ import annotations

import json
from pathlib import Path

import pytest
from django.core.exceptions import ValidationError
from django.core.files.uploadedfile import SimpleUploadedFile
from django.core.management import CommandError, call_command
from django.urls import reverse

from courses.models import Course
from courses.services.packages import MAX_NESTING, package_loads
from lms.tests.factories import AdminFactory

pytestmark = pytest.mark.django_db

MESSAGE = "The file is not a valid course package: its arrays and objects are nested too deeply."
DEEP_ARRAY = b"[" * 100_000 + b"]" * 100_000
DEEP_OBJECT = b'{"course":' * 100_000 + b"1" + b"}" * 100_000
HS_101 = Path(__file__).resolve().parent.parent / "packages" / "HS-101.json"


@pytest.mark.parametrize(
    "content",
    [DEEP_ARRAY, DEEP_OBJECT, b"[" * 10_000, b"[" * (MAX_NESTING + 1) + b"]" * (MAX_NESTING + 1)],
    ids=["100000-arrays", "100000-objects", "unclosed-brackets", "one-level-past-the-limit"],
)
def test_a_package_nested_too_deeply_is_refused_with_a_message(content):
    with pytest.raises(ValidationError) as refused:
        package_loads(content)

    assert refused.value.messages == [MESSAGE]


def test_json_inside_the_nesting_limit_still_parses():
    deepest: list = []
    for _ in range(MAX_NESTING - 1):
        deepest = [deepest]

    assert package_loads(b"[" * MAX_NESTING + b"]" * MAX_NESTING) == deepest
    assert package_loads(HS_101.read_bytes())["course"]["code"] == "HS-101"


def test_uploading_a_package_nested_100000_levels_deep_shows_the_message_and_imports_nothing(client):
    client.force_login(AdminFactory())

    response = client.post(
        reverse("authoring_course_import"),
        {"package": SimpleUploadedFile("deep.json", DEEP_ARRAY, content_type="application/json")},
    )

    assert response.status_code == 200
    assert MESSAGE in response.content.decode()
    assert not Course.objects.exists()


def test_import_course_refuses_a_deeply_nested_package_without_a_traceback(tmp_path):
    path = tmp_path / "deep.json"
    path.write_bytes(DEEP_OBJECT)

    with pytest.raises(CommandError) as refused:
        call_command("import_course", str(path))

    assert str(refused.value) == f"Nothing was imported:\n  - {MESSAGE}"
    assert not Course.objects.exists()


def test_a_deeply_nested_value_inside_a_real_package_is_refused():
    package = json.loads(HS_101.read_text(encoding="utf-8"))
    nested: list = []
    for _ in range(MAX_NESTING):
        nested = [nested]
    package["modules"][0]["body"] = nested

    with pytest.raises(ValidationError) as refused:
        package_loads(json.dumps(package))

    assert refused.value.messages == [MESSAGE]
