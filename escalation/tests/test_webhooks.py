"""Webhooks against a real HTTP receiver on a loopback port (http.server in a thread) that checks
each request's signature the way the README tells integrators to."""

from __future__ import annotations

import datetime as dt
import hashlib
import hmac
import json
import re
import socket
import threading
import time
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path

import pytest
from cryptography.fernet import Fernet
from django.core.exceptions import ValidationError
from django.urls import reverse
from django.utils import timezone

from assignments.services.attempts import attempt_start, attempt_submit
from courses.models import Quiz
from courses.tests.factories import AssignmentFactory, CompletionFactory, answers_for, make_course
from escalation.models import EscalationEvent, WebhookDelivery, WebhookEndpoint, WebhookSubscription
from escalation.nightly import run_nightly
from escalation.webhooks import signing
from escalation.webhooks.addresses import check_webhook_url
from escalation.webhooks.delivery import MAX_ATTEMPTS, retry_delay, run_webhook_deliveries
from escalation.webhooks.events import event_id, run_webhook_events
from escalation.webhooks.services import webhook_endpoint_create
from lms.models import AuditEntry
from lms.tests.factories import AdminFactory, UserFactory

pytestmark = pytest.mark.django_db

Event = WebhookSubscription.Event
README = Path(__file__).resolve().parents[2] / "README.md"


class Receiver:
    """A receiving system: answers ``fail_first`` requests with 500, then 200; records each
    request with whether its signature checked out."""

    def __init__(self, *, fail_first: int = 0, status: int = 500):
        self.secret = ""
        self.fail_first = fail_first
        self.status = status
        self.requests: list[dict] = []
        receiver = self

        class Handler(BaseHTTPRequestHandler):
            def do_POST(self):
                body = self.rfile.read(int(self.headers["Content-Length"]))
                header = self.headers.get("X-LMS-Signature", "")
                receiver.requests.append(
                    {
                        "body": json.loads(body),
                        "event_id": self.headers.get("X-LMS-Event-Id"),
                        "event": self.headers.get("X-LMS-Event"),
                        "valid": receiver.verify(body, header),
                    }
                )
                failing = len(receiver.requests) <= receiver.fail_first
                self.send_response(receiver.status if failing else 200)
                self.end_headers()
                self.wfile.write(b"no" if failing else b"ok")

            def log_message(self, *args):
                pass

        self.server = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
        self.url = f"http://127.0.0.1:{self.server.server_address[1]}/lms-events"
        self.thread = threading.Thread(target=self.server.serve_forever, daemon=True)

    def verify(self, body: bytes, header: str) -> bool:
        # What the README's snippet does, written out independently of escalation.webhooks.signing.
        parts = dict(item.split("=", 1) for item in header.split(","))
        if abs(time.time() - int(parts["t"])) > 300:
            return False
        expected = hmac.new(self.secret.encode(), f"{parts['t']}.".encode() + body, hashlib.sha256).hexdigest()
        return hmac.compare_digest(expected, parts["v1"])

    def __enter__(self):
        self.thread.start()
        return self

    def __exit__(self, *exc):
        self.server.shutdown()
        self.server.server_close()


@pytest.fixture
def loopback(settings):
    settings.WEBHOOK_ALLOW_LOOPBACK = True


def register(receiver: Receiver, events=(Event.COMPLETION_RECORDED,), admin=None) -> WebhookEndpoint:
    endpoint, secret = webhook_endpoint_create(
        name="HR warehouse", url=receiver.url, events=list(events), actor=admin or AdminFactory()
    )
    receiver.secret = secret
    return endpoint


def pass_course(learner=None):
    course = make_course(questions=2, title="Fire safety")
    assignment = AssignmentFactory(learner=learner or UserFactory(employee_id="E-100"), course=course)
    attempt = attempt_start(assignment=assignment, quiz=course.quizzes.get(kind=Quiz.Kind.FINAL))
    return attempt_submit(attempt=attempt, answers=answers_for(attempt)).completion


