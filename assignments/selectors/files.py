"""Which uploaded course file a person may open (assignments.views.files)."""

from __future__ import annotations

from django.db.models.fields.files import FieldFile
from django.http import Http404

from assignments.models import Assignment
from courses.models import LearningResource, Module

# owner -> (model, {part: (file field, name field, fixed content type or None to read *_type)})
PARTS = {
    "module": (
        Module,
        {
            "attachment": ("attachment", "attachment_name", None),
            "video": ("video", "video_name", "video/mp4"),
            "captions": ("captions", "captions_name", "text/vtt"),
        },
    ),
    "resource": (LearningResource, {"attachment": ("attachment", "attachment_name", None)}),
}


def course_file_get_for_user(*, user, owner: str, pk: int, part: str) -> tuple[FieldFile, str, str]:
    """(file, safe name, content type) of one module's or resource's file, or 404.

    Admins see every course's files; a learner those of a course version they have (or had) an
    assignment of; nobody else, and no empty slot.
    """
    if owner not in PARTS or part not in PARTS[owner][1]:
        raise Http404
    model, parts = PARTS[owner]
    field_name, name_field, fixed_type = parts[part]
    row = model.objects.filter(pk=pk).only("course_id", field_name, name_field, "attachment_type").first()
    if row is None or not getattr(row, field_name):
        raise Http404
    if not user.is_admin and not Assignment.objects.filter(learner_id=user.pk, course_id=row.course_id).exists():
        raise Http404
    return getattr(row, field_name), getattr(row, name_field), fixed_type or row.attachment_type
