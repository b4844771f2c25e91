"""The API's JSON parser: DRF's, with the two ways a body could still answer a 500 closed.

- A body nested deeper than Python's recursion limit (100000 ``[``) makes ``json.load`` raise
  RecursionError, which is not a ValueError: here it is a ParseError (400 malformed-request).
- DRF reads a JSON body straight from the request stream, so Django's DATA_UPLOAD_MAX_MEMORY_SIZE
  (which guards ``request.body``) is never applied: here a body longer than it is refused (400)
  before it is read whole."""

from __future__ import annotations

import io

from django.conf import settings
from django.utils.translation import gettext as _
from rest_framework.exceptions import ParseError
from rest_framework.parsers import JSONParser


def too_big_message() -> str:
    return _("The request body is larger than %(size)s bytes.") % {"size": settings.DATA_UPLOAD_MAX_MEMORY_SIZE}


class ApiJSONParser(JSONParser):
    def parse(self, stream, media_type=None, parser_context=None):
        limit = settings.DATA_UPLOAD_MAX_MEMORY_SIZE
        if limit is not None and stream is not None:
            raw = stream.read(limit + 1)
            if len(raw) > limit:
                raise ParseError(too_big_message())
            stream = io.BytesIO(raw)
        try:
            return super().parse(stream, media_type, parser_context)
        except RecursionError as error:
            raise ParseError(_("The JSON body is nested too deeply.")) from error