@pytest.fixture
def passed(monkeypatch, django_capture_on_commit_callbacks):
    """Pass a course and run what its commit triggers (the completion signal), without the worker
    that would send at once: the test drives the sender itself, at the times it chooses."""
    monkeypatch.setattr("escalation.webhooks.events.deliver_soon", lambda: None)

    def run(learner=None):
        with django_capture_on_commit_callbacks(execute=True):
            return pass_course(learner)

    return run


def test_a_completion_is_posted_signed_to_a_real_receiver_as_soon_as_it_commits(
    loopback, django_capture_on_commit_callbacks
):
    with Receiver() as receiver:
        endpoint = register(receiver)
        with django_capture_on_commit_callbacks(execute=True):
            completion = pass_course()
        # The eager Celery task the commit asked for has sent it.
        assert len(receiver.requests) == 1
        request = receiver.requests[0]
    assert request["valid"] is True
    assert request["event"] == "completion.recorded"
    assert request["event_id"] == request["body"]["id"] == event_id(f"completion:{completion.pk}")
    data = request["body"]["data"]
    assert data["completion"]["certificate_number"] == completion.certificate_number
    assert data["learner"] == {"id": completion.learner_id, "email": completion.learner.email, "employee_id": "E-100"}
    assert data["course"]["code"] == completion.course_code
    delivery = WebhookDelivery.objects.get(endpoint=endpoint)
    assert (delivery.status, delivery.attempts, delivery.response_code) == (WebhookDelivery.Status.DELIVERED, 1, 200)


def test_a_receiver_that_fails_twice_gets_the_same_event_again_with_back_off_until_it_succeeds(
    loopback, client, passed
):
    admin = AdminFactory()
    with Receiver(fail_first=2) as receiver:
        endpoint = register(receiver, admin=admin)
        passed()
        now = timezone.now()
        first = run_webhook_deliveries(as_of=now)
        delivery = WebhookDelivery.objects.get(endpoint=endpoint)
        assert first["retrying"] == 1
        assert (delivery.status, delivery.attempts, delivery.response_code) == ("pending", 1, 500)
        assert delivery.next_attempt_at == now + dt.timedelta(minutes=1)
        # Not due yet: nothing is sent.
        assert run_webhook_deliveries(as_of=now + dt.timedelta(seconds=59))["retrying"] == 0
        assert len(receiver.requests) == 1
        run_webhook_deliveries(as_of=now + dt.timedelta(minutes=1))
        delivery.refresh_from_db()
        assert delivery.next_attempt_at == now + dt.timedelta(minutes=3)  # then 2 minutes
        third = run_webhook_deliveries(as_of=now + dt.timedelta(minutes=3))
        assert third["delivered"] == 1
    delivery.refresh_from_db()
    assert (delivery.status, delivery.attempts, delivery.response_code, delivery.last_error) == (
        "delivered",
        3,
        200,
        "",
    )
    assert [r["valid"] for r in receiver.requests] == [True, True, True]
    assert len({r["event_id"] for r in receiver.requests}) == 1  # one event, told three times
    client.force_login(admin)
    page = client.get(reverse("escalation:webhook", kwargs={"pk": endpoint.pk})).content.decode()
    assert "Delivered" in page and ">3</td>" in page and ">200</td>" in page


def test_a_delivery_that_never_succeeds_ends_failed_in_the_log_and_can_be_sent_again(loopback, client, passed):
    admin = AdminFactory()
    with Receiver(fail_first=10**6, status=503) as receiver:
        endpoint = register(receiver, admin=admin)
        passed()
        when = timezone.now()
        for attempt in range(1, MAX_ATTEMPTS + 1):
            run_webhook_deliveries(as_of=when)
            when += retry_delay(attempt)
        assert run_webhook_deliveries(as_of=when + dt.timedelta(days=1))["failed"] == 0  # nothing left to try
    delivery = WebhookDelivery.objects.get(endpoint=endpoint)
    assert (delivery.status, delivery.attempts, delivery.response_code) == ("failed", MAX_ATTEMPTS, 503)
    assert "HTTP 503" in delivery.last_error
    assert len(receiver.requests) == MAX_ATTEMPTS
    client.force_login(admin)
    page = client.get(reverse("escalation:webhook", kwargs={"pk": endpoint.pk})).content.decode()
    assert "Failed: no more retries" in page and "Send again" in page
    retry = reverse("escalation:webhook_delivery_retry", kwargs={"pk": endpoint.pk, "delivery_pk": delivery.pk})
    assert client.post(retry).status_code == 302
    delivery.refresh_from_db()
    assert (delivery.status, delivery.attempts) == ("pending", 0)
    assert AuditEntry.objects.filter(object_type__icontains="webhookdelivery", actor=admin).exists()


