"""Single sign-on: OpenID Connect (mozilla-django-oidc) and SAML 2.0 (djangosaml2 on pysaml2).

Both protocols end in ``sso_user``, so one set of rules decides who comes in:

- **Matching.** A person is the account whose email equals the identity provider's email claim
  (OIDC) or attribute (SAML), case-insensitively. Nothing else about an existing account changes
  at sign-in: HR data comes from the person form, the CSV import or SCIM.
- **Leavers are refused.** An inactive account gets "your account is no longer active", and no
  session.
- **Just-in-time creation** (``SSO_CREATE_USERS``, off by default): an unknown email becomes a
  person through ``lms.services.user_create`` (validation, assignment rules, audit rows and the
  welcome email run as for a person added by hand), with employee id, department (found by name or
  made), job title and manager (found by email among active people) read from the claims named in
  ``SSO_ATTRIBUTE_MAP``, and their language from the ``locale`` claim (OIDC) or the attribute
  mapped to it (SAML, ``SSO_ATTR_LOCALE``): a BCP 47 tag read by ``lms.languages.language_code``,
  ignored when the site does not have that language. Its audit rows say "via single sign-on (OIDC|SAML)". A refusal (no email,
  no names, an employee id already taken) creates nothing: the creation is one transaction.
- **A refusal is a page, never a 500.** Both protocols render ``registration/sso_refused.html``
  (status 403) with one message saying what happened and what to do.

SAML responses are checked by pysaml2 against the IdP's metadata: the signature of the assertion
(``want_assertions_signed``), the audience (our entity id), the validity window and, through the
outstanding requests djangosaml2 keeps in its session cookie, that the response answers a request
we made. On top of that every assertion id is written to ``SsoAssertion`` (unique) until its
NotOnOrAfter, so a response presented twice is refused even where the session would not catch it.

Password login: with ``SSO_PASSWORD_LOGIN`` off, people whose email domain is in ``SSO_DOMAINS``
cannot log in with a password (the login form tells them to use single sign-on) and the password
reset form sends them nothing (``password_login_allowed``).

Attestation: a person who cannot use a password (``password_login_allowed`` false) signs a
compliance-critical attestation with a fresh sign-in at the identity provider instead of the
password: ``/accounts/sso/reauthenticate/`` asks the provider to authenticate again (OIDC
``prompt=login`` with ``max_age``, SAML ``ForceAuthn``) and the session records the moment the
provider says the person authenticated (OIDC ``auth_time``, SAML ``AuthnInstant``). The attestation
accepts it for ``SSO_REAUTH_MAX_AGE`` seconds and only once (``reauth_consume``). Everyone else
re-enters their password through the lockout as before.
"""

from __future__ import annotations

import datetime as dt
import logging
import time
from collections.abc import Mapping
from typing import Any
from urllib.parse import urlencode

import requests
from django.conf import settings
from django.core.exceptions import PermissionDenied, SuspiciousOperation, ValidationError
from django.db import IntegrityError, transaction
from django.http import Http404, HttpRequest, HttpResponse, HttpResponseRedirect
from django.shortcuts import render
from django.urls import reverse
from django.utils import timezone
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy
from djangosaml2.backends import Saml2Backend
from djangosaml2.views import AssertionConsumerServiceView, LoginView
from mozilla_django_oidc.auth import OIDCAuthenticationBackend
from mozilla_django_oidc.views import OIDCAuthenticationCallbackView, OIDCAuthenticationRequestView

from lms.audit import audit_via
from lms.invitations import uses_sso
from lms.languages import language_code
from lms.models import Department, SsoAssertion, User
from lms.redirects import next_url

logger = logging.getLogger(__name__)

# Session keys: when the identity provider last authenticated the person (epoch seconds), how,
# and whether that sign-in was asked for to sign an attestation.
SESSION_AUTH_AT = "lms_sso_auth_at"
SESSION_METHOD = "lms_sso_method"
SESSION_REAUTH = "lms_sso_reauth"
# Set on the request by a refusal, read by the page that says why.
REFUSAL_ATTR = "lms_sso_refusal"

