from __future__ import annotations

from django import forms
from django.core.exceptions import ValidationError
from django.utils.translation import gettext_lazy as _

from escalation.models import WebhookEndpoint, WebhookSubscription
from escalation.webhooks.addresses import check_webhook_url


class WebhookEndpointForm(forms.Form):
    name = forms.CharField(
        label=_("Name"),
        max_length=WebhookEndpoint._meta.get_field("name").max_length,
        help_text=_("What the receiving system is, for example “HR data warehouse”."),
    )
    url = forms.URLField(
        label=_("Address (URL)"),
        max_length=WebhookEndpoint._meta.get_field("url").max_length,
        assume_scheme="https",
        help_text=_("An https:// address on the public internet; private and internal addresses are refused."),
    )
    events = forms.MultipleChoiceField(
        label=_("Events"),
        choices=WebhookSubscription.Event.choices,
        widget=forms.CheckboxSelectMultiple,
        error_messages={"required": _("Choose at least one event.")},
    )
    is_active = forms.BooleanField(
        label=_("Active"),
        required=False,
        initial=True,
        help_text=_("While off, deliveries wait and are sent when it is switched on again."),
    )

    def clean_url(self):
        url = self.cleaned_data["url"]
        try:
            check_webhook_url(url)
        except ValidationError as error:
            raise ValidationError(error.messages) from error
        return url
