"""lms.recipients: rendering as one person (their language and zone), and nothing left behind."""

from __future__ import annotations

import zoneinfo

import pytest
from django.utils import timezone, translation

from lms.models import User
from lms.recipients import as_person, direction_of, language_of


@pytest.mark.parametrize(
    ("stored", "language"),
    [("fr", "fr"), ("ar", "ar"), ("en-gb", "en-gb"), ("en", "en"), ("fr-CA", "fr"), ("de_DE", "de"), ("", "en-gb")],
)
def test_a_persons_language_is_the_nearest_the_site_offers(stored, language):
    assert language_of(User(locale=stored)) == language


def test_a_language_the_site_does_not_offer_reads_the_sites_own(settings):
    assert language_of(User(locale="ja")) == settings.LANGUAGE_CODE == "en-gb"


def test_arabic_is_right_to_left_and_the_others_left_to_right():
    assert direction_of("ar") == "rtl"
    assert {direction_of(code) for code in ("en-gb", "en", "fr", "de", "es")} == {"ltr"}


def test_as_person_renders_in_their_language_and_zone_and_restores_the_callers():
    person = User(locale="de", timezone="Asia/Tokyo")
    with translation.override("es"), timezone.override(zoneinfo.ZoneInfo("America/New_York")):
        with as_person(person) as language:
            assert language == "de" == translation.get_language()
            assert timezone.get_current_timezone() == zoneinfo.ZoneInfo("Asia/Tokyo")
        assert translation.get_language() == "es"
        assert timezone.get_current_timezone() == zoneinfo.ZoneInfo("America/New_York")


def test_as_person_restores_the_callers_language_after_an_error():
    with translation.override("fr"):
        with pytest.raises(RuntimeError), as_person(User(locale="ar", timezone="Asia/Dubai")):
            raise RuntimeError
        assert translation.get_language() == "fr"


def test_as_nobody_keeps_what_is_active():
    with translation.override("es"), as_person(None) as language:
        assert language == "es" == translation.get_language()