LEFT = gettext_lazy(
    "Your account is no longer active, so single sign-on cannot let you in. If you have come back, "
    "ask your training administrator to re-activate it."
)
NO_ACCOUNT = gettext_lazy(
    "There is no account for %(email)s here. Ask your training administrator to add you; nothing has been created."
)
NO_EMAIL = gettext_lazy(
    "The identity provider did not send an email address (claim or attribute %(name)s), so you "
    "cannot be matched to an account. Nothing has been created."
)
NOT_VERIFIED = gettext_lazy(
    "The identity provider says your email address is not verified, so you cannot be matched to an account."
)
GENERIC = gettext_lazy("Single sign-on did not complete. Nothing has been changed: try again from the log-in page.")


class SsoRefused(Exception):
    def __init__(self, message: str):
        super().__init__(message)
        self.message = str(message)


# --- who may use what ------------------------------------------------------------------------


def oidc_enabled() -> bool:
    return bool(
        settings.OIDC_RP_CLIENT_ID and (settings.OIDC_OP_AUTHORIZATION_ENDPOINT or settings.OIDC_OP_DISCOVERY_URL)
    )


# An endpoint left empty is read from the provider's discovery document (OIDC_OP_DISCOVERY_URL).
DISCOVERED = {
    "OIDC_OP_AUTHORIZATION_ENDPOINT": "authorization_endpoint",
    "OIDC_OP_TOKEN_ENDPOINT": "token_endpoint",
    "OIDC_OP_USER_ENDPOINT": "userinfo_endpoint",
    "OIDC_OP_JWKS_ENDPOINT": "jwks_uri",
}


def oidc_discovery() -> dict[str, Any]:
    """The provider's ``/.well-known/openid-configuration``, kept an hour in the default cache;
    {} when it cannot be read (the sign-in then says the provider cannot be reached)."""
    from django.core.cache import cache

    url = settings.OIDC_OP_DISCOVERY_URL
    key = f"lms:oidc-discovery:{url}"
    document = cache.get(key)
    if document is None:
        try:
            response = requests.get(url, timeout=settings.OIDC_TIMEOUT)
            response.raise_for_status()
            document = response.json()
            if not isinstance(document, dict):
                raise ValueError("not a JSON object")
        except (requests.RequestException, ValueError) as error:
            logger.warning("OpenID Connect discovery at %s failed: %s", url, error)
            return {}
        cache.set(key, document, 60 * 60)
    return document


def oidc_setting(attr: str, *args):
    """mozilla-django-oidc's ``get_settings``, with empty endpoints filled in by discovery."""
    from mozilla_django_oidc.utils import import_from_settings

    value = import_from_settings(attr, *args)
    if not value and attr in DISCOVERED and settings.OIDC_OP_DISCOVERY_URL:
        value = str(oidc_discovery().get(DISCOVERED[attr], ""))
    return value


def saml_enabled() -> bool:
    return bool(settings.SAML_IDP_METADATA_FILE or settings.SAML_IDP_METADATA_URL)


def password_login_allowed(email: str) -> bool:
    """False for people in ``SSO_DOMAINS`` when ``SSO_PASSWORD_LOGIN`` is off."""
    return settings.SSO_PASSWORD_LOGIN or not uses_sso(email or "")


# --- matching and just-in-time creation ------------------------------------------------------


def _first(value: Any) -> str:
    if isinstance(value, list | tuple):
        value = value[0] if value else ""
    if value is None:
        return ""
    return str(value).strip()


def mapped_attributes(claims: Mapping[str, Any]) -> dict[str, str]:
    """Each field of ``SSO_ATTRIBUTE_MAP`` as one trimmed string: the value of the first of its
    names that the claims carry ("" when none does)."""
    values = {}
    for field, names in settings.SSO_ATTRIBUTE_MAP.items():
        values[field] = next((_first(claims[name]) for name in names if _first(claims.get(name))), "")
    return values


def _names(field: str) -> str:
    return " / ".join(f"“{name}”" for name in settings.SSO_ATTRIBUTE_MAP[field])


