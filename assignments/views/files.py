"""Uploaded course files (courses/files.py) served to the people allowed to see them.

A file is served to a learner of its course (anyone with an assignment of that course version,
active or archived, so a completed course can be reviewed) and to admins; to anyone else it does
not exist (404). It is read from Django's default storage (disk or S3) and never has a public URL.

Responses name their real type (decided from the content at upload), say
``X-Content-Type-Options: nosniff`` and ``Content-Disposition: inline`` with the file's safe name,
and answer a single HTTP byte range (``Range: bytes=a-b``) with 206 Partial Content, so that a
video can be sought without downloading it whole; Django's FileResponse does not do ranges.
"""

from __future__ import annotations

import hashlib
import re

from csp.decorators import csp
from django.contrib.auth.decorators import login_required
from django.http import FileResponse, Http404, HttpResponse, JsonResponse, StreamingHttpResponse
from django.utils.http import content_disposition_header
from django.views.decorators.http import require_http_methods, require_POST

from assignments.selectors import player as selectors
from assignments.selectors.files import course_file_get_for_user
from assignments.services.progress import module_progress_complete

CHUNK = 64 * 1024
RANGE = re.compile(r"^bytes=(\d*)-(\d*)$")
# The file's own small policy in place of the site's: a PDF, image or video shown at top level
# loads nothing else and runs no script (the browser's PDF viewer needs object-src).
FILE_CSP = {
    "default-src": ["'none'"],
    "img-src": ["'self'"],
    "media-src": ["'self'"],
    "object-src": ["'self'"],
    "style-src": ["'unsafe-inline'"],
    "frame-ancestors": ["'self'"],
}


def _byte_range(header: str, size: int) -> tuple[int, int] | None | bool:
    """(first, last) of a single satisfiable range; None to serve the whole file (no header, several
    ranges or one we do not understand: RFC 9110 lets a server ignore Range); False if unsatisfiable."""
    match = RANGE.match(header.replace(" ", ""))
    if not match:
        return None
    first, last = match.groups()
    if first == "" and last == "":
        return None
    if first == "":  # the last N bytes
        length = int(last)
        if length == 0 or size == 0:
            return False
        return max(size - length, 0), size - 1
    start = int(first)
    end = min(int(last), size - 1) if last else size - 1
    if start >= size or (last and int(last) < start):
        return False
    return start, end


def _stream(file, start: int, length: int):
    try:
        file.seek(start)
        left = length
        while left > 0:
            chunk = file.read(min(CHUNK, left))
            if not chunk:
                break
            left -= len(chunk)
            yield chunk
    finally:
        file.close()


@login_required
@require_http_methods(["GET", "HEAD"])
@csp(FILE_CSP)
def course_file(request, owner: str, pk: int, part: str):
    found = course_file_get_for_user(user=request.user, owner=owner, pk=pk, part=part)
    field, name, content_type = found
    storage = field.storage
    try:
        size = storage.size(field.name)
        file = storage.open(field.name, "rb")
    except (FileNotFoundError, OSError):
        raise Http404
    etag = '"' + hashlib.sha256(f"{field.name}:{size}".encode()).hexdigest()[:32] + '"'
    wanted = request.headers.get("Range", "")
    if_range = request.headers.get("If-Range")
    byte_range = _byte_range(wanted, size) if wanted and (if_range is None or if_range == etag) else None
    if byte_range is False:
        file.close()
        response = HttpResponse(status=416)
        response["Content-Range"] = f"bytes */{size}"
    elif byte_range is None:
        response = FileResponse(file, content_type=content_type)
        response["Content-Length"] = str(size)
    else:
        start, end = byte_range
        response = StreamingHttpResponse(_stream(file, start, end - start + 1), status=206, content_type=content_type)
        response["Content-Range"] = f"bytes {start}-{end}/{size}"
        response["Content-Length"] = str(end - start + 1)
    response["Accept-Ranges"] = "bytes"
    response["ETag"] = etag
    response["X-Content-Type-Options"] = "nosniff"
    response["Content-Disposition"] = content_disposition_header(False, name)
    response["Cache-Control"] = "private, max-age=3600"
    return response


@login_required
@require_POST
def module_video_watched(request, assignment_pk: int, module_pk: int):
    """The player's video was watched to its end (the ``ended`` event, static/js/player-video.js):
    the module counts as done, as if the learner had pressed "Mark as done"."""
    assignment = selectors.assignment_get_for_learner(user=request.user, pk=assignment_pk)
    module = selectors.module_get_for_assignment(assignment=assignment, pk=module_pk)
    if not module.video:
        raise Http404
    recorded = module_progress_complete(assignment=assignment, module=module)
    return JsonResponse({"recorded": recorded is not None})