def test_a_receiver_that_is_down_is_retried_with_the_error_recorded(loopback, passed):
    with Receiver() as receiver:
        endpoint = register(receiver)
    # The server is closed: the port refuses connections.
    passed()
    assert run_webhook_deliveries()["retrying"] == 1
    delivery = WebhookDelivery.objects.get(endpoint=endpoint)
    assert delivery.status == "pending" and delivery.response_code is None
    assert "Connection refused" in delivery.last_error or "URLError" in delivery.last_error


def test_an_unreadable_secret_fails_its_delivery_at_once_and_the_others_still_go(
    loopback, django_capture_on_commit_callbacks
):
    with Receiver() as first, Receiver() as second:
        broken = register(first)  # the lower pk: its row is sent first in the batch
        healthy = register(second)
        # SECRET_KEY changed since the secret was sealed: it cannot be decrypted any more.
        other_key = Fernet(Fernet.generate_key()).encrypt(b"whsec_old").decode()
        WebhookEndpoint.objects.filter(pk=broken.pk).update(secret_encrypted=other_key)
        with django_capture_on_commit_callbacks(execute=True):
            pass_course()  # the eager task runs after the commit, and nothing reaches the learner
        assert first.requests == []
        assert [r["valid"] for r in second.requests] == [True]
    bad = WebhookDelivery.objects.get(endpoint=broken)
    assert (bad.status, bad.attempts, bad.response_code) == ("failed", 1, None)
    assert "The signing secret cannot be read" in bad.last_error and "issue a new one" in bad.last_error
    assert WebhookDelivery.objects.get(endpoint=healthy).status == "delivered"
    assert not WebhookDelivery.objects.filter(status="sending").exists()
    # Nothing left to try until an admin issues a new secret and sends it again.
    assert run_webhook_deliveries(as_of=timezone.now() + dt.timedelta(days=1))["failed"] == 0


def test_a_sender_that_fails_after_a_pass_commits_never_reaches_the_learner(
    loopback, monkeypatch, caplog, django_capture_on_commit_callbacks
):
    with Receiver() as receiver:
        register(receiver)

        def broken(**kwargs):
            raise RuntimeError("database went away")

        monkeypatch.setattr("escalation.webhooks.delivery.run_webhook_deliveries", broken)
        with django_capture_on_commit_callbacks(execute=True):
            completion = pass_course()
    assert completion.pk and WebhookDelivery.objects.get().status == "pending"  # the beat entry sends it
    assert "webhook deliveries could not be started after a commit" in caplog.text


def test_a_delivery_back_from_a_lapsed_lease_with_its_attempts_spent_is_failed_not_sent_again(loopback):
    with Receiver() as receiver:
        endpoint = register(receiver)
        now = timezone.now()
        delivery = WebhookDelivery.objects.create(
            endpoint=endpoint,
            event_id="evt_spent",
            event=Event.COMPLETION_RECORDED,
            payload={"id": "evt_spent"},
            status=WebhookDelivery.Status.SENDING,  # its sender was killed during the last attempt
            claimed_at=now - dt.timedelta(hours=1),
            claim_token="gone",
            attempts=MAX_ATTEMPTS,
            next_attempt_at=now - dt.timedelta(hours=1),
        )
        figures = run_webhook_deliveries(as_of=now)
        assert receiver.requests == []
    assert (figures["recovered"], figures["failed"]) == (1, 1)
    delivery.refresh_from_db()
    assert (delivery.status, delivery.attempts) == ("failed", MAX_ATTEMPTS)
    assert "No attempts left" in delivery.last_error


