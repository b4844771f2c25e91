"""Real identity providers inside the test suite, at /test-op/ (lms.settings_test only).

OpenID Connect provider: django-oauth-toolkit with OIDC on, issuing RS256 ID tokens signed with
the key in ``OAUTH2_PROVIDER`` and published at ``jwks/``. Its own accounts are people whose
email ends in ``@test-op.invalid`` (signed in at ``login/``, on the provider's host); the claims
it asserts for an account come from ``DIRECTORY`` (account key -> claims), as an identity
provider's directory would. Tests count people other than the provider's accounts.

SAML identity provider: pysaml2's ``saml2.server.Server`` (``SamlIdentityProvider``) with a key
and self-signed certificate made with cryptography. ``saml/sso/`` takes our AuthnRequest (HTTP
Redirect binding) and shows a page whose button posts the signed response to our ACS (the page
has no script: the site's CSP allows none inline).
"""

from __future__ import annotations

import datetime as dt
import time
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from cryptography import x509
from cryptography.hazmat.primitives import hashes, serialization
from cryptography.hazmat.primitives.asymmetric import rsa
from cryptography.x509.oid import NameOID
from csp.decorators import csp_exempt
from django.contrib.auth import login
from django.http import HttpRequest, HttpResponse, HttpResponseBadRequest
from django.shortcuts import redirect
from django.urls import path
from django.utils.html import format_html
from django.utils.safestring import mark_safe
from django.views.decorators.csrf import csrf_exempt
from oauth2_provider import views as op_views
from oauth2_provider.oauth2_validators import OAuth2Validator

from lms.models import User

OP_DOMAIN = "test-op.invalid"
# Account key -> the claims the provider asserts for it (email, given_name, ...).
DIRECTORY: dict[str, dict[str, Any]] = {}


def op_account_email(key: str) -> str:
    return f"{key}@{OP_DOMAIN}"


def people_count() -> int:
    """People in the LMS, not counting the test provider's own accounts."""
    return User.objects.exclude(email__endswith=f"@{OP_DOMAIN}").count()


class DirectoryValidator(OAuth2Validator):
    # Every claim of the directory entry goes into the ID token and userinfo.
    oidc_claim_scope = None

    def get_additional_claims(self, request):
        key = request.user.email.rpartition("@")[0]
        return dict(DIRECTORY.get(key, {}))


class ProviderAuthorizationView(op_views.AuthorizationView):
    login_url = "/test-op/login/"


@csp_exempt()
@csrf_exempt
def provider_login(request: HttpRequest) -> HttpResponse:
    """The provider's own sign-in page: pick a directory account."""
    next_url = request.GET.get("next") or request.POST.get("next") or "/"
    if request.method == "POST":
        key = request.POST.get("account", "")
        if key not in DIRECTORY:
            return HttpResponseBadRequest("Unknown account")
        user, _created = User.objects.get_or_create(
            email=op_account_email(key), defaults={"first_name": "Provider", "last_name": key}
        )
        login(request, user, backend="lms.backends.EmailBackend")
        return redirect(next_url)
    options = "".join(
        format_html('<option value="{}">{}</option>', key, claims.get("email", key))
        for key, claims in DIRECTORY.items()
    )
    return HttpResponse(
        format_html(
            "<!doctype html><html lang='en'><title>Test identity provider</title><main><h1>Test identity provider</h1>"
            "<form method='post'><input type='hidden' name='next' value='{}'>"
            "<label for='account'>Account</label> <select id='account' name='account'>{}</select>"
            "<button type='submit'>Sign in at the provider</button></form></main></html>",
            next_url,
            mark_safe(options),  # each option escaped by format_html above
        )
    )


# --- SAML --------------------------------------------------------------------------------------


def make_key_and_cert(directory: Path, name: str) -> tuple[Path, Path]:
    key = rsa.generate_private_key(public_exponent=65537, key_size=2048)
    subject = x509.Name([x509.NameAttribute(NameOID.COMMON_NAME, name)])
    now = dt.datetime.now(dt.UTC)
    cert = (
        x509.CertificateBuilder()
        .subject_name(subject)
        .issuer_name(subject)
        .public_key(key.public_key())
        .serial_number(x509.random_serial_number())
        .not_valid_before(now - dt.timedelta(days=1))
        .not_valid_after(now + dt.timedelta(days=30))
        .sign(key, hashes.SHA256())
    )
    key_path, cert_path = directory / f"{name}.key", directory / f"{name}.crt"
    key_path.write_bytes(
        key.private_bytes(serialization.Encoding.PEM, serialization.PrivateFormat.PKCS8, serialization.NoEncryption())
    )
    cert_path.write_bytes(cert.public_bytes(serialization.Encoding.PEM))
    return key_path, cert_path


