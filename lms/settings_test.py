"""Settings of the test suite (pytest.ini): the development settings, plus the identity providers
that the single sign-on tests sign in through (lms.tests.identity_providers), at /test-op/:
an OpenID Connect provider (django-oauth-toolkit, RS256 ID tokens) and a SAML identity provider
page (pysaml2's server). Never used by a deployment."""

from __future__ import annotations

import copy

from cryptography.hazmat.primitives import serialization
from cryptography.hazmat.primitives.asymmetric import rsa

from lms.settings import *  # noqa: F403
from lms.settings import DATABASES, INSTALLED_APPS

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

# The read replica's stand-in (lms.replica; reports/tests/test_replica.py): on PostgreSQL a second
# database on the same server, which those tests make a copy of the primary's test database
# (lms.tests.replica). Only a test that asks for the alias has it created, and reports read from it
# only in a test that turns REPLICA_READS on: the other tests' databases do not include it.
REPLICA_READS = False
if DATABASES["default"]["ENGINE"] == "django.db.backends.postgresql":
    _primary_test_name = DATABASES["default"].get("TEST", {}).get("NAME") or f"test_{DATABASES['default']['NAME']}"
    DATABASES["replica"] = {
        **copy.deepcopy(DATABASES["default"]),
        # No migrations: the copy brings the schema, as replication does.
        "TEST": {"NAME": f"{_primary_test_name}_replica", "MIGRATE": False},
    }
