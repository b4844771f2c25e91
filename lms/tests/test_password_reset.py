"""The password-reset form is limited per address and per IP (``lms.accounts``), and answers the
same for a known address, an unknown one and a limited request: nothing on the page says which
addresses exist or that a limit was reached.

Replays: openedx-platform#23837 (limit by the address, not only by IP, or rotating IPs floods one
inbox) and LemmyNet/lemmy#3344 (unlimited reset emails to one address).
"""

from __future__ import annotations

import datetime as dt
import re

import pytest
import time_machine
from django.conf import settings
from django.urls import reverse

from escalation.models import Notification
from lms.tests.factories import UserFactory

pytestmark = pytest.mark.django_db
PER_ADDRESS = settings.PASSWORD_RESET_LIMIT_PER_ADDRESS
PER_IP = settings.PASSWORD_RESET_LIMIT_PER_IP


def ask(client, email: str, ip: str = "10.1.0.1"):
    return client.post(reverse("password_reset"), {"email": email}, REMOTE_ADDR=ip)


def queued() -> int:
    """Reset emails queued in the outbox (the form only queues them; see the tests at the end)."""
    return Notification.objects.filter(kind=Notification.Kind.PASSWORD_RESET).count()


def answer(response) -> tuple[int, str]:
    return response.status_code, response["Location"]


def test_the_documented_limits():
    assert (PER_ADDRESS, PER_IP, settings.PASSWORD_RESET_LIMIT_WINDOW) == (3, 20, 3600)


def test_one_address_gets_at_most_three_emails_an_hour_and_the_fourth_answer_is_the_same(client, mailoutbox):
    UserFactory(email="reset@example.com")
    answers = [answer(ask(client, "reset@example.com")) for _ in range(PER_ADDRESS)]
    assert queued() == PER_ADDRESS
    limited = answer(ask(client, "reset@example.com"))
    assert queued() == PER_ADDRESS
    assert set(answers) == {limited} == {(302, reverse("password_reset_done"))}


def test_every_spelling_of_an_address_and_every_ip_share_the_address_limit(client, mailoutbox):
    UserFactory(email="reset@example.com")
    for index, spelling in enumerate(["reset@example.com", "RESET@example.com", " Reset@Example.COM "]):
        ask(client, spelling, ip=f"10.2.0.{index}")
    assert queued() == PER_ADDRESS
    ask(client, "reSet@example.com", ip="10.2.0.99")
    assert queued() == PER_ADDRESS


def test_the_address_may_ask_again_after_the_hour(client, mailoutbox):
    UserFactory(email="reset@example.com")
    with time_machine.travel(dt.datetime(2026, 3, 2, 9, 0, tzinfo=dt.UTC), tick=False) as traveller:
        for _ in range(PER_ADDRESS + 1):
            ask(client, "reset@example.com")
        assert queued() == PER_ADDRESS
        traveller.shift(dt.timedelta(seconds=settings.PASSWORD_RESET_LIMIT_WINDOW + 1))
        ask(client, "reset@example.com")
    assert queued() == PER_ADDRESS + 1


def test_one_ip_gets_at_most_twenty_requests_an_hour_whatever_the_addresses(client, mailoutbox):
    for index in range(PER_IP + 1):
        UserFactory(email=f"person{index}@example.org")
    for index in range(PER_IP):
        ask(client, f"person{index}@example.org", ip="10.3.0.1")
    assert queued() == PER_IP
    limited = ask(client, f"person{PER_IP}@example.org", ip="10.3.0.1")
    assert answer(limited) == (302, reverse("password_reset_done"))
    assert queued() == PER_IP
    # The same address from another IP is still served.
    ask(client, f"person{PER_IP}@example.org", ip="10.3.0.2")
    assert queued() == PER_IP + 1


def test_unknown_addresses_count_toward_the_ip_limit_and_get_the_same_answer(client, mailoutbox):
    UserFactory(email="known@example.com")
    unknown = [answer(ask(client, f"nobody{index}@example.com", ip="10.4.0.1")) for index in range(PER_IP)]
    assert queued() == 0
    limited_known = answer(ask(client, "known@example.com", ip="10.4.0.1"))
    assert queued() == 0
    known_elsewhere = answer(ask(client, "known@example.com", ip="10.4.0.2"))
    assert queued() == 1
    assert set(unknown) == {limited_known} == {known_elsewhere}


