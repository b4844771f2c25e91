"""Files uploaded into a course: PDFs, images, MP4 video and WebVTT captions.

An upload's type is decided by its content (its first bytes, the "magic numbers" of each format;
images are then opened by Pillow), never by its name or the MIME type the browser sent, so an
HTML page or an SVG renamed ``lesson.mp4`` is refused. Each kind has a size limit from settings
(``COURSE_FILE_MAX_BYTES``, ``COURSE_VIDEO_MAX_BYTES``, ``COURSE_CAPTIONS_MAX_BYTES``).

Files are stored through Django's default storage (a folder on disk, or S3-compatible storage
with django-storages, see lms/settings_production.py) under ``course-files/<random>/``, a path
nobody can guess, and are only ever served by the permission-checked view
``assignments.views.files``, never from a public media URL.
"""

from __future__ import annotations

import io
import re
import uuid
from dataclasses import dataclass

from django.conf import settings
from django.core.exceptions import ValidationError
from django.template.defaultfilters import filesizeformat
from django.utils.text import get_valid_filename
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy

# What each kind of upload slot accepts.
DOCUMENT_OR_IMAGE = ("application/pdf", "image/png", "image/jpeg", "image/webp", "image/gif")
VIDEO = ("video/mp4",)
CAPTIONS = ("text/vtt",)
ANY_MEDIA = DOCUMENT_OR_IMAGE + VIDEO

EXTENSIONS = {
    "application/pdf": "pdf",
    "image/png": "png",
    "image/jpeg": "jpg",
    "image/webp": "webp",
    "image/gif": "gif",
    "video/mp4": "mp4",
    "text/vtt": "vtt",
}
TYPE_NAMES = {
    "application/pdf": gettext_lazy("PDF"),
    "image/png": gettext_lazy("PNG image"),
    "image/jpeg": gettext_lazy("JPEG image"),
    "image/webp": gettext_lazy("WebP image"),
    "image/gif": gettext_lazy("GIF image"),
    "video/mp4": gettext_lazy("MP4 video"),
    "text/vtt": gettext_lazy("WebVTT captions (.vtt)"),
}
# MP4 brands (the four letters after "ftyp") of files browsers play as video/mp4.
MP4_BRANDS = {b"isom", b"iso2", b"iso4", b"iso5", b"iso6", b"mp41", b"mp42", b"avc1", b"dash", b"M4V ", b"mmp4"}


def sniff(head: bytes) -> str | None:
    """The content type that ``head`` (a file's first bytes) starts like, or None."""
    if head.startswith(b"%PDF-"):
        return "application/pdf"
    if head.startswith(b"\x89PNG\r\n\x1a\n"):
        return "image/png"
    if head.startswith(b"\xff\xd8\xff"):
        return "image/jpeg"
    if head[:6] in (b"GIF87a", b"GIF89a"):
        return "image/gif"
    if head[:4] == b"RIFF" and head[8:12] == b"WEBP":
        return "image/webp"
    if head[4:8] == b"ftyp" and head[8:12] in MP4_BRANDS:
        return "video/mp4"
    text = head.removeprefix(b"\xef\xbb\xbf")
    if text.startswith(b"WEBVTT") and (len(text) == 6 or text[6:7] in (b" ", b"\t", b"\n", b"\r")):
        return "text/vtt"
    return None


def max_bytes(content_type: str) -> int:
    if content_type in VIDEO:
        return settings.COURSE_VIDEO_MAX_BYTES
    if content_type in CAPTIONS:
        return settings.COURSE_CAPTIONS_MAX_BYTES
    return settings.COURSE_FILE_MAX_BYTES


@dataclass(frozen=True)
class CheckedFile:
    content_type: str
    name: str  # the name shown to learners and offered on download: safe, with the right extension


def safe_name(name: str, content_type: str) -> str:
    """A display name made from the uploaded name: no path, no quotes or control characters,
    at most 100 characters, ending in the extension of its real type."""
    base = re.split(r"[\\/]", name or "")[-1]
    stem = base.rsplit(".", 1)[0] if "." in base else base
    stem = get_valid_filename(stem) if stem.strip(" ._") else ""
    stem = (stem or "file")[:90]
    return f"{stem}.{EXTENSIONS[content_type]}"


def check_upload(upload, *, accept: tuple[str, ...]) -> CheckedFile:
    """The type and safe name of an uploaded file, or a ValidationError saying what is wrong.

    The file is read from its start (and left there); its name and browser MIME type play no part.
    """
    upload.seek(0)
    head = upload.read(64)
    upload.seek(0)
    content_type = sniff(head)
    allowed = ", ".join(str(TYPE_NAMES[t]) for t in accept)
    if content_type is None or content_type not in accept:
        found = TYPE_NAMES.get(content_type) if content_type else None
        if found:
            message = _(
                "This file is a %(found)s by its content, which is not accepted here. Upload one of: %(allowed)s."
            ) % {
                "found": found,
                "allowed": allowed,
            }
        else:
            message = _(
                "This file's content is not one of the accepted types (%(allowed)s), whatever its name says. "
                "Web pages, SVG images and other files cannot be uploaded."
            ) % {"allowed": allowed}
        raise ValidationError(message, code="file_type")
    limit = max_bytes(content_type)
    if upload.size > limit:
        raise ValidationError(
            _("This file is %(size)s; files of this type (%(type)s) can be at most %(limit)s.")
            % {"size": filesizeformat(upload.size), "type": TYPE_NAMES[content_type], "limit": filesizeformat(limit)},
            code="file_size",
        )
    if content_type.startswith("image/"):
        _check_image(upload, content_type)
    if content_type == "text/vtt":
        try:
            upload.read().decode("utf-8")
        except UnicodeDecodeError:
            raise ValidationError(_("Captions must be a UTF-8 WebVTT (.vtt) file."), code="file_type")
        finally:
            upload.seek(0)
    return CheckedFile(content_type=content_type, name=safe_name(getattr(upload, "name", ""), content_type))


def _check_image(upload, content_type: str) -> None:
    """An image must open as the format its first bytes claim (a truncated or forged one does not)."""
    from PIL import Image

    formats = {"image/png": "PNG", "image/jpeg": "JPEG", "image/webp": "WEBP", "image/gif": "GIF"}
    try:
        with Image.open(io.BytesIO(upload.read())) as image:
            image.verify()
            ok = image.format == formats[content_type]
    except Exception:  # Pillow raises many kinds of errors for a broken file
        ok = False
    finally:
        upload.seek(0)
    if not ok:
        raise ValidationError(_("This image file is damaged or not really an image."), code="file_type")


def course_file_path(instance, filename: str) -> str:
    """``course-files/<random hex>/<name>``: the random folder makes the path unguessable."""
    return f"course-files/{uuid.uuid4().hex}/{filename}"
