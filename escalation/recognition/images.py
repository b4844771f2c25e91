"""Badge images: PNG only, checked and re-encoded, or a generated default.

Open Badges 2.0 allows PNG or SVG images. SVG is a document that can carry script, so uploads
are PNG only: the file is opened with Pillow, must be a PNG of at most ``MAX_SIDE`` pixels a side
and ``MAX_BYTES`` bytes, and is re-encoded (no text chunks, no trailing bytes survive). A badge
without an upload is drawn here: a coloured disc with the badge's initials, the colour taken from
its public id so each badge keeps its own.
"""

from __future__ import annotations

import hashlib
import io

from django.core.exceptions import ValidationError
from django.utils.translation import gettext_lazy as _
from PIL import Image, ImageDraw, ImageFont, UnidentifiedImageError

MAX_BYTES = 512 * 1024
MAX_SIDE = 1024
DEFAULT_SIDE = 256
PALETTE = ("#0b5cad", "#1d7a46", "#8a4b08", "#6a2c91", "#a3212c", "#0f6b73")


def clean_png(upload) -> bytes:
    """The uploaded file re-encoded as a PNG, or ValidationError naming what is wrong."""
    if upload.size > MAX_BYTES:
        raise ValidationError(_("The image is larger than 512 KB."), code="too_big")
    data = upload.read()
    try:
        with Image.open(io.BytesIO(data)) as probe:
            fmt = probe.format
            probe.verify()
        with Image.open(io.BytesIO(data)) as image:
            if fmt != "PNG":
                raise ValidationError(_("The image must be a PNG file."), code="not_png")
            if max(image.size) > MAX_SIDE:
                raise ValidationError(
                    _("The image is larger than %(side)d × %(side)d pixels.") % {"side": MAX_SIDE}, code="too_large"
                )
            image.load()
            converted = image.convert("RGBA")
    except Image.DecompressionBombError as error:
        # Pillow refuses to open an image of more pixels than it will decode (a small file can
        # declare 20,000 × 20,000): too large, not "not a PNG".
        raise ValidationError(
            _("The image is larger than %(side)d × %(side)d pixels.") % {"side": MAX_SIDE}, code="too_large"
        ) from error
    except (UnidentifiedImageError, OSError, SyntaxError, ValueError) as error:
        raise ValidationError(_("The image must be a PNG file."), code="not_png") from error
    out = io.BytesIO()
    converted.save(out, format="PNG", optimize=True)
    return out.getvalue()


def initials(name: str) -> str:
    words = [w for w in name.split() if w[:1].isalnum()]
    return "".join(w[0] for w in words[:2]).upper() or "★"


def default_png(*, name: str, seed: str) -> bytes:
    colour = PALETTE[int(hashlib.sha256(seed.encode()).hexdigest(), 16) % len(PALETTE)]
    side = DEFAULT_SIDE
    image = Image.new("RGBA", (side, side), (0, 0, 0, 0))
    draw = ImageDraw.Draw(image)
    draw.ellipse((8, 8, side - 8, side - 8), fill=colour, outline="#ffffff", width=6)
    font = ImageFont.load_default(size=96)
    draw.text((side / 2, side / 2), initials(name), fill="#ffffff", font=font, anchor="mm")
    out = io.BytesIO()
    image.save(out, format="PNG", optimize=True)
    return out.getvalue()


def badge_png(badge) -> bytes:
    return bytes(badge.image) if badge.image else default_png(name=badge.name, seed=badge.public_id)