@dataclass
class SamlIdentityProvider:
    """A pysaml2 IdP for one test: its metadata file is what ``SAML_IDP_METADATA_FILE`` names."""

    base_url: str
    directory: Path
    sp_metadata_file: Path
    entity_id: str = "https://idp.test-op.invalid/metadata"
    key_file: Path = field(init=False)
    cert_file: Path = field(init=False)
    metadata_file: Path = field(init=False)
    # What the IdP page does with the next request: "good", "wrong_audience", "unsigned", "forged".
    scenario: str = "good"
    identity: dict[str, list[str]] = field(default_factory=dict)
    last_response: dict[str, str] = field(default_factory=dict)

    def __post_init__(self):
        self.key_file, self.cert_file = make_key_and_cert(self.directory, "idp")
        self.metadata_file = self.directory / "idp-metadata.xml"
        from saml2.metadata import entity_descriptor

        self.metadata_file.write_text(str(entity_descriptor(self._config())))

    def _config(self, key_file: Path | None = None, cert_file: Path | None = None):
        from saml2 import BINDING_HTTP_POST, BINDING_HTTP_REDIRECT
        from saml2.config import IdPConfig

        config = IdPConfig()
        config.load(
            {
                "entityid": self.entity_id,
                "xmlsec_binary": "/usr/bin/xmlsec1",
                "key_file": str(key_file or self.key_file),
                "cert_file": str(cert_file or self.cert_file),
                # Every service provider it knows: ours, and another one (sp-*.xml).
                "metadata": {"local": sorted(str(p) for p in self.directory.glob("sp-*.xml"))},
                "service": {
                    "idp": {
                        "endpoints": {
                            "single_sign_on_service": [
                                (f"{self.base_url}/test-op/saml/sso/", BINDING_HTTP_REDIRECT),
                                (f"{self.base_url}/test-op/saml/sso/", BINDING_HTTP_POST),
                            ]
                        },
                        "name_id_format": ["urn:oasis:names:tc:SAML:1.1:nameid-format:emailAddress"],
                        "policy": {"default": {"lifetime": {"minutes": 5}, "attribute_restrictions": None}},
                    }
                },
            }
        )
        return config

    def server(self, *, forged: bool = False):
        from saml2.server import Server

        if forged:
            key, cert = make_key_and_cert(self.directory, "forger")
            return Server(config=self._config(key, cert))
        return Server(config=self._config())

    def respond(
        self, *, in_response_to: str | None, destination: str, sp_entity_id: str, scenario: str | None = None
    ) -> str:
        """A base64 SAMLResponse as the IdP would post it."""
        import base64

        from saml2.saml import NAMEID_FORMAT_EMAILADDRESS, NameID

        scenario = scenario or self.scenario
        server = self.server(forged=scenario == "forged")
        email = self.identity.get("email", ["nobody@example.com"])[0]
        signed = scenario != "unsigned"
        response = server.create_authn_response(
            identity=self.identity,
            in_response_to=in_response_to,
            destination=destination,
            sp_entity_id="https://elsewhere.example/sp" if scenario == "wrong_audience" else sp_entity_id,
            name_id=NameID(format=NAMEID_FORMAT_EMAILADDRESS, text=email),
            authn={"class_ref": "urn:oasis:names:tc:SAML:2.0:ac:classes:Password", "authn_instant": time.time()},
            sign_assertion=signed,
            sign_response=signed,
        )
        return base64.b64encode(str(response).encode()).decode()


# The provider of the running test (set by the fixture).
CURRENT: dict[str, SamlIdentityProvider] = {}


def saml_sso(request: HttpRequest) -> HttpResponse:
    """The IdP's single sign-on endpoint: reads our AuthnRequest, shows the post-back page."""
    from saml2 import BINDING_HTTP_REDIRECT

    idp = CURRENT["idp"]
    parsed = idp.server().parse_authn_request(request.GET["SAMLRequest"], BINDING_HTTP_REDIRECT)
    message = parsed.message
    saml_response = idp.respond(
        in_response_to=message.id,
        destination=message.assertion_consumer_service_url,
        sp_entity_id=message.issuer.text,
    )
    idp.last_response = {
        "SAMLResponse": saml_response,
        "RelayState": request.GET.get("RelayState", ""),
        "acs": message.assertion_consumer_service_url,
        "force_authn": str(message.force_authn or ""),
    }
    return HttpResponse(
        format_html(
            "<!doctype html><html lang='en'><title>Test SAML identity provider</title><main>"
            "<h1>Test SAML identity provider</h1><form method='post' action='{}'>"
            "<input type='hidden' name='SAMLResponse' value='{}'><input type='hidden' name='RelayState' value='{}'>"
            "<button type='submit'>Continue to the training site</button></form></main></html>",
            message.assertion_consumer_service_url,
            saml_response,
            request.GET.get("RelayState", ""),
        )
    )


# django-oauth-toolkit reverses its own names (the issuer from the discovery document's address).
app_name = "oauth2_provider"
urlpatterns = [
    path("login/", provider_login, name="login"),
    path("authorize/", ProviderAuthorizationView.as_view(), name="authorize"),
    path("token/", op_views.TokenView.as_view(), name="token"),
    path("userinfo/", op_views.UserInfoView.as_view(), name="user-info"),
    path("jwks/", op_views.JwksInfoView.as_view(), name="jwks-info"),
    path(
        ".well-known/openid-configuration",
        op_views.ConnectDiscoveryInfoView.as_view(),
        name="oidc-connect-discovery-info",
    ),
    path("saml/sso/", saml_sso, name="saml_sso"),
]
