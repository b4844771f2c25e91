"""Which addresses a webhook may call, checked when it is registered and again before every send.

A webhook makes this server send requests to an address an admin typed, so it must not become a
way to reach what only the server can reach (server-side request forgery): the cloud metadata
service at 169.254.169.254, the database, Redis, the admin ports of the private network. The rule:

- HTTPS only, no user name or password in the address;
- every address the host name resolves to must be public (``ipaddress.is_global``): loopback,
  private (10/8, 172.16/12, 192.168/16, fc00::/7), link-local, shared (100.64/10), reserved,
  multicast and unspecified addresses are refused, IPv4-mapped IPv6 included;
- the loopback address over plain HTTP is allowed only where ``WEBHOOK_ALLOW_LOOPBACK`` is on (it
  follows ``DEBUG``: a developer's machine; the tests turn it on for their receiver);
- redirects are never followed (``delivery``), so a public address cannot hand the request on.

The check is repeated before each send, so a name that later resolves to a private address is
refused then. What remains is the moment between that check and the connection (DNS rebinding
with a very short TTL); where that matters, route outgoing traffic through an egress proxy.
"""

from __future__ import annotations

import ipaddress
import socket
from urllib.parse import urlsplit

from django.conf import settings
from django.core.exceptions import ValidationError
from django.utils.translation import gettext as _


def loopback_allowed() -> bool:
    return bool(getattr(settings, "WEBHOOK_ALLOW_LOOPBACK", settings.DEBUG))


def _addresses(host: str, port: int) -> list[ipaddress.IPv4Address | ipaddress.IPv6Address]:
    try:
        found = [ipaddress.ip_address(host)]
    except ValueError:
        try:
            infos = socket.getaddrinfo(host, port, proto=socket.IPPROTO_TCP)
        except (OSError, UnicodeError) as error:
            raise ValidationError(_("The host name “%(host)s” could not be found.") % {"host": host}) from error
        found = [ipaddress.ip_address(info[4][0].split("%", 1)[0]) for info in infos]
    # An IPv4 address written as IPv6 (::ffff:10.0.0.1) is judged as the IPv4 address it is.
    return [
        address.ipv4_mapped if isinstance(address, ipaddress.IPv6Address) and address.ipv4_mapped else address
        for address in found
    ]


def check_webhook_url(url: str) -> None:
    """Raise ValidationError with a message saying what is wrong with ``url`` as a webhook."""
    try:
        parts = urlsplit(url)
        port = parts.port
    except ValueError as error:
        raise ValidationError(_("Enter a valid address.")) from error
    host = parts.hostname or ""
    if not host:
        raise ValidationError(_("Enter a valid address."))
    if parts.username or parts.password:
        raise ValidationError(_("An address with a user name or password in it is not accepted."))
    if parts.scheme not in {"https", "http"}:
        raise ValidationError(_("The address must start with https://."))
    addresses = _addresses(host, port or (443 if parts.scheme == "https" else 80))
    if not addresses:
        raise ValidationError(_("The host name “%(host)s” could not be found.") % {"host": host})
    if loopback_allowed() and all(address.is_loopback for address in addresses):
        return
    if parts.scheme != "https":
        raise ValidationError(_("The address must start with https://."))
    for address in addresses:
        if not address.is_global or address.is_multicast:
            if host.strip("[]") == str(address):
                message = _("“%(host)s” is a private or internal address; webhooks are sent only to public addresses.")
            else:
                message = _(
                    "“%(host)s” is a private or internal address (%(address)s); webhooks are sent only to"
                    " public addresses."
                )
            raise ValidationError(message % {"host": host, "address": address})
