"""The delivery log in words (eyes 14, F1): a raw Python error ("URLError: <urlopen error [SSL:
CERTIFICATE_VERIFY_FAILED] ...>") is shown as a sentence, with the text itself as the technical
detail, wrapped."""

from __future__ import annotations

import pytest
from django.urls import reverse
from django.utils import timezone

from escalation.models import WebhookDelivery
from escalation.webhooks.errors import delivery_error_text
from escalation.webhooks.events import Event
from escalation.webhooks.services import webhook_endpoint_create
from lms.tests.factories import AdminFactory

pytestmark = pytest.mark.django_db

SSL = (
    "URLError: <urlopen error [SSL: CERTIFICATE_VERIFY_FAILED] certificate verify failed: "
    "self-signed certificate (_ssl.c:1006)>"
)


@pytest.mark.parametrize(
    ("raw", "human"),
    [
        (SSL, "The receiver's TLS certificate could not be verified"),
        ("URLError: <urlopen error [Errno 111] Connection refused>", "Connection refused"),
        ("Timeout: no answer within 15 seconds.", "Timed out: the receiver did not answer in time"),
        ("HTTP 500 Internal Server Error", "HTTP 500 from the receiver"),
        ("", ""),
    ],
)
def test_each_delivery_error_reads_as_a_sentence(raw, human):
    assert delivery_error_text(raw) == human


def test_the_log_shows_the_sentence_with_the_python_error_as_detail(client, settings):
    settings.WEBHOOK_ALLOW_LOOPBACK = True
    admin = AdminFactory()
    endpoint, _secret = webhook_endpoint_create(
        name="HR", url="http://127.0.0.1:9/lms", events=[Event.COMPLETION_RECORDED], actor=admin
    )
    WebhookDelivery.objects.create(
        endpoint=endpoint,
        event_id="evt_1",
        event=Event.COMPLETION_RECORDED,
        payload={"id": "evt_1"},
        status=WebhookDelivery.Status.PENDING,
        attempts=1,
        last_error=SSL,
        next_attempt_at=timezone.now(),
    )
    client.force_login(admin)
    page = client.get(reverse("escalation:webhook", args=[endpoint.pk])).content.decode()
    assert '<span data-testid="delivery-error">The receiver&#x27;s TLS certificate could not be verified</span>' in page
    assert "<summary>Technical detail</summary>" in page and "CERTIFICATE_VERIFY_FAILED" in page
