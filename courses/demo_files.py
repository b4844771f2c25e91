"""Demo course file for `seed_demo` (called from courses/demo.py): a one-page PDF handout, rendered
with WeasyPrint, uploaded into the first module of the health and safety course (HS-101) the way an
author's upload is stored (type checked by content by courses.files, a safe name, an unguessable
path, served only by the permission-checked file view).

Idempotent: a course whose modules have an uploaded file already is left alone.
"""

from __future__ import annotations

from django.core.files.base import ContentFile

from courses.files import DOCUMENT_OR_IMAGE, check_upload
from courses.models import Course, Module

COURSE_CODE = "HS-101"
FILE_NAME = "Workplace safety quick reference.pdf"

HANDOUT = """<!DOCTYPE html><html lang="en"><head><meta charset="utf-8"><title>Workplace safety: quick reference</title>
<style>
@page { size: A4; margin: 18mm; }
body { font-family: "DejaVu Sans", sans-serif; font-size: 10.5pt; color: #212529; }
h1 { font-size: 18pt; margin: 0 0 4mm; } h2 { font-size: 12pt; margin: 6mm 0 2mm; color: #0d6efd; }
li { margin-bottom: 1.5mm; } .box { border: 1px solid #adb5bd; padding: 3mm 4mm; border-radius: 2mm; }
</style></head><body>
<h1>Workplace safety: quick reference</h1>
<p>Keep this page to hand. It sums up what the Health and safety at work course asks of everyone.</p>
<h2>Report it</h2>
<ul><li>Hazards, near misses and injuries go to your team leader the same day.</li>
<li>Every injury, however small, is recorded in the accident book.</li></ul>
<h2>Fire</h2>
<ul><li>Know your two nearest exits and the assembly point.</li>
<li>On the alarm: stop work, leave by the nearest exit, do not use lifts, report to the fire marshal.</li></ul>
<h2>Moving things</h2>
<ul><li>Think before you lift: task, load, environment, yourself.</li>
<li>Use trolleys and pallet trucks; ask for a team lift for heavy or awkward loads.</li></ul>
<h2>Your workstation</h2>
<ul><li>Screen at eye level, feet flat, short breaks away from the screen every hour.</li></ul>
<div class="box"><strong>First aiders and fire marshals</strong> are listed on the notice board by every exit.</div>
</body></html>"""


def render_handout() -> bytes:
    from weasyprint import HTML  # imported here: loading WeasyPrint's libraries takes a moment

    return HTML(string=HANDOUT).write_pdf()


def seed(org) -> Module | None:
    course = Course.objects.filter(code=COURSE_CODE, status=Course.Status.PUBLISHED).order_by("-version").first()
    if course is None or course.modules.exclude(attachment="").exists():
        return None
    module = course.modules.order_by("order", "pk").first()
    if module is None:
        return None
    upload = ContentFile(render_handout(), name=FILE_NAME)
    checked = check_upload(upload, accept=DOCUMENT_OR_IMAGE)
    module.attachment.save(checked.name, upload, save=False)
    module.attachment_name = checked.name
    module.attachment_type = checked.content_type
    module.save(update_fields=["attachment", "attachment_name", "attachment_type"])
    return module