class TricklingReceiver:
    """A receiver that answers one header byte at a time, each well inside the per-read timeout."""

    def __init__(self, *, every: float):
        self.every = every
        self.stop = threading.Event()
        self.listener = socket.create_server(("127.0.0.1", 0))
        self.url = f"http://127.0.0.1:{self.listener.getsockname()[1]}/slow"
        self.thread = threading.Thread(target=self.serve, daemon=True)

    def serve(self):
        connection, _ = self.listener.accept()
        with connection:
            connection.recv(65536)
            answer = b"HTTP/1.1 200 OK\r\nX-Padding: " + b"a" * 1000 + b"\r\n\r\n"
            for byte in answer:
                if self.stop.wait(self.every):
                    return
                try:
                    connection.sendall(bytes([byte]))
                except OSError:
                    return  # the sender hung up

    def __enter__(self):
        self.thread.start()
        return self

    def __exit__(self, *exc):
        self.stop.set()
        self.thread.join(timeout=5)
        self.listener.close()


def test_a_receiver_that_trickles_its_answer_is_cut_off_at_the_deadline_and_recorded_as_a_timeout(
    loopback, monkeypatch
):
    from escalation.webhooks import delivery as sender

    monkeypatch.setattr(sender, "DEADLINE_SECONDS", 2)
    with TricklingReceiver(every=0.3) as receiver:  # never 10 s without a byte: no socket timeout
        endpoint, _ = webhook_endpoint_create(
            name="Slow", url=receiver.url, events=[Event.COMPLETION_RECORDED], actor=AdminFactory()
        )
        delivery = WebhookDelivery.objects.create(
            endpoint=endpoint,
            event_id="evt_slow",
            event=Event.COMPLETION_RECORDED,
            payload={"id": "evt_slow"},
            next_attempt_at=timezone.now(),
        )
        started = time.monotonic()
        figures = run_webhook_deliveries()
        took = time.monotonic() - started
    assert took < 2 + 1.5, took  # the deadline and some slack, not the 300 s the trickle would take
    assert figures["retrying"] == 1
    delivery.refresh_from_db()
    assert delivery.status == "pending" and delivery.response_code is None
    assert delivery.last_error == "Timeout: no answer within 2 seconds."


def test_a_switched_off_endpoint_gets_nothing_new_and_keeps_what_waits(loopback, passed):
    with Receiver() as receiver:
        endpoint = register(receiver)
        passed()
        WebhookEndpoint.objects.filter(pk=endpoint.pk).update(is_active=False)
        passed(UserFactory())
        assert run_webhook_deliveries()["delivered"] == 0
        assert WebhookDelivery.objects.filter(endpoint=endpoint).count() == 1
        WebhookEndpoint.objects.filter(pk=endpoint.pk).update(is_active=True)
        assert run_webhook_deliveries()["delivered"] == 1
    assert receiver.requests[0]["valid"]


def _resolver(monkeypatch, address: str):
    def fake_getaddrinfo(host, port, *args, **kwargs):
        return [(socket.AF_INET, socket.SOCK_STREAM, 6, "", (address, port))]

    monkeypatch.setattr(socket, "getaddrinfo", fake_getaddrinfo)