def _create(values: dict[str, str], source: str) -> User:
    from lms import services

    missing = [field for field in ("first_name", "last_name") if not values[field]]
    if missing:
        names = ", ".join(_names(field) for field in missing)
        raise SsoRefused(
            _("The identity provider did not send your name (%(names)s), so no account could be made for you.")
            % {"names": names}
        )
    department = None
    if values["department"]:
        department = Department.objects.filter(name__iexact=values["department"]).first()
        if department is None:
            department = services.department_create(name=values["department"][:120])
    manager = None
    if values["manager_email"]:
        manager = User.objects.filter(email__iexact=values["manager_email"], is_active=True).first()
    try:
        return services.user_create(
            email=values["email"],
            first_name=values["first_name"][:150],
            last_name=values["last_name"][:150],
            employee_id=values["employee_id"][:64] or None,
            department=department,
            job_title=values["job_title"][:150],
            manager=manager,
            # A language the site does not have is ignored: the person starts in the default one.
            locale=language_code(values.get("locale")) or settings.LANGUAGE_CODE,
        )
    except ValidationError as error:
        messages = "; ".join(f"{field}: {' '.join(errs)}" for field, errs in error.message_dict.items())
        raise SsoRefused(
            _("No account could be made for you from the identity provider's details (%(errors)s).")
            % {"errors": messages}
        ) from None


def sso_user(*, claims: Mapping[str, Any], source: str) -> User:
    """The active person these claims name, made when ``SSO_CREATE_USERS`` allows; else
    ``SsoRefused``. Nothing is written on a refusal."""
    values = mapped_attributes(claims)
    email = values["email"]
    if not email or "@" not in email:
        raise SsoRefused(NO_EMAIL % {"name": _names("email")})
    if claims.get("email_verified") in (False, "false", "False"):
        raise SsoRefused(NOT_VERIFIED)
    user = User.objects.filter(email__iexact=email).first()
    if user is not None:
        if not user.is_active:
            raise SsoRefused(LEFT)
        return user
    if not settings.SSO_CREATE_USERS:
        raise SsoRefused(NO_ACCOUNT % {"email": email})
    with audit_via(_("single sign-on (%(source)s)") % {"source": source}), transaction.atomic():
        return _create(values, source)


def _refuse(request: HttpRequest | None, error: SsoRefused) -> None:
    logger.info("Single sign-on refused: %s", error.message)
    if request is not None:
        setattr(request, REFUSAL_ATTR, error.message)


def not_configured(request: HttpRequest) -> HttpResponse:
    """A sign-in page of a protocol that is not set up here: back to the log-in page, saying so."""
    from django.contrib import messages

    messages.info(request, _("Single sign-on is not set up on this site: log in with your email address and password."))
    return HttpResponseRedirect(reverse("login"))


def refused_page(request: HttpRequest, message: str | None = None, status: int = 403) -> HttpResponse:
    message = message or getattr(request, REFUSAL_ATTR, None) or str(GENERIC)
    return render(request, "registration/sso_refused.html", {"message": message}, status=status)


def _mark_session(request: HttpRequest, *, method: str, authenticated_at: float | None) -> None:
    """Record on the (new) session that the provider authenticated the person at this moment."""
    request.session[SESSION_METHOD] = method
    request.session[SESSION_AUTH_AT] = float(authenticated_at or time.time())


def attests_with_sso(user) -> bool:
    """Whether ``user`` signs attestations with a fresh single sign-on instead of a password: their
    password login is switched off, or they sign in with single sign-on and never had a password."""
    if not (oidc_enabled() or saml_enabled()):
        return False
    return not password_login_allowed(user.email) or (uses_sso(user.email) and not user.has_usable_password())


def reauth_age(request: HttpRequest) -> int | None:
    """Seconds since the identity provider's sign-in asked for an attestation (None if none)."""
    at = request.session.get(SESSION_AUTH_AT)
    if not request.session.get(SESSION_REAUTH) or not isinstance(at, int | float):
        return None
    return int(time.time() - at)


