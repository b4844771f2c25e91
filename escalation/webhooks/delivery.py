"""The webhook sender: POSTs each due delivery to its endpoint, signed.

Delivery choice, written down (STYLE 9), the same as the email dispatcher: claim before the side
effect. A batch of due rows is claimed under ``select_for_update(skip_locked=True)`` (two senders
never claim the same row), marked ``sending`` with a claim token and the attempt counted, and
committed; the request is made outside any transaction; then the row is marked ``delivered`` or
given back with its next attempt. A sender killed after claiming leaves rows in ``sending``; after
LEASE (15 minutes, longer than a batch can take: BATCH_SIZE deliveries of at most DEADLINE_SECONDS
each) they are due again. So an event can arrive
twice (a kill between the receiver's answer and the ``delivered`` update): every delivery of one
event carries the same ``X-LMS-Event-Id``, and receivers drop a repeat by it.

An answer in 2xx is delivered. Anything else (another status, a timeout, a refused connection, an
address that now resolves somewhere private) is retried with exponential back-off, 1, 2, 4, 8,
16, 32 and 64 minutes after each failed attempt, and after MAX_ATTEMPTS the row is ``failed``: it
stays in the endpoint's delivery log with the last response code and error, and an admin can send
it again. A row found due with its attempts already spent (back from a lapsed lease) is failed
when claimed, never sent a ninth time. A signing secret that cannot be read (``SECRET_KEY``
changed) fails the delivery at once, with the error saying to issue a new secret; one row that
cannot be sent never stops the others.

Each delivery has a total deadline (DEADLINE_SECONDS) on top of the per-read socket timeout: a
receiver that trickles its answer a byte at a time is cut off when the deadline passes (a watchdog
shuts the connection's socket down) and the attempt is recorded as a timeout. Redirects are not followed (escalation.webhooks.addresses). Rows of an endpoint that is
switched off wait, and go out when it is switched on again.
"""

from __future__ import annotations

import datetime as dt
import http.client
import json
import logging
import secrets
import socket
import threading
import time
import urllib.error
import urllib.request

from cryptography.fernet import InvalidToken
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
TIMEOUT_SECONDS = 10  # per socket operation (connecting, each read)
DEADLINE_SECONDS = 15  # the whole exchange of one delivery, however the receiver trickles
# A batch is claimed at once and sent one by one, so its lease must outlast a batch of receivers
# that each take the whole deadline, or a second sender would take back rows still being sent
# (tested).
BATCH_SIZE = 20
LEASE = dt.timedelta(minutes=15)
USER_AGENT = "LMS-Webhooks/1"
UNREADABLE_SECRET = (
    "The signing secret cannot be read (SECRET_KEY has changed since it was issued): issue a new one,"
    " then send the delivery again."
)
SPENT = "No attempts left: given up after {attempts} attempts."


def retry_delay(attempts: int) -> dt.timedelta:
    """The wait after the ``attempts``-th failed attempt: 1 minute, doubling each time."""
    return FIRST_RETRY * 2 ** (attempts - 1)


class _NoRedirects(urllib.request.HTTPRedirectHandler):
    def redirect_request(self, req, fp, code, msg, headers, newurl):
        return None  # a 3xx is the answer, reported as a failed attempt


class _Deadline:
    """A hard limit on one delivery's exchange. The socket timeout bounds each read, not their
    sum; when the deadline passes, a watchdog timer shuts down the socket of every connection the
    request opened, so a read blocked on a trickling receiver ends at once."""

    def __init__(self, seconds: float):
        self.seconds = seconds
        self.ends = time.monotonic() + seconds
        self.expired = False
        self.connections: list[http.client.HTTPConnection] = []
        self._lock = threading.Lock()
        self._timer = threading.Timer(seconds, self._expire)
        self._timer.daemon = True

    def remaining(self) -> float:
        return max(self.ends - time.monotonic(), 0.001)

    def _expire(self) -> None:
        with self._lock:
            self.expired = True
            for connection in self.connections:
                _shut(connection)

    def opened(self, connection: http.client.HTTPConnection) -> None:
        with self._lock:
            self.connections.append(connection)
            if self.expired:
                _shut(connection)

    def __enter__(self):
        self._timer.start()
        return self

    def __exit__(self, *exc):
        self._timer.cancel()


def _shut(connection: http.client.HTTPConnection) -> None:
    sock = connection.sock
    if sock is not None:
        try:
            # The plain socket's shutdown (also under TLS): the reading thread's recv returns.
            socket.socket.shutdown(sock, socket.SHUT_RDWR)
        except OSError:
            pass


def _connection_class(base: type[http.client.HTTPConnection], deadline: _Deadline):
    class Connection(base):
        def connect(self):
            self.timeout = min(self.timeout or TIMEOUT_SECONDS, deadline.remaining())
            super().connect()
            deadline.opened(self)

    return Connection


