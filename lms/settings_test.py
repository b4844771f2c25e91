"""Settings of the test suite (pytest.ini): the development settings, plus the identity providers
that the single sign-on tests sign in through (lms.tests.identity_providers), at /test-op/:
an OpenID Connect provider (django-oauth-toolkit, RS256 ID tokens) and a SAML identity provider
page (pysaml2's server). Never used by a deployment."""

from __future__ import annotations

from cryptography.hazmat.primitives import serialization
from cryptography.hazmat.primitives.asymmetric import rsa

from lms.settings import *  # noqa: F403
from lms.settings import INSTALLED_APPS

TEST_IDENTITY_PROVIDERS = True
# The provider's models stay out of the Django admin (lms.tests.provider_app).
INSTALLED_APPS = [*INSTALLED_APPS, "oauth2_provider", "lms.tests.provider_app.TestIdentityProvidersConfig"]

_op_key = rsa.generate_private_key(public_exponent=65537, key_size=2048)
OAUTH2_PROVIDER = {
    "OIDC_ENABLED": True,
    "OIDC_RSA_PRIVATE_KEY": _op_key.private_bytes(
        serialization.Encoding.PEM, serialization.PrivateFormat.PKCS8, serialization.NoEncryption()
    ).decode(),
    "PKCE_REQUIRED": True,
    "SCOPES": {"openid": "OpenID Connect", "email": "Email", "profile": "Profile"},
    "OAUTH2_VALIDATOR_CLASS": "lms.tests.identity_providers.DirectoryValidator",
    "ALLOWED_REDIRECT_URI_SCHEMES": ["http", "https"],
}
