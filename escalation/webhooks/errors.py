"""A delivery's last error in words (eyes 14, F1). The log stores what the sender saw ("URLError:
<urlopen error [SSL: CERTIFICATE_VERIFY_FAILED] ...>", "HTTP 500 Internal Server Error"); the
endpoint's page shows a sentence an admin can act on, with that text as the technical detail."""

from __future__ import annotations

import re

from django.utils.translation import gettext as _

_HTTP = re.compile(r"^HTTP (\d{3})\b")


def delivery_error_text(raw: str) -> str:
    """The human message for a stored delivery error ("" for none); the raw text when unknown."""
    if not raw:
        return ""
    lowered = raw.lower()
    if match := _HTTP.match(raw):
        return _("HTTP %(code)s from the receiver") % {"code": match.group(1)}
    if "certificate_verify_failed" in lowered or "certificate verify failed" in lowered:
        return _("The receiver's TLS certificate could not be verified")
    if "[ssl" in lowered or "sslerror" in lowered:
        return _("The secure (TLS) connection to the receiver failed")
    if "connection refused" in lowered or "errno 111" in lowered:
        return _("Connection refused")
    if lowered.startswith("timeout") or "timed out" in lowered:
        return _("Timed out: the receiver did not answer in time")
    if "name or service not known" in lowered or "nodename nor servname" in lowered or "getaddrinfo" in lowered:
        return _("The receiver's host name could not be found")
    if "connection reset" in lowered:
        return _("The receiver closed the connection")
    return raw