@pytest.mark.parametrize(
    "url,message",
    [
        ("http://93.184.215.14/hook", "https://"),
        ("https://10.0.0.5/hook", "private or internal"),
        ("https://192.168.1.20/hook", "private or internal"),
        ("https://169.254.169.254/latest/meta-data/", "private or internal"),
        ("https://100.64.0.1/hook", "private or internal"),
        ("https://[::1]/hook", "private or internal"),
        ("https://[::ffff:10.0.0.1]/hook", "private or internal"),
        ("https://127.0.0.1:8443/hook", "private or internal"),
        ("https://2130706433/hook", "not public"),  # 127.0.0.1 written as one number
        # IPv6 forms that carry an internal IPv4 address: IPv4-compatible, NAT64 (well-known and
        # local-use prefixes), 6to4 and Teredo (server 65.54.227.120, client 192.0.2.45).
        ("https://[::127.0.0.1]/hook", "private or internal"),
        ("https://[::a9fe:a9fe]/hook", "private or internal"),
        ("https://[64:ff9b::a9fe:a9fe]/hook", "private or internal"),
        ("https://[64:ff9b::10.0.0.1]/hook", "private or internal"),
        ("https://[64:ff9b:1::a9fe:a9fe]/hook", "private or internal"),
        ("https://[2002:a9fe:a9fe::]/hook", "private or internal"),
        ("https://[2002:7f00:1::1]/hook", "private or internal"),
        ("https://[2001:0:4136:e378:8000:63bf:3fff:fdd2]/hook", "private or internal"),
        ("https://0.0.0.0/hook", "private or internal"),
        ("http://127.0.0.1:8000/hook", "https://"),
        ("https://user:pw@93.184.215.14/hook", "user name or password"),
        ("ftp://93.184.215.14/hook", "https://"),
    ],
)
def test_addresses_that_are_not_public_https_are_refused_in_production(settings, url, message):
    settings.WEBHOOK_ALLOW_LOOPBACK = False
    with pytest.raises(ValidationError) as refused:
        check_webhook_url(url)
    assert message in " ".join(refused.value.messages)


def test_a_host_name_that_resolves_to_a_private_address_is_refused_without_telling_the_address(settings, monkeypatch):
    settings.WEBHOOK_ALLOW_LOOPBACK = False
    _resolver(monkeypatch, "10.1.2.3")
    with pytest.raises(ValidationError) as refused:
        check_webhook_url("https://hooks.example.com/lms")
    message = " ".join(refused.value.messages)
    assert "hooks.example.com” resolves to an address that is not public" in message
    assert "10.1.2.3" not in message and "(" not in message  # the internal network is not mapped for the asker
    _resolver(monkeypatch, "93.184.215.14")
    check_webhook_url("https://hooks.example.com/lms")


@pytest.mark.parametrize(
    "address", ["64:ff9b::a9fe:a9fe", "2002:a9fe:a9fe::", "::ffff:10.0.0.1", "2001:0:4136:e378:8000:63bf:3fff:fdd2"]
)
def test_a_host_name_that_resolves_to_ipv6_carrying_an_internal_ipv4_address_is_refused(settings, monkeypatch, address):
    settings.WEBHOOK_ALLOW_LOOPBACK = False

    def fake_getaddrinfo(host, port, *args, **kwargs):
        return [(socket.AF_INET6, socket.SOCK_STREAM, 6, "", (address, port, 0, 0))]

    monkeypatch.setattr(socket, "getaddrinfo", fake_getaddrinfo)
    with pytest.raises(ValidationError, match="not public"):
        check_webhook_url("https://hooks.example.com/lms")


def test_ipv6_forms_of_a_public_ipv4_address_are_accepted(settings):
    settings.WEBHOOK_ALLOW_LOOPBACK = False
    check_webhook_url("https://[64:ff9b::5db8:d70e]/hook")  # NAT64 of 93.184.215.14
    check_webhook_url("https://[2002:5db8:d70e::1]/hook")  # 6to4 of 93.184.215.14


def test_a_public_https_address_and_loopback_in_debug_are_accepted(settings):
    settings.WEBHOOK_ALLOW_LOOPBACK = False
    check_webhook_url("https://93.184.215.14/hook")
    settings.WEBHOOK_ALLOW_LOOPBACK = True
    check_webhook_url("http://127.0.0.1:8000/hook")
    with pytest.raises(ValidationError):
        check_webhook_url("http://10.0.0.5/hook")  # loopback only, not the private network


def test_a_name_that_turns_private_after_registration_is_not_called(settings, monkeypatch, passed):
    settings.WEBHOOK_ALLOW_LOOPBACK = False
    _resolver(monkeypatch, "93.184.215.14")
    endpoint, _ = webhook_endpoint_create(
        name="Rebinding", url="https://hooks.example.com/lms", events=[Event.COMPLETION_RECORDED], actor=AdminFactory()
    )
    passed()
    _resolver(monkeypatch, "127.0.0.1")
    assert run_webhook_deliveries()["retrying"] == 1
    delivery = WebhookDelivery.objects.get(endpoint=endpoint)
    assert "not public" in delivery.last_error and delivery.response_code is None


