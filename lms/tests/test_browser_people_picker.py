"""Picking people by typing their name, with the keyboard only, in a real browser (issue 13 item 12)."""

from __future__ import annotations

import re

import pytest
from playwright.sync_api import Page, expect

from assignments.models import Assignment, Exemption
from courses.tests.factories import CourseFactory
from lms.models import User
from lms.tests.factories import AdminFactory, UserFactory
from lms.tests.test_browser import log_in

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]


def test_an_admin_assigns_two_people_found_by_typing_with_the_keyboard(page: Page, live_server):
    AdminFactory(email="admin@example.com")
    course = CourseFactory(title="Fire safety")
    lee = UserFactory(first_name="Lee", last_name="Learner")
    sam = UserFactory(first_name="Sam", last_name="Porter", employee_id="E0042")
    User.objects.bulk_create(
        User(email=f"staff{n}@example.com", first_name="Lee", last_name=f"Staff{n}", password="!") for n in range(300)
    )

    log_in(page, live_server, "admin@example.com")
    page.goto(f"{live_server.url}/assignments/assign/")
    page.get_by_label("Course").select_option(label=f"{course.code} · {course.title}")

    # the Learners field is a combobox a screen reader names by its label; nobody is listed up front
    learners = page.get_by_role("combobox", name="Learners")
    expect(learners).to_be_visible()
    assert page.locator("#id_learners option").count() == 0
    learners.focus()
    page.keyboard.type("Lee Lea")
    expect(page.get_by_role("option", name=f"Lee Learner <{lee.email}>")).to_be_visible()
    expect(page.locator(".ts-dropdown").get_by_role("option")).to_have_count(1)
    page.keyboard.press("Enter")
    page.keyboard.type("E0042")
    expect(page.get_by_role("option", name=f"Sam Porter <{sam.email}> · E0042")).to_be_visible()
    page.keyboard.press("Enter")
    page.keyboard.press("Escape")
    page.get_by_role("button", name="Assign", exact=True).click()

    expect(page.get_by_test_id("assign-summary")).to_contain_text("2 learners assigned")
    assert set(Assignment.objects.filter(course=course).values_list("learner_id", flat=True)) == {lee.pk, sam.pk}


def test_the_exemption_picker_scrolls_to_more_people_and_picks_one(page: Page, live_server):
    AdminFactory(email="admin@example.com")
    User.objects.bulk_create(
        User(email=f"lee{n:03d}@example.com", first_name="Lee", last_name=f"Staff{n:03d}", password="!")
        for n in range(45)
    )
    log_in(page, live_server, "admin@example.com")
    page.goto(f"{live_server.url}/assignments/exemptions/")
    learner = page.locator("#id_learner-ts-control")  # the hidden <select> is a named combobox too
    learner.focus()
    page.keyboard.type("Lee")
    expect(page.get_by_role("option", name="Lee Staff000 <lee000@example.com>")).to_be_visible()
    # 20 a page: scrolling to the end of the list loads the next page
    page.get_by_role("option", name="Lee Staff019 <lee019@example.com>").scroll_into_view_if_needed()
    expect(page.get_by_role("option", name="Lee Staff039 <lee039@example.com>")).to_be_attached()
    learner.fill("Staff044")
    expect(page.get_by_role("option", name="Lee Staff044 <lee044@example.com>")).to_be_visible()
    page.keyboard.press("Enter")
    page.get_by_label("Reason").select_option(index=1)
    page.get_by_role("button", name="Grant exemption").click()
    expect(page.get_by_role("cell", name="Lee Staff044").first).to_be_visible()
    assert Exemption.objects.get().learner.email == "lee044@example.com"


def test_enter_picks_the_best_match_not_a_name_that_merely_contains_the_words(page: Page, live_server):
    # given Eileen Knight, whose name contains "lee" and whose email "learner", sorts before Lee
    AdminFactory(email="admin@example.com")
    UserFactory(first_name="Eileen", last_name="Knight", email="learner.36@example.com")
    lee = UserFactory(first_name="Lee", last_name="Learner", email="lee.learner@example.com")
    log_in(page, live_server, "admin@example.com")

    # when "Lee Learner" is typed and Enter pressed as soon as the results show
    page.goto(f"{live_server.url}/assignments/exemptions/")
    learner = page.locator("#id_learner-ts-control")  # the hidden <select> is a named combobox too
    learner.focus()
    page.keyboard.type("Lee Learner")
    options = page.locator(".ts-dropdown").get_by_role("option")
    expect(options).to_have_count(2)
    # then the best match is first and the one highlighted
    expect(options.first).to_have_text(f"Lee Learner <{lee.email}>")
    expect(options.first).to_have_class(re.compile(r"\bactive\b"))
    page.keyboard.press("Enter")
    page.get_by_label("Reason").select_option(index=1)
    page.get_by_role("button", name="Grant exemption").click()
    expect(page.get_by_role("cell", name="Lee Learner").first).to_be_visible()
    assert Exemption.objects.get().learner == lee


def test_enter_pressed_before_the_results_arrive_picks_the_best_match_for_the_whole_text(page: Page, live_server):
    # given Eileen Knight first among the results for "Lee" on screen
    AdminFactory(email="admin@example.com")
    UserFactory(first_name="Eileen", last_name="Knight", email="learner.36@example.com")
    lee = UserFactory(first_name="Lee", last_name="Learner", email="lee.learner@example.com")
    course = CourseFactory(title="Fire safety")
    log_in(page, live_server, "admin@example.com")
    page.goto(f"{live_server.url}/assignments/assign/")
    page.get_by_label("Course").select_option(label=f"{course.code} · {course.title}")
    learners = page.get_by_role("combobox", name="Learners")
    learners.focus()
    page.keyboard.type("ee")
    expect(page.get_by_role("option", name="Eileen Knight <learner.36@example.com>")).to_be_visible()
    # when the rest of the name is typed and Enter pressed at once, before the search answers
    page.keyboard.press("Control+A")
    page.keyboard.type("Lee Learner")
    page.keyboard.press("Enter")
    # then Lee is chosen once the answer comes, and the form was not sent meanwhile
    chosen = page.locator(".ts-control .item")
    expect(chosen).to_have_count(1)
    expect(chosen).to_contain_text(f"Lee Learner <{lee.email}>")
    assert page.url.endswith("/assignments/assign/")
    page.keyboard.press("Escape")
    page.get_by_role("button", name="Assign", exact=True).click()
    expect(page.get_by_test_id("assign-summary")).to_contain_text("1 learner assigned")
    assert list(Assignment.objects.filter(course=course).values_list("learner_id", flat=True)) == [lee.pk]