def test_the_page_after_a_limited_request_reads_like_any_other(client, mailoutbox):
    UserFactory(email="reset@example.com")
    for _ in range(PER_ADDRESS):
        ask(client, "reset@example.com")
    sent_page = _without_csrf_token(client.get(reverse("password_reset_done")).content)
    ask(client, "reset@example.com")
    assert _without_csrf_token(client.get(reverse("password_reset_done")).content) == sent_page


def _without_csrf_token(page: bytes) -> bytes:
    """The page less its form tokens (the language switcher's), which are masked afresh in every response."""
    return re.sub(rb'name="csrfmiddlewaretoken" value="[^"]*"', b"", page)


# Every branch does the same work in the request: the email is only queued, and sent after the
# response; its link comes from SITE_URL, never from the Host header (fix_misc items 2a and 3).


@pytest.mark.parametrize("who", ["invited", "existing", "unknown"])
def test_the_form_sends_nothing_inside_the_request_whatever_the_address(client, mailoutbox, who):
    if who == "invited":
        person = UserFactory(email="someone@example.com")
        person.set_unusable_password()
        person.save()
    elif who == "existing":
        UserFactory(email="someone@example.com")
    before = Notification.objects.count()

    response = ask(client, "someone@example.com")

    assert answer(response) == (302, reverse("password_reset_done"))
    assert mailoutbox == []
    rows = list(Notification.objects.order_by("pk").values_list("kind", "status")[before:])
    expected = {"invited": [("invitation", "pending")], "existing": [("password_reset", "pending")], "unknown": []}
    assert rows == expected[who]


@pytest.mark.parametrize("who", ["invited", "existing"])
def test_the_queued_email_goes_out_after_the_response_with_a_link_to_site_url(
    client, mailoutbox, settings, django_capture_on_commit_callbacks, who
):
    from django.core.signals import request_finished
    from django.db import close_old_connections

    settings.SITE_URL = "https://lms.test"
    settings.ALLOWED_HOSTS = ["testserver", "localhost"]
    # No broker (tasks run in the process that asks): the case where the send could slow the
    # answer. With a broker (CI sets CELERY_BROKER_URL) a worker sends it, never the request.
    settings.CELERY_TASK_ALWAYS_EAGER = True
    person = UserFactory(email="someone@example.com")
    if who == "invited":
        person.set_unusable_password()
        person.save()

    with django_capture_on_commit_callbacks(execute=True):
        response = client.post(reverse("password_reset"), {"email": "someone@example.com"}, HTTP_HOST="localhost:6666")
    assert response.status_code == 302
    assert mailoutbox == []  # nothing was sent while the request ran
    # The server has finished this response. As Django's test client does, leave the test's
    # database connection open (close_old_connections would close it on PostgreSQL mid-test).
    request_finished.disconnect(close_old_connections)
    try:
        request_finished.send(sender=None)
    finally:
        request_finished.connect(close_old_connections)

    assert [message.to for message in mailoutbox] == [["someone@example.com"]]
    body = mailoutbox[0].body
    assert "localhost" not in body
    path = "/accounts/invitation/" if who == "invited" else "/accounts/password/reset/"
    assert f"https://lms.test{path}" in body


def test_the_reset_link_from_the_email_sets_a_new_password(client, mailoutbox, settings):
    from escalation.dispatch import run_dispatch

    settings.SITE_URL = "http://testserver"
    person = UserFactory(email="someone@example.com")
    ask(client, "someone@example.com")
    run_dispatch()
    (link,) = [line for line in mailoutbox[0].body.splitlines() if line.startswith("http://testserver/")]

    form_page = client.get(link.removeprefix("http://testserver"), follow=True)
    response = client.post(
        form_page.redirect_chain[-1][0], {"new_password1": "Tr4ining-Passw0rd!", "new_password2": "Tr4ining-Passw0rd!"}
    )

    assert response.status_code == 302
    person.refresh_from_db()
    assert person.check_password("Tr4ining-Passw0rd!")