def test_the_form_names_a_refused_address_on_its_field(client, settings):
    settings.WEBHOOK_ALLOW_LOOPBACK = False
    client.force_login(AdminFactory())
    response = client.post(
        reverse("escalation:webhook_create"),
        {"name": "Internal", "url": "https://169.254.169.254/", "events": [Event.COMPLETION_RECORDED]},
    )
    assert response.status_code == 200
    assert "private or internal" in " ".join(response.context["form"].errors["url"])
    response = client.post(reverse("escalation:webhook_create"), {"name": "No events", "url": "https://93.184.215.14/"})
    assert "Choose at least one event." in response.context["form"].errors["events"]
    assert not WebhookEndpoint.objects.exists()


def test_the_secret_is_shown_once_and_stored_encrypted(client, loopback):
    admin = AdminFactory()
    client.force_login(admin)
    response = client.post(
        reverse("escalation:webhook_create"),
        {"name": "BI", "url": "http://127.0.0.1:9/hook", "events": [Event.COMPLETION_RECORDED, Event.ESCALATION_STEP]},
        follow=True,
    )
    secret = re.search(r'data-testid="webhook-secret">(whsec_[\w-]+)<', response.content.decode()).group(1)
    endpoint = WebhookEndpoint.objects.get()
    assert secret not in endpoint.secret_encrypted and signing.unseal(endpoint.secret_encrypted) == secret
    assert sorted(endpoint.subscriptions.values_list("event", flat=True)) == [
        "completion.recorded",
        "escalation.step_taken",
    ]
    again = client.get(reverse("escalation:webhook", kwargs={"pk": endpoint.pk})).content.decode()
    assert secret not in again and "webhook-secret" not in again
    audit = AuditEntry.objects.get(object_type__icontains="webhookendpoint", action="create")
    assert secret not in json.dumps(audit.changes)
    client.post(reverse("escalation:webhook_rotate_secret", kwargs={"pk": endpoint.pk}))
    endpoint.refresh_from_db()
    assert signing.unseal(endpoint.secret_encrypted) != secret


def test_the_secret_is_shown_to_only_one_of_two_requests_that_read_the_session_at_once(client, loopback):
    from escalation.webhooks.views import SESSION_KEY

    client.force_login(AdminFactory())
    client.post(
        reverse("escalation:webhook_create"),
        {"name": "BI", "url": "http://127.0.0.1:9/hook", "events": [Event.COMPLETION_RECORDED]},
    )
    endpoint = WebhookEndpoint.objects.get()
    url = reverse("escalation:webhook", kwargs={"pk": endpoint.pk})
    issued = client.session[SESSION_KEY]
    first = client.get(url)
    # The second request loaded the session before the first one saved it: it still reads the
    # secret there.
    session = client.session
    session[SESSION_KEY] = issued
    session.save()
    second = client.get(url)
    assert [r.content.decode().count('data-testid="webhook-secret"') for r in (first, second)] == [1, 0]
    assert first["Cache-Control"] == "no-store"
    assert issued["secret"] not in second.content.decode()
    assert SESSION_KEY not in client.session  # dropped once read


def test_a_signature_is_refused_for_another_body_another_secret_or_an_old_time():
    body = b'{"id":"evt_1"}'
    header = signing.signature("whsec_a", body, int(time.time()))
    assert signing.verify("whsec_a", body, header)
    assert not signing.verify("whsec_a", body + b" ", header)
    assert not signing.verify("whsec_b", body, header)
    assert not signing.verify("whsec_a", body, signing.signature("whsec_a", body, int(time.time()) - 301))
    assert not signing.verify("whsec_a", body, "garbage")


