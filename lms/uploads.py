"""Uploaded files: size limits, text files that are really something else, and file names.

Uploads (CSV imports, course packages) are read into memory up to ``settings.UPLOAD_MAX_BYTES``
and never written to disk under the name the browser sent: the name is only ever shown back,
cleaned by ``display_filename``. Downloads name themselves with ``attachment_headers``.
"""

from __future__ import annotations

import re
import unicodedata

from django.conf import settings
from django.core.exceptions import ValidationError
from django.template.defaultfilters import filesizeformat
from django.utils.http import content_disposition_header
from django.utils.translation import gettext as _

# Leading bytes of formats people upload by mistake instead of a CSV or JSON text file.
SIGNATURES: list[tuple[bytes, str]] = [
    (b"PK\x03\x04", "ZIP"),  # also .xlsx, .docx, .odt
    (b"PK\x05\x06", "ZIP"),  # an empty ZIP archive
    (b"PK\x07\x08", "ZIP"),
    (b"%PDF", "PDF"),
    (b"\xd0\xcf\x11\xe0\xa1\xb1\x1a\xe1", "Microsoft Office (.xls/.doc)"),
    (b"\x1f\x8b", "gzip"),
]


def binary_problem(data: bytes, *, expected: str = "CSV") -> str | None:
    """Why ``data`` is not a text file of the ``expected`` kind, or None when it may be one."""
    head = data[:8]
    for signature, name in SIGNATURES:
        if head.startswith(signature):
            return _(
                "This file is a %(format)s file, not %(expected)s text. Save it as %(expected)s "
                "(for a spreadsheet: “CSV UTF-8”) and upload that."
            ) % {"format": name, "expected": expected}
    if b"\x00" in data:
        return _("This file contains binary data (NUL bytes), so it is not %(expected)s text.") % {"expected": expected}
    return None


def read_text_upload(
    upload, *, expected: str = "CSV", max_bytes: int | None = None, check_binary: bool = True
) -> bytes:
    """The bytes of an uploaded text file, refused (ValidationError) when too large or binary.

    Reads at most ``max_bytes + 1`` bytes whatever the declared size, so a lying client cannot make
    us read more. ``check_binary=False`` leaves the binary check to a reader that decodes first
    (UTF-16 text, marked by its byte order mark, is full of NUL bytes).
    """
    limit = settings.UPLOAD_MAX_BYTES if max_bytes is None else max_bytes
    too_large = ValidationError(
        _("The file is too large (%(size)s); the limit is %(limit)s.")
        % {"size": filesizeformat(upload.size), "limit": filesizeformat(limit)},
        code="too_large",
    )
    if upload.size is not None and upload.size > limit:
        raise too_large
    upload.seek(0)
    data = upload.read(limit + 1)
    if len(data) > limit:
        raise too_large
    if not data:
        raise ValidationError(_("The file is empty."), code="empty")
    problem = binary_problem(data, expected=expected) if check_binary else None
    if problem:
        raise ValidationError(problem, code="binary")
    upload.seek(0)
    return data


_UNSAFE = re.compile(r"[^\w.\- ()]+", re.UNICODE)


def display_filename(name: str, *, default: str = "upload") -> str:
    """The uploaded name as it may be shown back: the last path part only, no control or
    separator characters, at most 120 characters. Never used as a path."""
    name = unicodedata.normalize("NFC", name or "")
    name = name.replace("\\", "/").rsplit("/", 1)[-1]
    name = "".join(ch for ch in name if unicodedata.category(ch)[0] != "C")
    name = _UNSAFE.sub("_", name).strip(" ._")
    return (name or default)[:120]


def attachment_headers(response, filename: str):
    """Name a download ourselves (RFC 6266, with a UTF-8 fallback); never a name a user sent."""
    response["Content-Disposition"] = content_disposition_header(True, filename)
    response["X-Content-Type-Options"] = "nosniff"
    return response
