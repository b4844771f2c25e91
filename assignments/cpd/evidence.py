"""Evidence files for external learning: a PDF or an image (PNG, JPEG, WebP), recognised by its
content, never by the name or the content type the browser sent.

The upload is read into memory up to ``settings.CPD_EVIDENCE_MAX_BYTES`` (one byte more to tell
that it is too large, whatever size the client declares). A PDF must start with ``%PDF-`` and
carry an end-of-file marker; an image must start with its format's signature and open in Pillow
as that same format (a file renamed ``.png`` that is really HTML or a script is refused). The file
is stored through Django's storage API under a random name with the extension of the recognised
type; the name the learner gave is kept for display only.
"""

from __future__ import annotations

import io
import uuid
from dataclasses import dataclass

from django.conf import settings
from django.core.exceptions import ValidationError
from django.core.files.base import ContentFile
from django.template.defaultfilters import filesizeformat
from django.utils.translation import gettext as _

from lms.uploads import display_filename


@dataclass(frozen=True)
class Kind:
    content_type: str
    extension: str
    pillow_format: str = ""


PDF = Kind("application/pdf", "pdf")
PNG = Kind("image/png", "png", "PNG")
JPEG = Kind("image/jpeg", "jpg", "JPEG")
WEBP = Kind("image/webp", "webp", "WEBP")
KINDS = {kind.content_type: kind for kind in (PDF, PNG, JPEG, WEBP)}


def sniff(data: bytes) -> Kind | None:
    """The kind of file ``data`` starts like, or None."""
    if data.startswith(b"%PDF-"):
        return PDF
    if data.startswith(b"\x89PNG\r\n\x1a\n"):
        return PNG
    if data.startswith(b"\xff\xd8\xff"):
        return JPEG
    if data[:4] == b"RIFF" and data[8:12] == b"WEBP":
        return WEBP
    return None


def _is_whole(kind: Kind, data: bytes) -> bool:
    if kind is PDF:
        return b"%%EOF" in data[-2048:]
    from PIL import Image, UnidentifiedImageError

    try:
        with Image.open(io.BytesIO(data)) as image:
            if image.format != kind.pillow_format:
                return False
            image.verify()
    except (UnidentifiedImageError, OSError, SyntaxError, ValueError, Image.DecompressionBombError):
        return False
    return True


@dataclass(frozen=True)
class Evidence:
    content: ContentFile
    display_name: str
    kind: Kind


def evidence_read(upload) -> Evidence:
    """The checked evidence of ``upload``; ValidationError saying what is wrong otherwise."""
    limit = settings.CPD_EVIDENCE_MAX_BYTES
    too_large = ValidationError(
        _("The file is too large (%(size)s); the limit is %(limit)s.")
        % {"size": filesizeformat(upload.size or limit + 1), "limit": filesizeformat(limit)},
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
    kind = sniff(data)
    if kind is None:
        raise ValidationError(
            _("This file is not a PDF or an image (PNG, JPEG or WebP). Attach a PDF or a photo of your certificate."),
            code="type",
        )
    if not _is_whole(kind, data):
        raise ValidationError(
            _("This file looks like a %(type)s but cannot be read as one: it may be damaged.")
            % {"type": kind.extension.upper()},
            code="damaged",
        )
    name = f"{uuid.uuid4().hex}.{kind.extension}"
    return Evidence(
        content=ContentFile(data, name=name),
        display_name=display_filename(upload.name or "", default=f"evidence.{kind.extension}"),
        kind=kind,
    )