MALFORMED_HEADERS = [
    "",
    "garbage",
    "t=,v1=",
    "v1=abc",  # no time
    f"t={int(time.time())}",  # no signature
    "t=soon,v1=abc",
    "t=١٧٠٠٠٠٠٠٠٠,v1=abc",  # digits, but not ASCII ones
    f"t={int(time.time())},v1=é" + "0" * 63,  # non-ASCII signature
    f"t={int(time.time())},v1=\ud800",  # a lone surrogate
    "t=" + "9" * 400 + ",v1=abc",  # too large a number for a float
    None,  # no header at all
    b"t=1,v1=abc",  # bytes rather than text
]


@pytest.mark.parametrize("header", MALFORMED_HEADERS)
def test_the_verify_helper_answers_false_to_a_malformed_header(header):
    assert signing.verify("whsec_a", b'{"id":"evt_1"}', header) is False


def test_the_readme_snippet_verifies_a_real_delivery():
    text = README.read_text()
    section = text.split("## Webhooks", 1)[1]
    snippet = re.search(r"```python\n(.*?)```", section, re.S).group(1)
    namespace: dict = {}
    exec(snippet, namespace)  # noqa: S102 - the README's own code, run as an integrator would
    body = b'{"data":{},"id":"evt_1","type":"completion.recorded"}'
    header = signing.signature("whsec_x", body, int(time.time()))
    assert namespace["verify"](body, header, "whsec_x") is True
    assert namespace["verify"](body + b"x", header, "whsec_x") is False
    for malformed in MALFORMED_HEADERS:
        assert namespace["verify"](body, malformed, "whsec_x") is False, malformed


def test_the_nightly_run_tells_overdue_assignments_ladder_steps_and_expiring_certificates_once(loopback, policy):
    with Receiver() as receiver:
        register(receiver, events=[Event.ASSIGNMENT_OVERDUE, Event.ESCALATION_STEP, Event.CERTIFICATE_EXPIRING])
        today = timezone.localdate()
        learner = UserFactory(employee_id="E-7")
        late = AssignmentFactory(
            learner=learner,
            course=make_course(code="GDPR-1", questions=1),
            assigned_on=today - dt.timedelta(days=40),
            due_date=today - dt.timedelta(days=1),
        )
        AssignmentFactory(
            course=make_course(code="OLD-1", questions=1),
            assigned_on=today - dt.timedelta(days=60),
            due_date=today - dt.timedelta(days=30),
        )
        course = make_course(code="FIRE-2", questions=1, recertification_months=12, recertification_window_days=30)
        expiring = CompletionFactory(learner=learner, course=course, expires_on=today + dt.timedelta(days=20))
        CompletionFactory(course=course, expires_on=today + dt.timedelta(days=200))  # not in its window yet
        as_of = timezone.now()
        run_nightly(as_of=as_of, only=["overdue_ladder", "webhook_events"])
        assert run_webhook_events(as_of=as_of) == {
            "workflow": "webhook_events",
            "assignment_overdue": 0,
            "escalation_steps": 0,
            "certificates_expiring": 0,
        }
        run_webhook_deliveries()
    assert all(r["valid"] for r in receiver.requests)
    ids = [r["event_id"] for r in receiver.requests]
    assert len(ids) == len(set(ids))  # each event once
    by_type: dict[str, list[dict]] = {}
    for request in receiver.requests:
        by_type.setdefault(request["body"]["type"], []).append(request["body"]["data"])
    # Only the assignment that fell due last night: OLD-1 fell due 30 days ago, before the lookback.
    [overdue] = by_type["assignment.overdue"]
    assert overdue["assignment"]["id"] == late.pk and overdue["learner"]["employee_id"] == "E-7"
    # Every ladder step of the night (OLD-1 caught up three steps and a letter), as in the case file.
    steps = EscalationEvent.objects.filter(
        kind__in=[EscalationEvent.Kind.ESCALATED, EscalationEvent.Kind.WARNING_LETTER]
    ).values_list("pk", "assignment_id")
    assert sorted(
        (d["step"]["case_file_event_id"], d["assignment"]["id"]) for d in by_type["escalation.step_taken"]
    ) == (sorted(steps))
    assert late.pk in {assignment for _, assignment in steps}
    [certificate] = by_type["certificate.expiring"]
    assert certificate["completion"]["id"] == expiring.pk