def reauth_fresh(request: HttpRequest) -> bool:
    """True when the session holds a sign-in asked for by ``/accounts/sso/reauthenticate/`` that the
    identity provider made at most ``SSO_REAUTH_MAX_AGE`` seconds ago."""
    at = request.session.get(SESSION_AUTH_AT)
    if not request.session.get(SESSION_REAUTH) or not isinstance(at, int | float):
        return False
    return 0 <= time.time() - at <= settings.SSO_REAUTH_MAX_AGE


def reauth_consume(request: HttpRequest) -> None:
    """One fresh sign-in signs one attestation."""
    request.session.pop(SESSION_REAUTH, None)


# --- OpenID Connect --------------------------------------------------------------------------


class SsoOIDCBackend(OIDCAuthenticationBackend):
    """Matches and creates through ``sso_user``; refuses inactive people with a message."""

    get_settings = staticmethod(oidc_setting)

    def get_or_create_user(self, access_token, id_token, payload):
        claims = {**payload, **(self.get_userinfo(access_token, id_token, payload) or {})}
        try:
            user = sso_user(claims=claims, source="OIDC")
        except SsoRefused as error:
            _refuse(self.request, error)
            return None
        # When the provider says the person authenticated (``auth_time``, asked for with max_age),
        # else when it issued the token.
        self.request.lms_sso_auth_at = payload.get("auth_time") or payload.get("iat")
        return user

    def get_userinfo(self, access_token, id_token, payload):
        if not self.OIDC_OP_USER_ENDPOINT:
            return {}
        return super().get_userinfo(access_token, id_token, payload)

    def user_can_authenticate(self, user) -> bool:
        return user.is_active


class SsoOIDCAuthenticateView(OIDCAuthenticationRequestView):
    get_settings = staticmethod(oidc_setting)

    def get(self, request):
        if not oidc_enabled():
            return not_configured(request)
        if not self.OIDC_OP_AUTH_ENDPOINT:
            return refused_page(
                request, _("The identity provider cannot be reached just now. Try again in a few minutes."), status=503
            )
        request.session[SESSION_REAUTH + "_pending"] = bool(request.GET.get("reauth"))
        return super().get(request)

    def get_extra_params(self, request):
        params = dict(super().get_extra_params(request))
        if request.GET.get("reauth"):
            params.update({"prompt": "login", "max_age": str(settings.SSO_REAUTH_MAX_AGE)})
        return params


class SsoOIDCCallbackView(OIDCAuthenticationCallbackView):
    get_settings = staticmethod(oidc_setting)

    def get(self, request):
        if not oidc_enabled():
            return not_configured(request)
        try:
            return super().get(request)
        except SuspiciousOperation:
            # A callback whose state this browser never asked for (replayed, or another tab's), or
            # an ID token whose signature or nonce does not verify.
            return refused_page(
                request, _("This sign-in answer was not expected here (it may have been used already).")
            )
        except requests.RequestException as error:
            # The provider refused the code (used, expired or forged) or could not be reached.
            logger.warning("OpenID Connect token or userinfo request failed: %s", error)
            return refused_page(
                request,
                _("The identity provider did not confirm this sign-in (the answer may have been used already)."),
            )

    def login_failure(self):
        if self.request.GET.get("error"):
            return refused_page(
                self.request,
                _("The identity provider did not sign you in (%(error)s). Nothing has been changed.")
                % {"error": self.request.GET["error"][:100]},
            )
        return refused_page(self.request)

    def login_success(self):
        reauth = bool(self.request.session.get(SESSION_REAUTH + "_pending"))
        response = super().login_success()
        _mark_session(self.request, method="oidc", authenticated_at=getattr(self.request, "lms_sso_auth_at", None))
        self.request.session[SESSION_REAUTH] = reauth
        return response


# --- SAML 2.0 --------------------------------------------------------------------------------


