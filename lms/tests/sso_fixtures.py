"""Fixtures that point our single sign-on at the suite's own identity providers
(lms.tests.identity_providers): an OpenID Connect provider on the live server's 127.0.0.1 address
(so its session cookie is not ours, at localhost) and a pysaml2 SAML identity provider."""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path
from urllib.parse import parse_qs, urlsplit

import pytest
from django.test import Client

from lms.tests import identity_providers
from lms.tests.identity_providers import DIRECTORY, SamlIdentityProvider

CLIENT_ID = "lms-test-client"
CLIENT_SECRET = "lms-test-client-secret-0123456789"


@dataclass
class OidcProvider:
    rp_base: str
    op_base: str

    def add_account(self, key: str, **claims) -> None:
        DIRECTORY[key] = claims


def configure_oidc(settings, *, rp_base: str, op_base: str) -> OidcProvider:
    from oauth2_provider.models import get_application_model

    application = get_application_model()
    application.objects.create(
        name="Training site",
        client_id=CLIENT_ID,
        client_secret=CLIENT_SECRET,
        client_type=application.CLIENT_CONFIDENTIAL,
        authorization_grant_type=application.GRANT_AUTHORIZATION_CODE,
        redirect_uris=f"{rp_base}/oidc/callback/ http://testserver/oidc/callback/",
        algorithm=application.RS256_ALGORITHM,
        skip_authorization=True,
    )
    settings.OIDC_RP_CLIENT_ID = CLIENT_ID
    settings.OIDC_RP_CLIENT_SECRET = CLIENT_SECRET
    settings.OIDC_OP_AUTHORIZATION_ENDPOINT = f"{op_base}/test-op/authorize/"
    settings.OIDC_OP_TOKEN_ENDPOINT = f"{op_base}/test-op/token/"
    settings.OIDC_OP_USER_ENDPOINT = f"{op_base}/test-op/userinfo/"
    settings.OIDC_OP_JWKS_ENDPOINT = f"{op_base}/test-op/jwks/"
    settings.SSO_PROVIDER_NAME = "Test IdP"
    DIRECTORY.clear()
    return OidcProvider(rp_base=rp_base, op_base=op_base)


@pytest.fixture
def oidc(live_server, settings):
    """Our OIDC client pointed at the suite's provider (token, userinfo and keys fetched over HTTP)."""
    provider = configure_oidc(
        settings, rp_base=live_server.url, op_base=live_server.url.replace("localhost", "127.0.0.1")
    )
    yield provider
    DIRECTORY.clear()


def oidc_sign_in(client: Client, provider: OidcProvider, account: str, *, start: str = "/oidc/authenticate/"):
    """The authorization code flow with the Django test client as the browser: our redirect to
    the provider, the provider's own sign-in and authorization, the callback with the code.
    Returns the callback's response."""
    response = client.get(start)
    assert response.status_code == 302, response
    authorize = urlsplit(response["Location"])
    assert authorize.path == "/test-op/authorize/"
    op_client = Client()
    authorize_path = f"{authorize.path}?{authorize.query}"
    signed_in = op_client.post("/test-op/login/", {"account": account, "next": authorize_path})
    assert signed_in.status_code == 302
    answer = op_client.get(authorize_path)
    assert answer.status_code == 302, answer.content[:500]
    if urlsplit(answer["Location"]).path == "/test-op/login/":
        # prompt=login: the provider asks the person to sign in again, then authorizes.
        next_path = parse_qs(urlsplit(answer["Location"]).query)["next"][0]
        op_client.post("/test-op/login/", {"account": account, "next": next_path})
        answer = op_client.get(next_path)
        assert answer.status_code == 302, answer.content[:500]
    callback = urlsplit(answer["Location"])
    assert callback.path == "/oidc/callback/", answer["Location"]
    return client.get(f"/oidc/callback/?{callback.query}")


def authorize_query(response) -> dict[str, list[str]]:
    return parse_qs(urlsplit(response["Location"]).query)


def configure_saml(settings, *, base: str, directory: Path) -> SamlIdentityProvider:
    from saml2.metadata import entity_descriptor

    from lms.sso import saml_config

    settings.SITE_URL = base
    settings.SAML_SP_ENTITY_ID = f"{base}/saml2/metadata/"
    settings.SSO_PROVIDER_NAME = "Test IdP"
    sp_metadata = directory / "sp-metadata.xml"
    idp = SamlIdentityProvider(base_url=base, directory=directory, sp_metadata_file=sp_metadata)
    settings.SAML_IDP_METADATA_FILE = str(idp.metadata_file)
    sp_metadata.write_text(str(entity_descriptor(saml_config())))
    # Another service provider the IdP also serves (the "wrong audience" answers are meant for it).
    from saml2.config import SPConfig

    other = SPConfig()
    other.load(
        {
            "entityid": "https://elsewhere.example/sp",
            "service": {"sp": {"endpoints": {"assertion_consumer_service": ["https://elsewhere.example/acs"]}}},
        }
    )
    (directory / "sp-elsewhere.xml").write_text(str(entity_descriptor(other)))
    identity_providers.CURRENT["idp"] = idp
    return idp


@pytest.fixture
def saml(settings, tmp_path):
    """Our SAML service provider pointed at a pysaml2 IdP (the Django test client as the browser)."""
    idp = configure_saml(settings, base="http://testserver", directory=tmp_path)
    yield idp
    identity_providers.CURRENT.clear()


def saml_start(client: Client, idp: SamlIdentityProvider, *, start: str = "/saml2/login/") -> str:
    """Our AuthnRequest to the IdP; returns the request's id (the IdP's page is then at
    ``idp.last_response``)."""
    from saml2 import BINDING_HTTP_REDIRECT

    response = client.get(start)
    assert response.status_code == 302, response
    location = urlsplit(response["Location"])
    assert location.path == "/test-op/saml/sso/"
    query = parse_qs(location.query)
    request = idp.server().parse_authn_request(query["SAMLRequest"][0], BINDING_HTTP_REDIRECT)
    idp.last_response = {"RelayState": query.get("RelayState", [""])[0]}
    return request.message.id


def saml_post(client: Client, saml_response: str, relay_state: str = "/"):
    return client.post("/saml2/acs/", {"SAMLResponse": saml_response, "RelayState": relay_state})