def test_the_delivery_log_page_costs_the_same_queries_for_3_and_30_deliveries(
    client, django_assert_num_queries, settings
):
    settings.WEBHOOK_ALLOW_LOOPBACK = True
    admin = AdminFactory()
    endpoint, _ = webhook_endpoint_create(
        name="BI", url="http://127.0.0.1:9/", events=[Event.COMPLETION_RECORDED], actor=admin
    )
    client.force_login(admin)
    url = reverse("escalation:webhook", kwargs={"pk": endpoint.pk})
    for size in (3, 30):
        WebhookDelivery.objects.bulk_create(
            WebhookDelivery(
                endpoint=endpoint,
                event_id=f"evt_{size}_{i}",
                event=Event.COMPLETION_RECORDED,
                next_attempt_at=timezone.now(),
            )
            for i in range(size)
        )
        client.get(url)  # the session, warmed
        # 9 with the menu's count of CPD approvals waiting (issue 17), the same for 3 and 30
        with django_assert_num_queries(9):
            response = client.get(url)
        assert response.content.decode().count('<code class="text-break">evt_') == min(
            WebhookDelivery.objects.count(), 50
        )


@pytest.mark.postgres
@pytest.mark.django_db(transaction=True)
def test_two_senders_at_once_never_post_the_same_delivery(settings):
    from django.db import connection

    settings.WEBHOOK_ALLOW_LOOPBACK = True
    with Receiver() as receiver:
        endpoint = register(receiver)
        WebhookDelivery.objects.bulk_create(
            WebhookDelivery(
                endpoint=endpoint,
                event_id=f"evt_{i}",
                event=Event.COMPLETION_RECORDED,
                payload={"id": f"evt_{i}"},
                next_attempt_at=timezone.now(),
            )
            for i in range(30)
        )
        barrier = threading.Barrier(2)
        results = []

        def sender():
            try:
                barrier.wait()
                results.append(run_webhook_deliveries(batch_size=4))
            finally:
                connection.close()

        threads = [threading.Thread(target=sender) for _ in range(2)]
        for thread in threads:
            thread.start()
        for thread in threads:
            thread.join()
    assert sum(r["delivered"] for r in results) == 30
    assert sorted(r["event_id"] for r in receiver.requests) == sorted(f"evt_{i}" for i in range(30))
    assert all(r["valid"] for r in receiver.requests)
    assert WebhookDelivery.objects.exclude(status="delivered").count() == 0


def test_tonights_preview_counts_the_webhook_deliveries_and_queues_none(loopback, policy, client):
    admin = AdminFactory()
    webhook_endpoint_create(name="BI", url="http://127.0.0.1:9/", events=[Event.ASSIGNMENT_OVERDUE], actor=admin)
    today = timezone.localdate()
    AssignmentFactory(
        course=make_course(code="GDPR-1", questions=1),
        assigned_on=today - dt.timedelta(days=40),
        due_date=today - dt.timedelta(days=1),
    )
    client.force_login(admin)
    page = client.get(reverse("escalation:preview")).content.decode()
    assert "1 webhook delivery of an overdue assignment" in page
    assert "Webhooks: overdue assignments, escalation steps, expiring certificates" in page
    assert not WebhookDelivery.objects.exists()


def test_a_batch_is_sent_before_its_lease_lapses_and_retries_stay_under_the_visibility_timeout(settings):
    from escalation.webhooks import delivery

    # Each receiver of a batch taking its whole deadline (however it trickles) still ends before
    # another sender may take the batch back; the deadline is at least one socket timeout.
    assert delivery.TIMEOUT_SECONDS <= delivery.DEADLINE_SECONDS
    assert delivery.BATCH_SIZE * delivery.DEADLINE_SECONDS < delivery.LEASE.total_seconds()
    visibility = settings.CELERY_BROKER_TRANSPORT_OPTIONS["visibility_timeout"]
    assert max(retry_delay(n) for n in range(1, MAX_ATTEMPTS + 1)).total_seconds() < visibility
    assert delivery.LEASE.total_seconds() < visibility
