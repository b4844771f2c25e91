"""The admins' webhook pages: the list, register, the endpoint with its delivery log, change,
rotate the secret, send a failed delivery again."""

from __future__ import annotations

import secrets

from django.contrib import messages
from django.core.cache import cache
from django.core.exceptions import ValidationError
from django.core.paginator import Paginator
from django.db.models import Count, Q
from django.shortcuts import get_object_or_404, redirect, render
from django.utils.translation import gettext as _
from django.views.decorators.http import require_http_methods, require_POST

from escalation.models import WebhookDelivery, WebhookEndpoint, WebhookSubscription
from escalation.webhooks import services
from escalation.webhooks.forms import WebhookEndpointForm
from escalation.webhooks.signing import HEADER
from lms.permissions import admin_required

LOG_PAGE_SIZE = 50
# The secret just issued, shown once on the endpoint's page after the redirect, then forgotten.
SESSION_KEY = "webhook_secret_once"
CLAIM_SECONDS = 60 * 60


def _show_secret_once(request, endpoint: WebhookEndpoint, secret: str) -> None:
    request.session[SESSION_KEY] = {"endpoint": endpoint.pk, "secret": secret, "once": secrets.token_urlsafe(16)}


def _secret_to_show(request, endpoint: WebhookEndpoint) -> str | None:
    """The secret just issued for ``endpoint``, to one request only, then dropped from the session.

    Requests made at the same time each load the session before any of them saves it, so taking
    the secret out of the session is not enough: its one-time id is claimed with ``cache.add``,
    which succeeds for exactly one of them (atomic in the shared cache, CACHE_URL, that production
    sets for every web process; per process without it)."""
    once = request.session.pop(SESSION_KEY, None)
    if not once or once.get("endpoint") != endpoint.pk or not once.get("once"):
        return None
    if not cache.add(f"webhooks:secret-shown:{once['once']}", True, CLAIM_SECONDS):
        return None
    return once["secret"]


@admin_required
def webhooks(request):
    rows = WebhookEndpoint.objects.annotate(
        pending=Count("deliveries", filter=Q(deliveries__status=WebhookDelivery.Status.PENDING)),
        failed=Count("deliveries", filter=Q(deliveries__status=WebhookDelivery.Status.FAILED)),
    ).prefetch_related("subscriptions")
    return render(request, "escalation/webhooks/list.html", {"endpoints": rows})


def _form_events(form) -> dict:
    data = form.cleaned_data
    return {"name": data["name"], "url": data["url"], "events": data["events"]}


@admin_required
@require_http_methods(["GET", "POST"])
def webhook_create(request):
    form = WebhookEndpointForm(request.POST or None)
    if request.method == "POST" and form.is_valid():
        try:
            endpoint, secret = services.webhook_endpoint_create(**_form_events(form), actor=request.user)
        except ValidationError as error:
            form.add_error("url", error)
        else:
            _show_secret_once(request, endpoint, secret)
            messages.success(request, _("Webhook “%(name)s” registered.") % {"name": endpoint.name})
            return redirect("escalation:webhook", pk=endpoint.pk)
    return render(request, "escalation/webhooks/form.html", {"form": form, "endpoint": None})


@admin_required
@require_http_methods(["GET", "POST"])
def webhook_edit(request, pk: int):
    endpoint = get_object_or_404(WebhookEndpoint, pk=pk)
    initial = {
        "name": endpoint.name,
        "url": endpoint.url,
        "is_active": endpoint.is_active,
        "events": list(endpoint.subscriptions.values_list("event", flat=True)),
    }
    form = WebhookEndpointForm(request.POST or None, initial=initial)
    if request.method == "POST" and form.is_valid():
        try:
            services.webhook_endpoint_update(
                endpoint=endpoint, **_form_events(form), is_active=form.cleaned_data["is_active"], actor=request.user
            )
        except ValidationError as error:
            form.add_error("url", error)
        else:
            messages.success(request, _("Webhook saved."))
            return redirect("escalation:webhook", pk=endpoint.pk)
    return render(request, "escalation/webhooks/form.html", {"form": form, "endpoint": endpoint})


@admin_required
def webhook(request, pk: int):
    endpoint = get_object_or_404(WebhookEndpoint, pk=pk)
    secret = _secret_to_show(request, endpoint)
    labels = dict(WebhookSubscription.Event.choices)
    events = [labels.get(e, e) for e in endpoint.subscriptions.order_by("event").values_list("event", flat=True)]
    log = Paginator(endpoint.deliveries.order_by("-created_at", "-pk"), LOG_PAGE_SIZE).get_page(request.GET.get("page"))
    context = {
        "endpoint": endpoint,
        "events": events,
        "secret": secret,
        "log": log,
        "header": HEADER,
        "Status": WebhookDelivery.Status,
    }
    response = render(request, "escalation/webhooks/detail.html", context)
    if secret:
        response["Cache-Control"] = "no-store"
    return response


@admin_required
@require_POST
def webhook_rotate_secret(request, pk: int):
    endpoint = get_object_or_404(WebhookEndpoint, pk=pk)
    secret = services.webhook_endpoint_rotate_secret(endpoint=endpoint, actor=request.user)
    _show_secret_once(request, endpoint, secret)
    messages.success(request, _("A new signing secret is in use from the next delivery."))
    return redirect("escalation:webhook", pk=endpoint.pk)


@admin_required
@require_POST
def webhook_delivery_retry(request, pk: int, delivery_pk: int):
    delivery = get_object_or_404(WebhookDelivery, pk=delivery_pk, endpoint_id=pk)
    if services.webhook_delivery_retry(delivery=delivery, actor=request.user):
        messages.success(request, _("The delivery will be sent again."))
    else:
        messages.warning(request, _("Only a delivery that failed can be sent again."))
    return redirect("escalation:webhook", pk=pk)
