"""Which addresses a webhook may call, checked when it is registered and again before every send.

A webhook makes this server send requests to an address an admin typed, so it must not become a
way to reach what only the server can reach (server-side request forgery): the cloud metadata
service at 169.254.169.254, the database, Redis, the admin ports of the private network. The rule:

- HTTPS only, no user name or password in the address;
- every address the host name resolves to must be public (``ipaddress.is_global``): loopback,
  private (10/8, 172.16/12, 192.168/16, fc00::/7), link-local, shared (100.64/10), reserved,
  multicast and unspecified addresses are refused; an IPv6 address that carries an IPv4 address
  (IPv4-mapped ``::ffff:a.b.c.d``, IPv4-compatible ``::a.b.c.d``, NAT64 ``64:ff9b::/96`` and
  ``64:ff9b:1::/48``, 6to4 ``2002::/16``, Teredo ``2001::/32``) is refused too when the IPv4
  address inside is not public;
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
    return found


_NAT64 = (ipaddress.IPv6Network("64:ff9b::/96"), ipaddress.IPv6Network("64:ff9b:1::/48"))
_IPV4_COMPATIBLE = ipaddress.IPv6Network("::/96")


def _embedded_ipv4(address: ipaddress.IPv6Address) -> list[ipaddress.IPv4Address]:
    """The IPv4 addresses an IPv6 address leads to: IPv4-mapped (::ffff:a.b.c.d), IPv4-compatible
    (::a.b.c.d), NAT64 (64:ff9b::/96 and the local-use 64:ff9b:1::/48, the IPv4 address in the
    last 32 bits), 6to4 (2002::/16) and Teredo (2001::/32, its server and its client)."""
    embedded = []
    if address.ipv4_mapped:
        embedded.append(address.ipv4_mapped)
    if address.sixtofour:
        embedded.append(address.sixtofour)
    if address.teredo:
        embedded.extend(address.teredo)
    if any(address in network for network in (*_NAT64, _IPV4_COMPATIBLE)):
        embedded.append(ipaddress.IPv4Address(int(address) & 0xFFFFFFFF))
    return embedded


def _is_public(address: ipaddress.IPv4Address | ipaddress.IPv6Address) -> bool:
    if not address.is_global or address.is_multicast:
        return False
    if isinstance(address, ipaddress.IPv6Address):
        return all(_is_public(inner) for inner in _embedded_ipv4(address))
    return True


def _is_loopback(address: ipaddress.IPv4Address | ipaddress.IPv6Address) -> bool:
    # An IPv4 address written as IPv6 (::ffff:127.0.0.1) is judged as the IPv4 address it is.
    if isinstance(address, ipaddress.IPv6Address) and address.ipv4_mapped:
        return address.ipv4_mapped.is_loopback
    return address.is_loopback


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
    if loopback_allowed() and all(_is_loopback(address) for address in addresses):
        return
    if parts.scheme != "https":
        raise ValidationError(_("The address must start with https://."))
    if not all(_is_public(address) for address in addresses):
        if _is_literal(host):
            message = _("“%(host)s” is a private or internal address; webhooks are sent only to public addresses.")
        else:
            # What an internal name resolves to is not told: the form would map the private network.
            message = _(
                "“%(host)s” resolves to an address that is not public; webhooks are sent only to public addresses."
            )
        raise ValidationError(message % {"host": host})


def _is_literal(host: str) -> bool:
    try:
        ipaddress.ip_address(host)
    except ValueError:
        return False
    return True
