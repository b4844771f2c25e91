"""Every write of the webhook pages: register, change, rotate the secret, send a failed delivery
again. Each is audited with the admin as actor (the secret is never written to the audit)."""

from __future__ import annotations

from django.db import transaction
from django.utils import timezone

from escalation.models import WebhookDelivery, WebhookEndpoint, WebhookSubscription
from escalation.webhooks.addresses import check_webhook_url
from escalation.webhooks.events import deliver_soon
from escalation.webhooks.signing import new_secret, seal
from lms.audit import audit_record, diff, label_of
from lms.models import AuditEntry

FIELDS = ("name", "url", "is_active")


def _events(endpoint: WebhookEndpoint) -> list[str]:
    return sorted(endpoint.subscriptions.values_list("event", flat=True))


def _state(endpoint: WebhookEndpoint) -> dict:
    return {**{name: getattr(endpoint, name) for name in FIELDS}, "events": _events(endpoint)}


@transaction.atomic
def webhook_endpoint_create(*, name: str, url: str, events: list[str], actor) -> tuple[WebhookEndpoint, str]:
    """Register an endpoint; return it and its secret, which is shown this once."""
    check_webhook_url(url)
    secret = new_secret()
    endpoint = WebhookEndpoint.objects.create(name=name, url=url, secret_encrypted=seal(secret), created_by=actor)
    WebhookSubscription.objects.bulk_create(
        WebhookSubscription(endpoint=endpoint, event=e) for e in sorted(set(events))
    )
    audit_record(
        actor=actor,
        action=AuditEntry.Action.CREATE,
        obj_label=label_of(WebhookEndpoint),
        obj_id=endpoint.pk,
        changes=diff({}, _state(endpoint)),
    )
    return endpoint, secret


@transaction.atomic
def webhook_endpoint_update(
    *, endpoint: WebhookEndpoint, name: str, url: str, events: list[str], is_active: bool, actor
) -> WebhookEndpoint:
    check_webhook_url(url)
    endpoint = WebhookEndpoint.objects.select_for_update().get(pk=endpoint.pk)
    before = _state(endpoint)
    endpoint.name, endpoint.url, endpoint.is_active = name, url, is_active
    endpoint.save(update_fields=["name", "url", "is_active", "updated_at"])
    wanted = set(events)
    endpoint.subscriptions.exclude(event__in=wanted).delete()
    WebhookSubscription.objects.bulk_create(
        [WebhookSubscription(endpoint=endpoint, event=e) for e in sorted(wanted)], ignore_conflicts=True
    )
    changes = diff(before, _state(endpoint))
    if changes:
        audit_record(
            actor=actor,
            action=AuditEntry.Action.CHANGE,
            obj_label=label_of(WebhookEndpoint),
            obj_id=endpoint.pk,
            changes=changes,
        )
    if endpoint.is_active and not before["is_active"]:
        deliver_soon()  # what waited while it was off
    return endpoint


@transaction.atomic
def webhook_endpoint_rotate_secret(*, endpoint: WebhookEndpoint, actor) -> str:
    """A new secret, effective for the next delivery; returned to be shown once."""
    secret = new_secret()
    WebhookEndpoint.objects.filter(pk=endpoint.pk).update(secret_encrypted=seal(secret), updated_at=timezone.now())
    audit_record(
        actor=actor,
        action=AuditEntry.Action.CHANGE,
        obj_label=label_of(WebhookEndpoint),
        obj_id=endpoint.pk,
        reason="Signing secret rotated.",
    )
    return secret


@transaction.atomic
def webhook_delivery_retry(*, delivery: WebhookDelivery, actor) -> bool:
    """Send a failed delivery again (same event id), with a fresh allowance of attempts."""
    retried = WebhookDelivery.objects.filter(pk=delivery.pk, status=WebhookDelivery.Status.FAILED).update(
        status=WebhookDelivery.Status.PENDING, attempts=0, next_attempt_at=timezone.now()
    )
    if retried:
        audit_record(
            actor=actor,
            action=AuditEntry.Action.CHANGE,
            obj_label=label_of(WebhookDelivery),
            obj_id=delivery.pk,
            reason=f"Sent again ({delivery.event}, {delivery.event_id}).",
        )
        deliver_soon()
    return bool(retried)