def saml_config(request: HttpRequest | None = None):
    """djangosaml2's ``SAML_CONFIG_LOADER``: the service provider's pysaml2 configuration, from the
    environment (README "Connecting an identity provider")."""
    from saml2 import BINDING_HTTP_POST
    from saml2.config import SPConfig
    from saml2.saml import NAMEID_FORMAT_UNSPECIFIED

    if not saml_enabled():
        raise Http404
    metadata: dict[str, Any] = {}
    if settings.SAML_IDP_METADATA_FILE:
        metadata["local"] = [settings.SAML_IDP_METADATA_FILE]
    if settings.SAML_IDP_METADATA_URL:
        metadata["remote"] = [{"url": settings.SAML_IDP_METADATA_URL}]
    signing = bool(settings.SAML_SP_KEY_FILE and settings.SAML_SP_CERT_FILE)
    conf: dict[str, Any] = {
        "xmlsec_binary": settings.SAML_XMLSEC_BINARY,
        "entityid": settings.SAML_SP_ENTITY_ID,
        "allow_unknown_attributes": True,
        "metadata": metadata,
        "accepted_time_diff": 30,
        "service": {
            "sp": {
                "name": settings.ORGANISATION_NAME,
                "name_id_format": NAMEID_FORMAT_UNSPECIFIED,
                "endpoints": {
                    "assertion_consumer_service": [(f"{settings.SITE_URL}{reverse('saml2_acs')}", BINDING_HTTP_POST)],
                },
                # Only answers to our own requests (djangosaml2 keeps them in its session cookie).
                "allow_unsolicited": False,
                "want_assertions_signed": True,
                "want_response_signed": False,
                "authn_requests_signed": signing,
                "force_authn": bool(request is not None and request.GET.get("reauth")),
            }
        },
    }
    if signing:
        conf["key_file"] = settings.SAML_SP_KEY_FILE
        conf["cert_file"] = settings.SAML_SP_CERT_FILE
        conf["encryption_keypairs"] = [{"key_file": settings.SAML_SP_KEY_FILE, "cert_file": settings.SAML_SP_CERT_FILE}]
    config = SPConfig()
    config.load(conf)
    return config


def assertion_record(*, assertion_id: str, not_on_or_after: str | None) -> None:
    """Remember an assertion id until it expires; ``SsoRefused`` when it was seen before."""
    now = timezone.now()
    expires = now + dt.timedelta(minutes=5)
    if not_on_or_after:
        from saml2.time_util import str_to_time

        parsed = str_to_time(not_on_or_after)
        if parsed:
            expires = dt.datetime(*parsed[:6], tzinfo=dt.UTC)
    SsoAssertion.objects.filter(expires_at__lt=now - dt.timedelta(minutes=5)).delete()
    try:
        with transaction.atomic():
            SsoAssertion.objects.create(assertion_id=assertion_id[:255], expires_at=expires)
    except IntegrityError:
        raise SsoRefused(_("This sign-in answer has been used already: sign in again.")) from None


class SsoSaml2Backend(Saml2Backend):
    """djangosaml2's backend, with matching, creation and refusal done by ``sso_user``."""

    def authenticate(
        self,
        request,
        session_info=None,
        attribute_mapping=None,
        create_unknown_user=True,
        assertion_info=None,
        **kwargs,
    ):
        if session_info is None or "ava" not in session_info:
            return None
        try:
            if not assertion_info or not assertion_info.get("assertion_id"):
                raise SsoRefused(_("The identity provider's answer carried no bearer assertion."))
            assertion_record(
                assertion_id=assertion_info["assertion_id"], not_on_or_after=assertion_info.get("not_on_or_after")
            )
            claims = dict(session_info["ava"])
            if not mapped_attributes(claims)["email"]:
                # No email attribute: an email-format NameID names the person.
                name_id = session_info.get("name_id")
                if name_id is not None and "@" in (getattr(name_id, "text", "") or ""):
                    claims[settings.SSO_ATTRIBUTE_MAP["email"][0]] = name_id.text
            return sso_user(claims=claims, source="SAML")
        except SsoRefused as error:
            _refuse(request, error)
            return None

    def user_can_authenticate(self, user) -> bool:
        return user is not None and user.is_active