def _opener(deadline: _Deadline) -> urllib.request.OpenerDirector:
    class HTTPHandler(urllib.request.HTTPHandler):
        def http_open(self, req):
            return self.do_open(_connection_class(http.client.HTTPConnection, deadline), req)

    class HTTPSHandler(urllib.request.HTTPSHandler):
        def https_open(self, req):
            return self.do_open(_connection_class(http.client.HTTPSConnection, deadline), req, context=self._context)

    return urllib.request.build_opener(_NoRedirects, HTTPHandler, HTTPSHandler)


def body_of(delivery: WebhookDelivery) -> bytes:
    return json.dumps(delivery.payload, separators=(",", ":"), sort_keys=True).encode()


def _post(delivery: WebhookDelivery) -> tuple[int | None, str, bool]:
    """Send one delivery; (response code or None, error text or "" when delivered, whether the
    error is final: retrying cannot help)."""
    endpoint = delivery.endpoint
    try:
        check_webhook_url(endpoint.url)
    except ValidationError as error:
        return None, " ".join(error.messages), False
    try:
        secret = unseal(endpoint.secret_encrypted)
    except InvalidToken:
        return None, UNREADABLE_SECRET, True
    body = body_of(delivery)
    request = urllib.request.Request(
        endpoint.url,
        data=body,
        method="POST",
        headers={
            "Content-Type": "application/json",
            "User-Agent": USER_AGENT,
            HEADER: signature(secret, body, int(time.time())),
            "X-LMS-Event": delivery.event,
            "X-LMS-Event-Id": delivery.event_id,
            "X-LMS-Delivery": str(delivery.pk),
            "X-LMS-Attempt": str(delivery.attempts),
        },
    )
    with _Deadline(DEADLINE_SECONDS) as deadline:
        try:
            with _opener(deadline).open(request, timeout=TIMEOUT_SECONDS) as response:
                status = response.status
        except urllib.error.HTTPError as error:
            error.close()
            return error.code, f"HTTP {error.code} {error.reason}", False
        except Exception as error:  # noqa: BLE001 - any failure to deliver is recorded and retried
            if deadline.expired:
                return None, f"Timeout: no answer within {DEADLINE_SECONDS} seconds.", False
            return None, f"{type(error).__name__}: {error}", False
    return status, "", False


def _claim(now: dt.datetime, batch_size: int) -> tuple[str | None, int]:
    """Claim a batch of due rows: (claim token or None when none is due, how many were failed
    instead because their attempts were spent)."""
    token = secrets.token_hex(8)
    with transaction.atomic():
        due = (
            WebhookDelivery.objects.select_for_update(skip_locked=True)
            .filter(status=WebhookDelivery.Status.PENDING, next_attempt_at__lte=now, endpoint__is_active=True)
            .order_by("next_attempt_at", "pk")
        )
        rows = list(due.values_list("pk", "attempts")[:batch_size])
        if not rows:
            return None, 0
        # Attempts already spent (a row back from a lapsed lease): failed now, never sent again.
        spent = {pk: attempts for pk, attempts in rows if attempts >= MAX_ATTEMPTS}
        for pk, attempts in spent.items():
            WebhookDelivery.objects.filter(pk=pk).update(
                status=WebhookDelivery.Status.FAILED, last_error=SPENT.format(attempts=attempts), claim_token=""
            )
        WebhookDelivery.objects.filter(
            pk__in=[pk for pk, _ in rows if pk not in spent], status=WebhookDelivery.Status.PENDING
        ).update(status=WebhookDelivery.Status.SENDING, claimed_at=now, claim_token=token, attempts=F("attempts") + 1)
    if spent:
        logger.warning("webhook deliveries %s failed: no attempts left", sorted(spent))
    return token, len(spent)


def _send(token: str, now: dt.datetime) -> dict:
    figures = {"delivered": 0, "retrying": 0, "failed": 0}
    rows = WebhookDelivery.objects.filter(claim_token=token, status=WebhookDelivery.Status.SENDING).select_related(
        "endpoint"
    )
    for delivery in rows.order_by("pk"):
        try:
            code, error, final = _post(delivery)
        except Exception as exc:  # noqa: BLE001 - one row that cannot be sent never stops the others
            logger.exception("webhook delivery %s could not be sent", delivery.pk)
            code, error, final = None, f"{type(exc).__name__}: {exc}", False
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
        give_up = final or delivery.attempts >= MAX_ATTEMPTS
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
    while True:
        token, spent = _claim(now, batch_size)
        if token is None:
            break
        figures["failed"] += spent
        for name, count in _send(token, now).items():
            figures[name] += count
    return figures
