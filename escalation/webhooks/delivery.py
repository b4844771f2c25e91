"""The webhook sender: POSTs each due delivery to its endpoint, signed.

Delivery choice, written down (STYLE 9), the same as the email dispatcher: claim before the side
effect. A batch of due rows is claimed under ``select_for_update(skip_locked=True)`` (two senders
never claim the same row), marked ``sending`` with a claim token and the attempt counted, and
committed; the request is made outside any transaction; then the row is marked ``delivered`` or
given back with its next attempt. A sender killed after claiming leaves rows in ``sending``; after
LEASE (15 minutes, longer than a batch can take) they are due again. So an event can arrive
twice (a kill between the receiver's answer and the ``delivered`` update): every delivery of one
event carries the same ``X-LMS-Event-Id``, and receivers drop a repeat by it.

An answer in 2xx is delivered. Anything else (another status, a timeout, a refused connection, an
address that now resolves somewhere private) is retried with exponential back-off, 1, 2, 4, 8,
16, 32 and 64 minutes after each failed attempt, and after MAX_ATTEMPTS the row is ``failed``: it
stays in the endpoint's delivery log with the last response code and error, and an admin can send
it again. Redirects are not followed (escalation.webhooks.addresses). Rows of an endpoint that is
switched off wait, and go out when it is switched on again.
"""

from __future__ import annotations

import datetime as dt
import json
import logging
import secrets
import time
import urllib.error
import urllib.request

from django.core.exceptions import ValidationError
from django.db import transaction
from django.db.models import F, Q
from django.utils import timezone

from escalation.models import WebhookDelivery
from escalation.webhooks.addresses import check_webhook_url
from escalation.webhooks.signing import HEADER, signature, unseal

logger = logging.getLogger(__name__)

MAX_ATTEMPTS = 8
FIRST_RETRY = dt.timedelta(minutes=1)
TIMEOUT_SECONDS = 10
# A batch is claimed at once and sent one by one, so its lease must outlast a batch of receivers
# that each take the whole timeout (twice: connecting, then waiting for the answer), or a second
# sender would take back rows still being sent (tested).
BATCH_SIZE = 20
LEASE = dt.timedelta(minutes=15)
USER_AGENT = "LMS-Webhooks/1"


def retry_delay(attempts: int) -> dt.timedelta:
    """The wait after the ``attempts``-th failed attempt: 1 minute, doubling each time."""
    return FIRST_RETRY * 2 ** (attempts - 1)


class _NoRedirects(urllib.request.HTTPRedirectHandler):
    def redirect_request(self, req, fp, code, msg, headers, newurl):
        return None  # a 3xx is the answer, reported as a failed attempt


_opener = urllib.request.build_opener(_NoRedirects)


def body_of(delivery: WebhookDelivery) -> bytes:
    return json.dumps(delivery.payload, separators=(",", ":"), sort_keys=True).encode()


def _post(delivery: WebhookDelivery) -> tuple[int | None, str]:
    """Send one delivery; (response code or None, error text or "" when delivered)."""
    endpoint = delivery.endpoint
    try:
        check_webhook_url(endpoint.url)
    except ValidationError as error:
        return None, " ".join(error.messages)
    body = body_of(delivery)
    request = urllib.request.Request(
        endpoint.url,
        data=body,
        method="POST",
        headers={
            "Content-Type": "application/json",
            "User-Agent": USER_AGENT,
            HEADER: signature(unseal(endpoint.secret_encrypted), body, int(time.time())),
            "X-LMS-Event": delivery.event,
            "X-LMS-Event-Id": delivery.event_id,
            "X-LMS-Delivery": str(delivery.pk),
            "X-LMS-Attempt": str(delivery.attempts),
        },
    )
    try:
        with _opener.open(request, timeout=TIMEOUT_SECONDS) as response:
            return response.status, ""
    except urllib.error.HTTPError as error:
        error.close()
        return error.code, f"HTTP {error.code} {error.reason}"
    except Exception as error:  # noqa: BLE001 - any failure to deliver is recorded and retried
        return None, f"{type(error).__name__}: {error}"


def _claim(now: dt.datetime, batch_size: int) -> str | None:
    token = secrets.token_hex(8)
    with transaction.atomic():
        due = (
            WebhookDelivery.objects.select_for_update(skip_locked=True)
            .filter(status=WebhookDelivery.Status.PENDING, next_attempt_at__lte=now, endpoint__is_active=True)
            .order_by("next_attempt_at", "pk")
        )
        ids = list(due.values_list("pk", flat=True)[:batch_size])
        if not ids:
            return None
        WebhookDelivery.objects.filter(pk__in=ids, status=WebhookDelivery.Status.PENDING).update(
            status=WebhookDelivery.Status.SENDING, claimed_at=now, claim_token=token, attempts=F("attempts") + 1
        )
    return token


def _send(token: str, now: dt.datetime) -> dict:
    figures = {"delivered": 0, "retrying": 0, "failed": 0}
    rows = WebhookDelivery.objects.filter(claim_token=token, status=WebhookDelivery.Status.SENDING).select_related(
        "endpoint"
    )
    for delivery in rows.order_by("pk"):
        code, error = _post(delivery)
        mine = WebhookDelivery.objects.filter(pk=delivery.pk, claim_token=token)
        if not error:
            mine.update(
                status=WebhookDelivery.Status.DELIVERED,
                response_code=code,
                last_error="",
                delivered_at=timezone.now(),
                claim_token="",
            )
            figures["delivered"] += 1
            continue
        logger.warning("webhook delivery %s to endpoint %s failed: %s", delivery.pk, delivery.endpoint_id, error)
        give_up = delivery.attempts >= MAX_ATTEMPTS
        mine.update(
            status=WebhookDelivery.Status.FAILED if give_up else WebhookDelivery.Status.PENDING,
            response_code=code,
            last_error=error[:2000],
            next_attempt_at=now + retry_delay(delivery.attempts),
            claim_token="",
        )
        figures["failed" if give_up else "retrying"] += 1
    return figures


def run_webhook_deliveries(*, as_of: dt.datetime | None = None, batch_size: int = BATCH_SIZE) -> dict:
    """Send every delivery that is due (and those back from a lapsed lease)."""
    now = as_of or timezone.now()
    figures = {
        "recovered": WebhookDelivery.objects.filter(
            Q(status=WebhookDelivery.Status.SENDING, claimed_at__lt=now - LEASE)
        ).update(status=WebhookDelivery.Status.PENDING, claim_token="", next_attempt_at=now),
        "delivered": 0,
        "retrying": 0,
        "failed": 0,
    }
    while (token := _claim(now, batch_size)) is not None:
        for name, count in _send(token, now).items():
            figures[name] += count
    return figures