def saml_acs_failure(request: HttpRequest, exception=None, status: int = 403, **kwargs) -> HttpResponse:
    """``SAML_ACS_FAILURE_RESPONSE_FUNCTION``: why the identity provider's answer was refused."""
    from saml2.response import IncorrectlySigned, SignatureError, StatusError, UnsolicitedResponse
    from saml2.validate import NotValid, ResponseLifetimeExceed, ToEarly

    message = getattr(request, REFUSAL_ATTR, None)
    if message is None:
        text = str(exception or "")
        if isinstance(exception, ResponseLifetimeExceed | ToEarly) or "Can't use response yet" in text:
            message = _("The identity provider's answer has expired (or is not valid yet). Sign in again.")
        elif isinstance(exception, SignatureError | IncorrectlySigned) or "signature" in text.lower():
            message = _(
                "The identity provider's answer is not signed by the identity provider we trust. Nothing was changed."
            )
        elif isinstance(exception, UnsolicitedResponse):
            message = _(
                "This sign-in answer does not match a sign-in started here (it may have been used already). Sign in again."
            )
        elif "audience" in text.lower() or "not in audience" in text.lower() or "Not valid" in text:
            message = _(
                "The identity provider's answer was meant for another service (wrong audience). Nothing was changed."
            )
        elif isinstance(exception, StatusError):
            message = _("The identity provider did not sign you in. Nothing has been changed.")
        elif isinstance(exception, NotValid):
            message = _("The identity provider's answer is not valid here. Nothing was changed.")
        else:
            message = str(GENERIC)
    logger.info("SAML response refused (%s): %s", type(exception).__name__, exception)
    return refused_page(request, message, status=403 if status < 500 else 400)


class SsoSamlAcsView(AssertionConsumerServiceView):
    def post(self, request, *args, **kwargs):
        if not saml_enabled():
            return not_configured(request)
        reauth = bool(request.saml_session.get(SESSION_REAUTH + "_pending"))
        try:
            response = super().post(request, *args, **kwargs)
        except PermissionDenied:
            return refused_page(request)
        if request.user.is_authenticated and response.status_code in (301, 302):
            request.session[SESSION_REAUTH] = reauth
            request.saml_session.pop(SESSION_REAUTH + "_pending", None)
        return response

    def post_login_hook(self, request, user, session_info):
        authenticated_at = None
        for _class, _authorities, instant in session_info.get("authn_info") or []:
            if instant:
                from saml2.time_util import str_to_time

                parsed = str_to_time(instant)
                if parsed:
                    authenticated_at = dt.datetime(*parsed[:6], tzinfo=dt.UTC).timestamp()
        _mark_session(request, method="saml", authenticated_at=authenticated_at)


class SsoSamlLoginView(LoginView):
    """djangosaml2's login; ``reauth=1`` (a signed-in person confirming who they are) asks the IdP
    for ForceAuthn instead of sending a signed-in person straight on."""

    def should_prevent_auth(self, request) -> bool:
        return request.user.is_authenticated and not request.GET.get("reauth")


def saml_login_view(request: HttpRequest):
    if not saml_enabled():
        return not_configured(request)
    request.saml_session[SESSION_REAUTH + "_pending"] = bool(request.GET.get("reauth"))
    return SsoSamlLoginView.as_view()(request)


def reauthenticate(request: HttpRequest):
    """Send a signed-in person to their identity provider to sign in again (for an attestation)."""
    if not request.user.is_authenticated:
        return HttpResponseRedirect(reverse("login"))
    back = next_url(request, default=reverse("home"))
    method = request.session.get(SESSION_METHOD) or ("oidc" if oidc_enabled() else "saml")
    if method == "oidc" and oidc_enabled():
        target = reverse("oidc_authentication_init")
    elif saml_enabled():
        target = reverse("saml2_login")
    else:
        return not_configured(request)
    return HttpResponseRedirect(f"{target}?{urlencode({'next': back, 'reauth': '1'})}")


def sso_context(request: HttpRequest) -> dict[str, Any]:
    """For the login page: which sign-in buttons to show."""
    return {
        "sso_oidc": oidc_enabled(),
        "sso_saml": saml_enabled(),
        "sso_provider_name": settings.SSO_PROVIDER_NAME,
    }


def saml_metadata_view(request: HttpRequest):
    """Our service provider metadata, for the identity provider's administrator."""
    from djangosaml2.views import MetadataView

    if not saml_enabled():
        return not_configured(request)
    return MetadataView.as_view()(request)
